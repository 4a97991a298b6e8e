/*
 * page_register.c: /register (a new reader account), /verify (the link in the verification
 * email) and /verify-email (the link that confirms a changed address).
 *
 * Opening a link changes nothing: mail scanners and link previews open links. The page it opens
 * has one button, which posts the token back (with the CSRF token), and only that POST uses the
 * link. A link that can no longer be used (used, expired, unknown) says so when it is opened.
 *
 * A new account is signed in at once and reminded to verify its address until it does. The
 * account, its verification link, the mail carrying the link and the session are written in
 * one transaction: all of it or none of it, so a failure half-way leaves no account behind
 * that would make the address look taken. The email address is unique; two registrations
 * racing for one address are decided by the database's UNIQUE constraint, and the loser is told
 * next to the field, like any duplicate.
 */
#include <string.h>

#include "account.h"
#include "app.h"
#include "auth.h"
#include "http.h"
#include "mailer.h"
#include "pages.h"
#include "reader.h"
#include "render.h"
#include "respond.h"
#include "util.h"

#define REGISTER_PER_IP 10 /* new accounts per address per hour */

/* The registration form's fields and their problems, across the two halves of the work. */
struct register_state {
    const char *email;
    const char *name;
    const char *password;
    const char *errors[4]; /* email, name, password, form */
    int status;            /* STORE_OK, STORE_CONFLICT or STORE_ERROR after the work */
};

/* The form, refilled (never the password), with each problem next to its field. */
static enum MHD_Result register_form(struct req *r, unsigned status, const struct register_state *s)
{
    json_t *ctx = account_context(r, "Create your account");
    ctx = render_set(ctx, "values",
                     render_pack("{s:s, s:s}", "email", account_refill(s->email), "name",
                                 account_refill(s->name)));
    int any = 0;
    for (int i = 0; i < 4; i++)
        any |= s->errors[i] != NULL;
    ctx = render_set(ctx, "errors",
                     render_pack("{s:s, s:s, s:s, s:s}", "email", s->errors[0] ? s->errors[0] : "",
                                 "name", s->errors[1] ? s->errors[1] : "", "password",
                                 s->errors[2] ? s->errors[2] : "", "form",
                                 s->errors[3] ? s->errors[3] : ""));
    json_object_set_new(ctx, "has_errors", json_boolean(any));
    return account_send(r, status, "register", ctx);
}

/* Creates the account, its verification link and the mail carrying it, and signs the new
 * reader in, all in one transaction: STORE_OK, STORE_CONFLICT (the address is taken) or
 * STORE_ERROR, with nothing kept. The password is hashed already. */
static int create_account(struct req *r, struct register_state *s, const char *hash)
{
    struct store *st = r->app->store;
    struct reader *was = r->reader; /* a reader signed in as another account */
    if (store_begin(st) != STORE_OK)
        return STORE_ERROR;
    int64_t id;
    struct user user;
    int rc = store_user_create(st, s->email, s->name, hash, ROLE_READER, &id);
    if (rc == STORE_OK && store_user_by_id(st, r->arena, id, &user) != STORE_OK)
        rc = STORE_ERROR;
    if (rc == STORE_OK &&
        account_send_token(r, user.id, user.email, "verify", "", ACCOUNT_VERIFY_HOURS * 3600,
                           "Verify your email address",
                           "Welcome! Please confirm that this is your email address by "
                           "following this link:",
                           "/verify", "If you did not create an account, ignore this message.") < 0)
        rc = STORE_ERROR;
    if (rc == STORE_OK && reader_sign_in_session(r, &user) < 0)
        rc = STORE_ERROR;
    if (rc != STORE_OK) {
        store_rollback(st);
        r->reader = was; /* its session was only ended in what was rolled back */
        return rc;
    }
    if (store_commit(st) != STORE_OK) {
        r->reader = was;
        return STORE_ERROR;
    }
    reader_sign_in_cookie(r);
    mailer_wake(r->app->mailer);
    return STORE_OK;
}

/* Job thread: hashes the password (outside the transaction: it takes a tenth of a second,
 * and nobody waits for the write lock meanwhile), then creates the account. */
