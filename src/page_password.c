/*
 * page_password.c: "Forgot your password?" (/forgot), choosing a new one (/reset), and taking
 * an account back after its email address was changed (/restore-email).
 *
 * /forgot gives the same answer whether or not an account has the address, and is limited per
 * client address and per address asked about. The link is single-use and lives an hour; using
 * it sets the new password, ends every session of the account and voids its other reset links.
 * A used, expired or altered link gets a page saying so, with a way to ask for a new one, as
 * soon as it is opened: the form is only shown for a link that works. The new password follows
 * the one policy (auth_password_problem) with the account's email and name, as at registration
 * and on My account; the link is looked up for that without being used.
 *
 * An invitation to the staff (store_staff_invite, page_newsroom_staff.c) is a reset link whose
 * payload is "invite", living 7 days: its page says "set your password to join the newsroom",
 * using it also marks the address verified (the link reached it), and then log-in leads to the
 * newsroom.
 *
 * /restore-email is the undo link mailed to the old address when an account's address changes
 * (page_register.c), for its owner when someone else changed it: someone who had the session
 * and the password. Thought through as an attack on the link itself:
 *   - it restores only the address it was sent to, to the account it was made for, once, for
 *     ACCOUNT_UNDO_DAYS; only its page's button uses it (opening it changes nothing);
 *   - it outlives a password reset or change (store_tokens_void keeps undo links), since
 *     whoever holds the new address can reset the password through it; and while it is
 *     pending its address is held (store.h), so it cannot be blocked by registering the old
 *     address;
 *   - using it clears the password (the other person knows it), ends every session and voids
 *     every pending link, so they are out and cannot come back through a link of theirs; the
 *     reader is shown the reset form at once, with a new reset link's token;
 *   - undoing a later change (its undo link went to the intermediate address, perhaps theirs)
 *     voids the undo links made after it but never an earlier one: the first owner's link
 *     always works.
 */
#include <string.h>

#include "account.h"
#include "app.h"
#include "auth.h"
#include "http.h"
#include "pages.h"
#include "reader.h"
#include "render.h"
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
    const char *problem = account_email_problem(email);
    if (problem)
        return forgot_form(r, 422, email, problem);
    email = auth_email_normalize(r->arena, email);

    char ip[64];
    account_client_key(r, ip, sizeof ip);
    int wait = account_limited(r, "forgot-ip", ip, FORGOT_PER_IP, 3600);
    if (!wait)
        wait = account_limited(r, "forgot-account", email, FORGOT_PER_ACCOUNT, 3600);
    if (wait)
        return account_refused(r, wait);

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
    int invite; /* the link was an invitation to the staff (payload "invite") */
};

/* 1 if a reset token's payload marks it an invitation to the newsroom's staff
 * (store_staff_invite), whose page and mail say "join the newsroom". */
static int is_invite(const char *payload)
{
    return payload && !strcmp(payload, "invite");
}

/* The form choosing the new password, with an error or a notice (either may be NULL). */
static enum MHD_Result reset_form(struct req *r, unsigned status, const char *token,
                                  const char *error, const char *notice, int invite)
{
    json_t *ctx = account_context(r, invite ? "Set your password to join the newsroom"
                                            : "Choose a new password");
    json_object_set_new(ctx, "token", json_string(token));
    json_object_set_new(ctx, "invite", json_boolean(invite));
    json_object_set_new(ctx, "notice", json_boolean(notice != NULL));
    json_object_set_new(ctx, "notice_message", json_string(notice ? notice : ""));
    ctx = render_set(ctx, "errors", render_pack("{s:s}", "password", error ? error : ""));
    json_object_set_new(ctx, "has_errors", json_boolean(error != NULL));
    return account_send(r, status, "reset", ctx);
}

/* Job thread: hashes the new password, then, in one transaction, uses the token, sets the
 * password, ends every session of the account and voids its pending links (an email change
 * asked for by whoever knew the old password among them; not its undo links, store.h). */
