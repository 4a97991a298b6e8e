/*
 * page_password.c: "Forgot your password?" (/forgot) and choosing a new one (/reset).
 *
 * /forgot gives the same answer whether or not an account has the address, and is limited per
 * client address and per address asked about. The link is single-use and lives an hour; using
 * it sets the new password, ends every session of the account and voids its other reset links.
 * A used, expired or altered link gets a page saying so, with a way to ask for a new one, as
 * soon as it is opened: the form is only shown for a link that works. The new password follows
 * the one policy (auth_password_problem) with the account's email and name, as at registration
 * and on My account; the link is looked up for that without being used.
 */
#include <string.h>

#include "account.h"
#include "app.h"
#include "auth.h"
#include "http.h"
#include "pages.h"
#include "reader.h"
#include "respond.h"
#include "util.h"

#define FORGOT_PER_IP 10     /* requests per address per hour */
#define FORGOT_PER_ACCOUNT 3 /* links per account per hour */

/* The form asking for the address. */
static enum MHD_Result forgot_form(struct req *r, unsigned status, const char *email,
                                   const char *error)
{
    json_t *ctx = account_context(r, "Forgot your password?");
    json_object_set_new(ctx, "email", json_string(account_refill(email)));
    json_object_set_new(ctx, "error", json_boolean(error != NULL));
    json_object_set_new(ctx, "error_message", json_string(error ? error : ""));
    return account_send(r, status, "forgot", ctx);
}

enum MHD_Result page_forgot(struct req *r)
{
    if (r->method != METHOD_POST)
        return forgot_form(r, 200, "", NULL);
    const char *email = account_trim(r, req_form(r, "email"));
    if (!auth_email_valid(email))
        return forgot_form(r, 422, email, "Enter a valid email address, like name@example.com.");
    email = auth_email_normalize(r->arena, email);

    char ip[64];
    req_client_ip(r, ip, sizeof ip);
    int wait = account_limited(r, "forgot-ip", ip, FORGOT_PER_IP, 3600);
    if (!wait)
        wait = account_limited(r, "forgot-account", email, FORGOT_PER_ACCOUNT, 3600);
    if (wait)
        return respond_too_many(r, wait);

    struct user user;
    if (store_user_by_email(r->app->store, r->arena, email, &user) == STORE_OK)
        account_send_token(r, user.id, user.email, "reset", "", ACCOUNT_RESET_MINUTES * 60,
                           "Reset your password",
                           "Someone (we hope you) asked to reset the password of your account. "
                           "To choose a new password, follow this link within an hour:",
                           "/reset",
                           "If you did not ask for this, ignore this message: your password "
                           "stays as it is.");
    /* The same page whether or not the account exists. */
    return account_message(r, 200, "Check your email",
                           "If an account uses that address, we have sent it a link to choose a "
                           "new password. The link works once, within an hour.",
                           "/login", "Back to log in", 0);
}

/* The reset work across its two halves. */
struct reset_state {
    const char *token_hash;
    const char *password;
    char hash[AUTH_HASH_BYTES];
    int status; /* token_status, or STORE_ERROR */
};

/* The form choosing the new password. */
static enum MHD_Result reset_form(struct req *r, unsigned status, const char *token,
                                  const char *error)
{
    json_t *ctx = account_context(r, "Choose a new password");
    json_object_set_new(ctx, "token", json_string(token));
    json_object_set_new(ctx, "errors", json_pack("{s:s}", "password", error ? error : ""));
    json_object_set_new(ctx, "has_errors", json_boolean(error != NULL));
    return account_send(r, status, "reset", ctx);
}

/* Job thread: hashes the new password, then, in one transaction, uses the token, sets the
 * password, ends every session of the account and voids its other reset links. */
static void reset_work(struct req *r)
{
    struct reset_state *s = r->work_state;
    struct store *st = r->app->store;
    if (auth_password_hash(s->password, s->hash) < 0 || store_begin(st) != STORE_OK) {
        s->status = STORE_ERROR;
        return;
    }
    int64_t user_id;
    s->status =
        store_token_consume(st, r->arena, "reset", s->token_hash, util_now(), &user_id, NULL);
    if (s->status == TOKEN_VALID &&
        (store_user_set_password_hash(st, user_id, s->hash) != STORE_OK ||
         store_session_delete_for_user(st, user_id, 0) != STORE_OK ||
         store_tokens_delete_for_user(st, user_id, "reset") != STORE_OK))
        s->status = STORE_ERROR;
    if (s->status != TOKEN_VALID)
        store_rollback(st);
    else if (store_commit(st) != STORE_OK)
        s->status = STORE_ERROR;
}

/* The page for a reset link that cannot be used, by why; each offers a new link. */
static enum MHD_Result bad_link(struct req *r, int status)
{
    switch (status) {
    case TOKEN_USED:
        return account_message(r, 410, "This link has already been used",
                               "Each link works once. Nothing was changed.", "/forgot",
                               "Ask for a new link", 1);
    case TOKEN_EXPIRED:
        return account_message(r, 410, "This link has expired",
                               "Reset links work for an hour. Nothing was changed.", "/forgot",
                               "Ask for a new link", 1);
    case STORE_ERROR: return respond_error(r, 500);
    default:
        return account_message(r, 400, "This link is not valid",
                               "It may have been copied incompletely. Nothing was changed.",
                               "/forgot", "Ask for a new link", 1);
    }
}

/* Says how it went. */
static enum MHD_Result reset_finish(struct req *r)
{
    struct reset_state *s = r->work_state;
    if (s->status != TOKEN_VALID) /* used or expired since the form was checked */
        return bad_link(r, s->status);
    if (r->reader) /* its session has just ended with the others */
        reader_sign_out(r);
    return respond_redirect(r, 303, "/login?done=reset");
}

enum MHD_Result page_reset(struct req *r)
{
    char hash[AUTH_TOKEN_HASH_HEX + 1];
    const char *token = account_link_token(r, hash);
    if (!token)
        return bad_link(r, TOKEN_UNKNOWN);
    /* Whose link it is, without using it: a link that can no longer be used says so before the
     * form is shown, and the new password is judged against the account's email and name. */
    int64_t user_id;
    struct user user;
    int status =
        store_token_peek(r->app->store, r->arena, "reset", hash, util_now(), &user_id, NULL);
    if (status == TOKEN_VALID) {
        int found = store_user_by_id(r->app->store, r->arena, user_id, &user);
        status = found == STORE_OK ? TOKEN_VALID : found == STORE_NOT_FOUND ? TOKEN_UNKNOWN : found;
    }
    if (status != TOKEN_VALID)
        return bad_link(r, status);
    if (r->method != METHOD_POST)
        return reset_form(r, 200, token, NULL);

    const struct form_field *pw = req_form_field(r, "password");
    const char *password = pw ? pw->value : "";
    const char *problem = (pw && pw->too_long)
                              ? "Use at most 256 bytes."
                              : auth_password_problem(password, user.email, user.display_name);
    if (problem)
        return reset_form(r, 422, token, problem);
    struct reset_state *s = arena_calloc(r->arena, 1, sizeof *s);
    s->token_hash = arena_strdup(r->arena, hash);
    s->password = password;
    r->work_state = s;
    return http_offload(r, reset_work, reset_finish);
}