static void register_work(struct req *r)
{
    struct register_state *s = r->work_state;
    char hash[AUTH_HASH_BYTES];
    if (auth_password_hash(s->password, hash) < 0) {
        s->status = STORE_ERROR;
        return;
    }
    s->status = create_account(r, s, hash);
}

/* Says how it went: the account page, or the form with the problem. */
static enum MHD_Result register_finish(struct req *r)
{
    struct register_state *s = r->work_state;
    if (s->status == STORE_CONFLICT) {
        s->errors[0] = "An account with this email already exists. Log in, or use "
                       "\"Forgot your password?\".";
        return register_form(r, 422, s);
    }
    if (s->status != STORE_OK) {
        s->errors[3] = "Your account could not be created just now. Please try again.";
        return register_form(r, 500, s);
    }
    return respond_redirect(r, 303, "/account?done=welcome");
}

enum MHD_Result page_register(struct req *r)
{
    struct register_state *s = arena_calloc(r->arena, 1, sizeof *s);
    if (r->method != METHOD_POST) {
        s->email = s->name = "";
        return register_form(r, 200, s);
    }
    s->email = account_trim(r, req_form(r, "email"));
    s->name = account_trim(r, req_form(r, "name"));
    const struct form_field *pw = req_form_field(r, "password");
    s->password = pw ? pw->value : "";

    s->errors[0] = *s->email ? account_email_problem(s->email) : "Enter your email address.";
    s->errors[1] = account_name_problem(s->name);
    s->errors[2] = (pw && pw->too_long) ? "Use at most 256 bytes."
                                        : auth_password_problem(s->password, s->email, s->name);
    if (s->errors[0] || s->errors[1] || s->errors[2])
        return register_form(r, 422, s);
    s->email = auth_email_normalize(r->arena, s->email);

    char ip[64];
    account_client_key(r, ip, sizeof ip);
    int wait = account_limited(r, "register-ip", ip, REGISTER_PER_IP, 3600);
    if (wait)
        return account_refused(r, wait);
    r->work_state = s;
    return http_offload(r, register_work, register_finish);
}

/* The page for a link that cannot be used, by why. */
static enum MHD_Result bad_link(struct req *r, int status)
{
    switch (status) {
    case TOKEN_USED:
        return account_message(r, 410, "This link has already been used",
                               "Each link works once. Nothing was changed.", "/account",
                               "Go to My account", 1);
    case TOKEN_EXPIRED:
        return account_message(r, 410, "This link has expired",
                               "Nothing was changed. You can ask for a new link from My account.",
                               "/account", "Go to My account", 1);
    case STORE_ERROR: return respond_error(r, 500);
    default:
        return account_message(r, 400, "This link is not valid",
                               "It may have been copied incompletely. Nothing was changed.", "/",
                               "Go to the front page", 1);
    }
}

enum MHD_Result page_verify(struct req *r)
{
    char hash[AUTH_TOKEN_HASH_HEX + 1];
    const char *token = account_link_token(r, hash);
    if (!token)
        return bad_link(r, TOKEN_UNKNOWN);
    struct store *st = r->app->store;
    int64_t user_id;
    struct user user;
    if (r->method != METHOD_POST) {
        int status = store_token_peek(st, r->arena, "verify", hash, util_now(), &user_id, NULL);
        if (status == TOKEN_VALID && store_user_by_id(st, r->arena, user_id, &user) != STORE_OK)
            status = STORE_ERROR; /* deleting a user deletes its links: not a missing user */
        if (status != TOKEN_VALID)
            return bad_link(r, status);
        return account_confirm(
            r, "Verify your email address",
            arena_printf(r->arena, "Confirm that %s is your email address.", user.email), "/verify",
            token, "Verify my email address");
    }
    if (store_begin(st) != STORE_OK)
        return respond_error(r, 500);
    int64_t now = util_now();
    int status = store_token_consume(st, r->arena, "verify", hash, now, &user_id, NULL);
    if (status == TOKEN_VALID && store_user_mark_verified(st, user_id, now) != STORE_OK)
        status = STORE_ERROR;
    if (status != TOKEN_VALID) {
        store_rollback(st);
        return bad_link(r, status);
    }
    if (store_commit(st) != STORE_OK)
        return respond_error(r, 500);
    if (r->reader && r->reader->user.id == user_id) /* this page's masthead: no reminder */
        r->reader->user.email_verified_at = now;
    return account_message(r, 200, "Your email address is verified",
                           "Thank you. Your account is ready.", "/", "Read the latest news", 0);
}