static void reset_work(struct req *r)
{
    struct reset_state *s = r->work_state;
    struct store *st = r->app->store;
    if (auth_password_hash(s->password, s->hash) < 0 || store_begin(st) != STORE_OK) {
        s->status = STORE_ERROR;
        return;
    }
    int64_t user_id, now = util_now();
    const char *payload = "";
    s->status = store_token_consume(st, r->arena, "reset", s->token_hash, now, &user_id, &payload);
    s->invite = is_invite(payload);
    /* An invitation's link reached the address: it counts as verified. */
    if (s->status == TOKEN_VALID && s->invite &&
        store_user_mark_verified(st, user_id, now) != STORE_OK)
        s->status = STORE_ERROR;
    if (s->status == TOKEN_VALID &&
        (store_user_set_password_hash(st, user_id, s->hash) != STORE_OK ||
         store_session_delete_for_user(st, user_id, 0) != STORE_OK ||
         store_tokens_void(st, user_id, NULL) != STORE_OK))
        s->status = STORE_ERROR;
    if (s->status != TOKEN_VALID)
        store_rollback(st);
    else if (store_commit(st) != STORE_OK)
        s->status = STORE_ERROR;
}

/* The page for a reset link that cannot be used, by why; each offers a new link (an
 * invitation's: asking an administrator for a new one). */
static enum MHD_Result bad_link(struct req *r, int status, int invite)
{
    if (invite && (status == TOKEN_USED || status == TOKEN_EXPIRED))
        return account_message(
            r, 410,
            status == TOKEN_USED ? "This invitation has already been used"
                                 : "This invitation has expired",
            status == TOKEN_USED
                ? "Each invitation works once: log in with the password you chose, or ask for "
                  "a password reset. Nothing was changed."
                : "Invitations to the newsroom work for 7 days. Ask an administrator of the "
                  "newsroom to invite you again. Nothing was changed.",
            status == TOKEN_USED ? "/login" : "/", status == TOKEN_USED ? "Log in" : "Front page",
            1);
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
        return bad_link(r, s->status, s->invite);
    if (r->reader) /* its session has just ended with the others */
        reader_sign_out(r);
    return respond_redirect(r, 303,
                            s->invite ? "/login?done=invite&next=/newsroom" : "/login?done=reset");
}

enum MHD_Result page_reset(struct req *r)
{
    char hash[AUTH_TOKEN_HASH_HEX + 1];
    const char *token = account_link_token(r, hash);
    if (!token)
        return bad_link(r, TOKEN_UNKNOWN, 0);
    /* Whose link it is, without using it: a link that can no longer be used says so before the
     * form is shown, and the new password is judged against the account's email and name. */
    int64_t user_id;
    struct user user;
    const char *payload = "";
    int status =
        store_token_peek(r->app->store, r->arena, "reset", hash, util_now(), &user_id, &payload);
    int invite = is_invite(payload);
    if (status == TOKEN_VALID) {
        int found = store_user_by_id(r->app->store, r->arena, user_id, &user);
        status = found == STORE_OK ? TOKEN_VALID : found == STORE_NOT_FOUND ? TOKEN_UNKNOWN : found;
    }
    if (status != TOKEN_VALID)
        return bad_link(r, status, invite);
    if (r->method != METHOD_POST)
        return reset_form(r, 200, token, NULL, NULL, invite);

    const struct form_field *pw = req_form_field(r, "password");
    const char *password = pw ? pw->value : "";
    const char *problem = (pw && pw->too_long)
                              ? "Use at most 256 bytes."
                              : auth_password_problem(password, user.email, user.display_name);
    if (problem)
        return reset_form(r, 422, token, problem, NULL, invite);
    struct reset_state *s = arena_calloc(r->arena, 1, sizeof *s);
    s->token_hash = arena_strdup(r->arena, hash);
    s->password = password;
    r->work_state = s;
    return http_offload(r, reset_work, reset_finish);
}

