/*
 * page_login.c: /login and /logout.
 *
 * A failed log-in says only "the email or password is incorrect": never which. An unknown
 * email still costs one argon2id verification (against a dummy hash), so the answer takes as
 * long as for a real account. Attempts are limited per client address and per account (429
 * with Retry-After; the account's allowance is shared with My account's forms that check the
 * password, account_password_limited). The hash runs on the job pool, off the HTTP threads.
 * A disabled account (users.disabled_at) is refused, with a message saying so only once the
 * password was right, and no session is made.
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

/* What the log-in work found, kept in r->work_state between its two halves. */
struct login_state {
    const char *email;
    const char *password;
    const char *next;
    int ok;
    struct user user;
};

/* The log-in form with an optional error or notice. */
static enum MHD_Result login_form(struct req *r, unsigned status, const char *email,
                                  const char *next, const char *error, const char *notice)
{
    json_t *ctx = account_context(r, "Log in");
    json_object_set_new(ctx, "email", json_string(account_refill(email)));
    json_object_set_new(ctx, "next", json_string(account_safe_next(next)));
    json_object_set_new(ctx, "error", json_boolean(error != NULL));
    json_object_set_new(ctx, "error_message", json_string(error ? error : ""));
    json_object_set_new(ctx, "notice", json_boolean(notice != NULL));
    json_object_set_new(ctx, "notice_message", json_string(notice ? notice : ""));
    return account_send(r, status, "login", ctx);
}

/* Job thread: looks the account up and verifies the password (or the dummy). */
static void login_work(struct req *r)
{
    struct login_state *s = r->work_state;
    struct store *st = r->app->store;
    int found =
        store_user_by_email(st, r->arena, s->email, &s->user) == STORE_OK && *s->user.password_hash;
    if (!found) {
        auth_password_dummy_verify(s->password);
        return;
    }
    s->ok = auth_password_verify(s->user.password_hash, s->password) == 1;
    if (s->ok && auth_password_needs_rehash(s->user.password_hash)) {
        char hash[AUTH_HASH_BYTES];
        if (auth_password_hash(s->password, hash) == 0)
            store_user_set_password_hash(st, s->user.id, hash);
    }
}

/* HTTP thread: signs in, or shows the form again. */
static enum MHD_Result login_finish(struct req *r)
{
    struct login_state *s = r->work_state;
    if (!s->ok)
        return login_form(r, 200, s->email, s->next, "The email or password is incorrect.", NULL);
    /* Said only to whoever knows the password: to anyone else a disabled account looks like any
     * other wrong guess. No session is made. */
    if (s->user.disabled_at)
        return login_form(r, 403, s->email, s->next,
                          "This account has been disabled. Ask an administrator of the newsroom "
                          "if you think it should not be.",
                          NULL);
    if (reader_sign_in(r, &s->user) < 0)
        return respond_error(r, 500);
    return respond_redirect(r, 303, account_safe_next(s->next));
}

enum MHD_Result page_login(struct req *r)
{
    if (r->method != METHOD_POST) {
        const char *notice = NULL;
        const char *done = req_query(r, "done");
        if (done && !strcmp(done, "reset"))
            notice = "Your password has been changed. Log in with your new password.";
        else if (done && !strcmp(done, "invite"))
            notice = "Your password is set. Log in to open the newsroom.";
        return login_form(r, 200, "", req_query(r, "next"), NULL, notice);
    }
    struct login_state *s = arena_calloc(r->arena, 1, sizeof *s);
    s->next = req_form(r, "next");
    const char *email = account_trim(r, req_form(r, "email"));
    s->password = req_form(r, "password");
    if (!*email || !s->password || !*s->password)
        return login_form(r, 200, email, s->next, "Enter your email and password.", NULL);
    s->email = auth_email_valid(email) ? auth_email_normalize(r->arena, email) : email;

    int wait = account_password_limited(r, s->email, 0);
    if (wait)
        return account_refused(r, wait);
    if (strlen(s->password) > AUTH_PASSWORD_MAX_BYTES) /* never a valid password: no hash */
        s->password = "";
    r->work_state = s;
    return http_offload(r, login_work, login_finish);
}

enum MHD_Result page_logout(struct req *r)
{
    reader_sign_out(r);
    return respond_redirect(r, 303, "/");
}