/* Uses the email-change link whose hash is hash and, in the same transaction, moves the account
 * to its address, ends the account's other sessions (all but this browser's, when it is signed
 * in to that account), voids its pending links (reset and verification links sent to the old
 * address among them) and mails the old address a link that undoes the change
 * (page_password.c). Returns TOKEN_VALID, another token_status, STORE_CONFLICT (the address
 * was taken meanwhile) or STORE_ERROR; on anything but TOKEN_VALID nothing is changed. */
static int change_email(struct req *r, const char *hash)
{
    struct store *st = r->app->store;
    const char *email;
    struct user old;
    int64_t id, keep; /* the account; this browser's session when it is the account's, or 0 */
    int64_t now = util_now();
    if (store_begin(st) != STORE_OK)
        return STORE_ERROR;
    int rc = store_token_consume(st, r->arena, "email_change", hash, now, &id, &email);
    if (rc == TOKEN_VALID && store_user_by_id(st, r->arena, id, &old) != STORE_OK)
        rc = STORE_ERROR;
    if (rc == TOKEN_VALID) {
        int set = store_user_set_email(st, id, email, now);
        if (set != STORE_OK)
            rc = set == STORE_CONFLICT ? STORE_CONFLICT : STORE_ERROR;
    }
    keep = r->reader && r->reader->user.id == id ? r->reader->session.id : 0;
    if (rc == TOKEN_VALID &&
        (store_session_delete_for_user(st, id, keep) != STORE_OK ||
         store_tokens_void(st, id, NULL) != STORE_OK ||
         account_send_token(
             r, id, old.email, "email_undo", old.email, ACCOUNT_UNDO_DAYS * 86400,
             "Your email address has been changed",
             arena_printf(r->arena,
                          "The email address of your account at %s was changed to %s, and every "
                          "other device signed in to it was signed out. If that was you, there "
                          "is nothing to do. If it was not, follow this link within %d days to "
                          "make this address the account's again: every device will be signed "
                          "out, and you will choose a new password.",
                          r->app->site_url, email, ACCOUNT_UNDO_DAYS),
             "/restore-email", "The link works once.") < 0))
        rc = STORE_ERROR;
    if (rc != TOKEN_VALID) {
        store_rollback(st);
        return rc;
    }
    if (store_commit(st) != STORE_OK)
        return STORE_ERROR;
    mailer_wake(r->app->mailer);
    return TOKEN_VALID;
}

enum MHD_Result page_verify_email(struct req *r)
{
    char hash[AUTH_TOKEN_HASH_HEX + 1];
    const char *token = account_link_token(r, hash);
    if (!token)
        return bad_link(r, TOKEN_UNKNOWN);
    struct store *st = r->app->store;
    int64_t user_id;
    const char *email;
    if (r->method != METHOD_POST) {
        int status =
            store_token_peek(st, r->arena, "email_change", hash, util_now(), &user_id, &email);
        if (status != TOKEN_VALID)
            return bad_link(r, status);
        return account_confirm(
            r, "Confirm your new email address",
            arena_printf(r->arena, "Use %s as the email address of your account from now on.",
                         email),
            "/verify-email", token, "Use this address");
    }
    int rc = change_email(r, hash);
    if (rc == STORE_CONFLICT)
        return account_message(r, 409, "That address is taken",
                               "Another account now uses that email address. Nothing was "
                               "changed.",
                               "/account", "Go to My account", 1);
    if (rc != TOKEN_VALID)
        return bad_link(r, rc);
    return account_message(r, 200, "Your email address has been changed",
                           "From now on, log in with your new address. Every other device "
                           "signed in to your account has been signed out.",
                           "/account", "Go to My account", 0);
}