/* The page for an undo link that cannot be used, by why. */
static enum MHD_Result bad_undo_link(struct req *r, int status)
{
    switch (status) {
    case TOKEN_USED:
        return account_message(r, 410, "This link has already been used",
                               "Each link works once. Nothing was changed.", "/login", "Log in", 1);
    case TOKEN_EXPIRED:
        return account_message(r, 410, "This link has expired",
                               "Links that restore an email address work for 7 days. Nothing "
                               "was changed.",
                               "/forgot", "Forgot your password?", 1);
    case STORE_ERROR: return respond_error(r, 500);
    default:
        return account_message(r, 400, "This link is not valid",
                               "It may have been copied incompletely, or been replaced by a later "
                               "change to the account. Nothing was changed.",
                               "/", "Go to the front page", 1);
    }
}

/* Uses the undo link whose hash is hash and, in one transaction, gives its account back its old
 * address (counted as verified: the link reached it), clears the password (whoever changed the
 * address knows it), ends every session, voids the pending links (and the undo links of later
 * changes, store_tokens_void) and makes a reset link, whose token goes into reset_token for the
 * form that follows. Returns TOKEN_VALID with the account in *user_id and the address in
 * *address, another token_status, STORE_CONFLICT or STORE_ERROR; on anything but TOKEN_VALID
 * nothing is changed. */
static int restore_email(struct req *r, const char *hash, int64_t *user_id, const char **address,
                         char reset_token[AUTH_TOKEN_CHARS + 1])
{
    struct store *st = r->app->store;
    char reset_hash[AUTH_TOKEN_HASH_HEX + 1];
    int64_t now = util_now();
    auth_token_new(reset_token, reset_hash);
    if (store_begin(st) != STORE_OK)
        return STORE_ERROR;
    int rc = store_token_consume(st, r->arena, "email_undo", hash, now, user_id, address);
    if (rc == TOKEN_VALID) {
        int set = store_user_set_email(st, *user_id, *address, now);
        if (set != STORE_OK)
            rc = set == STORE_CONFLICT ? STORE_CONFLICT : STORE_ERROR;
    }
    if (rc == TOKEN_VALID && (store_user_set_password_hash(st, *user_id, "") != STORE_OK ||
                              store_session_delete_for_user(st, *user_id, 0) != STORE_OK ||
                              store_tokens_void(st, *user_id, hash) != STORE_OK ||
                              store_token_create(st, *user_id, "reset", reset_hash, "", now,
                                                 now + ACCOUNT_RESET_MINUTES * 60) != STORE_OK))
        rc = STORE_ERROR;
    if (rc != TOKEN_VALID) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st) == STORE_OK ? TOKEN_VALID : STORE_ERROR;
}

enum MHD_Result page_restore_email(struct req *r)
{
    char hash[AUTH_TOKEN_HASH_HEX + 1];
    const char *token = account_link_token(r, hash);
    if (!token)
        return bad_undo_link(r, TOKEN_UNKNOWN);
    int64_t user_id;
    const char *address;
    if (r->method != METHOD_POST) {
        int status = store_token_peek(r->app->store, r->arena, "email_undo", hash, util_now(),
                                      &user_id, &address);
        if (status != TOKEN_VALID)
            return bad_undo_link(r, status);
        return account_confirm(
            r, "Restore your email address",
            arena_printf(r->arena,
                         "Make %s the email address of your account again. Every device signed "
                         "in to the account will be signed out, every pending link cancelled, "
                         "and you will choose a new password.",
                         address),
            "/restore-email", token, "Restore my address");
    }
    char reset_token[AUTH_TOKEN_CHARS + 1];
    int status = restore_email(r, hash, &user_id, &address, reset_token);
    if (status == STORE_CONFLICT)
        return account_message(r, 409, "That address is taken",
                               "Another account uses that email address, so it cannot be "
                               "restored. Nothing was changed.",
                               "/", "Go to the front page", 1);
    if (status != TOKEN_VALID)
        return bad_undo_link(r, status);
    if (r->reader && r->reader->user.id == user_id) /* its session has just ended */
        reader_sign_out(r);
    return reset_form(r, 200, reset_token, NULL,
                      arena_printf(r->arena,
                                   "%s is your account's email address again, and every device "
                                   "has been signed out. Choose a new password to log in: the "
                                   "old one no longer works.",
                                   address),
                      0);
}
