/*
 * page_account.c: "My account" (/account) and its forms: display name, email (re-verified:
 * the change takes effect from a link sent to the new address, and the current address is told
 * of the request and how to stop it), password (needs the current one; ends every other
 * session, voids the account's pending links and renews this session's token), the sessions
 * list (end one, or all others), a new verification link, and deleting the account with its
 * sessions and tokens.
 *
 * The forms that check the current password (email, password, delete) are limited per account
 * and per client address like log-in (account_password_limited), and the email form's mails
 * per account and per address mailed. The email form answers the same whether or not another
 * account has the address: that address's owner is told someone tried, the requester is not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "account.h"
#include "app.h"
#include "auth.h"
#include "http.h"
#include "mailer.h"
#include "pages.h"
#include "paywall.h"
#include "reader.h"
#include "render.h"
#include "respond.h"
#include "util.h"

#define RESEND_PER_ACCOUNT 3        /* verification links per account per hour */
#define EMAIL_CHANGES_PER_ACCOUNT 5 /* email-change requests (each mails) per account per hour */
#define EMAIL_CHANGES_PER_ADDRESS 3 /* … mailing one address, from any account, per hour */

/* What a finished form reports on the account page (?done=CODE): a fixed set, so the query
 * can never put text of its own on the page. */
static const char *done_message(const char *code)
{
    static const struct {
        const char *code, *message;
    } messages[] = {
        {"welcome", "Welcome! Your account is ready. We have sent you a link to verify your "
                    "email address."},
        {"name", "Your name has been saved."},
        {"email-sent", "We have sent a link to your new address. Your email changes when you "
                       "follow it."},
        {"password", "Your password has been changed. You have been signed out everywhere "
                     "else."},
        {"sessions", "Done: that session has ended."},
        {"verify-sent", "We have sent you a new verification link."},
        {"subscribed", "Thank you for subscribing! Your subscription starts as soon as the "
                       "payment is confirmed, usually within a minute."},
    };
    for (size_t i = 0; code && i < ARRAY_LEN(messages); i++)
        if (!strcmp(code, messages[i].code))
            return messages[i].message;
    return NULL;
}

/* The reader's subscription for the account page: plan, status and dates, and whether Stripe's
 * billing page can manage it. */
static json_t *subscription_context(struct req *r)
{
    struct subscription sub;
    int64_t now = util_now();
    if (store_subscription_current(r->app->store, r->arena, r->reader->user.id, now, &sub) !=
        STORE_OK)
        return render_pack("{s:b}", "has", 0);
    struct plan plan;
    const char *plan_name = sub.plan_slug;
    if (store_plan_by_slug(r->app->store, r->arena, sub.plan_slug, &plan) == STORE_OK)
        plan_name = plan.name;
    int active = access_subscription_active(&sub, now);
    int stripe = *sub.stripe_customer_id != '\0';
    const char *status = active ? "Active"
                         : !strcmp(sub.status, "past_due")
                             ? "Payment failed: please update your payment details"
                             : "Ended";
    char iso[32], date[64];
    render_dates(sub.current_period_end, iso, sizeof iso, date, sizeof date);
    const char *ends =
        active ? arena_printf(r->arena, "%s %s", stripe ? "Renews on" : "Runs until", date)
               : arena_printf(r->arena, "Ended on %s", date);
    if (!active && !strcmp(sub.status, "past_due"))
        ends = arena_printf(r->arena, "Paid until %s", date);
    return render_pack("{s:b, s:s, s:s, s:s, s:b}", "has", 1, "plan_name", plan_name,
                       "status_label", status, "ends_label", ends, "manage",
                       stripe && *r->app->config->stripe_secret_key);
}

/* Field errors and refills for the account page, when a form failed. */
struct account_errors {
    const char *name, *email, *password, *delete;
    const char *name_value, *email_value;
};

/* The account page. */
static enum MHD_Result account_page(struct req *r, unsigned status,
                                    const struct account_errors *errors, const char *notice)
{
    const struct user *u = &r->reader->user;
    json_t *ctx = account_context(r, "My account");
    json_t *reader = json_object_get(ctx, "reader");
    json_object_set_new(reader, "created_display",
                        json_string(render_when(r->arena, u->created_at)));
    if (errors && errors->name_value)
        json_object_set_new(reader, "name", json_string(account_refill(errors->name_value)));
    json_object_set_new(ctx, "verify_reminder", json_boolean(u->email_verified_at == 0));
    json_object_set_new(ctx, "notice", json_boolean(notice != NULL));
    json_object_set_new(ctx, "notice_message", json_string(notice ? notice : ""));
    int any = errors && (errors->name || errors->email || errors->password || errors->delete);
    json_object_set_new(ctx, "error", json_boolean(any));
    json_object_set_new(ctx, "error_message",
                        json_string(any ? "Please correct the problem below." : ""));
    ctx = render_set(ctx, "errors",
                     render_pack("{s:s, s:s, s:s, s:s}", "name",
                                 errors && errors->name ? errors->name : "", "email",
                                 errors && errors->email ? errors->email : "", "password",
                                 errors && errors->password ? errors->password : "", "delete",
                                 errors && errors->delete ? errors->delete : ""));
    json_object_set_new(
        ctx, "new_email",
        json_string(errors && errors->email_value ? account_refill(errors->email_value) : ""));

    ctx = render_set(ctx, "subscription", subscription_context(r));
    char ip[64];
    req_client_ip(r, ip, sizeof ip);
    const char *institution = paywall_institution(r->app->paywall, r->arena, ip);
    ctx = render_set(ctx, "institution",
                     render_pack("{s:b, s:s}", "has", institution != NULL, "name",
                                 institution ? institution : ""));

    struct session *sessions;
    size_t n = 0;
    json_t *list = json_array();
    int others = 0;
    if (store_sessions_for_user(r->app->store, r->arena, u->id, &sessions, &n) == STORE_OK) {
        for (size_t i = 0; i < n; i++) {
            int current = sessions[i].id == r->reader->session.id;
            others |= !current;
            list = render_append(
                list,
                render_pack("{s:I, s:s, s:s, s:s, s:b}", "id", (json_int_t)sessions[i].id,
                            "user_agent",
                            *sessions[i].user_agent ? sessions[i].user_agent : "Unknown browser",
                            "created_display", render_when(r->arena, sessions[i].created_at),
                            "last_seen_display", render_when(r->arena, sessions[i].last_seen_at),
                            "current", current));
        }
    }
    ctx = render_set(ctx, "sessions", list);
    json_object_set_new(ctx, "has_other_sessions", json_boolean(others));
    return account_send(r, status, "account", ctx);
}

enum MHD_Result page_account(struct req *r)
{
    return account_page(r, 200, NULL, done_message(req_query(r, "done")));
}

enum MHD_Result page_account_name(struct req *r)
{
    const char *name = account_trim(r, req_form(r, "name"));
    struct account_errors errors = {.name = account_name_problem(name), .name_value = name};
    if (errors.name)
        return account_page(r, 422, &errors, NULL);
    if (store_user_set_name(r->app->store, r->reader->user.id, name) != STORE_OK)
        return respond_error(r, 500);
    return respond_redirect(r, 303, "/account?done=name");
}

enum MHD_Result page_account_verify(struct req *r)
{
    const struct user *u = &r->reader->user;
    if (u->email_verified_at)
        return respond_redirect(r, 303, "/account");
    int wait = account_limited(r, "verify-account", u->email, RESEND_PER_ACCOUNT, 3600);
    if (wait)
        return account_refused(r, wait);
    store_tokens_delete_for_user(r->app->store, u->id, "verify");
    account_send_token(
        r, u->id, u->email, "verify", "", ACCOUNT_VERIFY_HOURS * 3600, "Verify your email address",
        "Please confirm that this is your email address by following this link:", "/verify",
        "If you did not ask for this, ignore this message.");
    return respond_redirect(r, 303, "/account?done=verify-sent");
}

/* Work for the forms that need the current password: email, password and delete. */
struct password_form {
    const char *password;     /* the current password as typed */
    const char *new_password; /* password form */
    const char *new_email;    /* email form */
    char hash[AUTH_HASH_BYTES];
    int ok;     /* the current password matched */
    int failed; /* a store or hash failure */
    enum MHD_Result (*finish)(struct req *r);
};

/* Checks the current password, and hashes the new one for the password form (the job pool: the
 * forms' POSTs run there, ROUTE_JOB_POST, and http_offload runs this in place). */
static void password_work(struct req *r)
{
    struct password_form *f = r->work_state;
    f->ok = auth_password_verify(r->reader->user.password_hash, f->password) == 1;
    if (f->ok && f->new_password && auth_password_hash(f->new_password, f->hash) < 0)
        f->failed = 1;
}

/* Sends the link confirming new_email to that address and tells u's current address that the
 * change was asked for (and how to stop it), replacing any earlier request: one transaction.
 * Returns 0 or -1. */
static int request_change(struct req *r, const struct user *u, const char *new_email)
{
    struct store *st = r->app->store;
    const char *notice = arena_printf(
        r->arena,
        "Someone signed in to your account at %s asked to use %s as its email address instead "
        "of this one. The change takes effect only once the link we sent to that address is "
        "followed.\n\nIf that was you, there is nothing to do.\n\nIf it was not, someone knows "
        "your password. Choose a new one now, at %s/forgot: that cancels the change and signs "
        "out every device.",
        r->app->site_url, new_email, r->app->site_url);
    if (store_begin(st) != STORE_OK)
        return -1;
    if (store_tokens_delete_for_user(st, u->id, "email_change") != STORE_OK ||
        account_send_token(r, u->id, new_email, "email_change", new_email,
                           ACCOUNT_VERIFY_HOURS * 3600, "Confirm your new email address",
                           "Please confirm that you want to use this address for your account "
                           "by following this link:",
                           "/verify-email",
                           "If you did not ask for this, ignore this message: nothing changes.") <
            0 ||
        account_mail_notice(r, u->email, "A change of your email address was requested", notice) <
            0) {
        store_rollback(st);
        return -1;
    }
    if (store_commit(st) != STORE_OK)
        return -1;
    mailer_wake(r->app->mailer);
    return 0;
}

/* Tells the owner of `address`, which another account already has, that someone asked to use it
 * for theirs: nothing changed, and the requester is told nothing (the same answer as for a free
 * address), so the form is no oracle of who has an account. Returns 0 or -1. */
static int tell_taken(struct req *r, const char *address)
{
    const char *text = arena_printf(
        r->arena,
        "Someone signed in to an account at %s asked to use this email address for it. This "
        "address already belongs to an account here, so nothing was changed, and they were not "
        "told.\n\nIf that was you, log in with this address instead (or choose a new password "
        "at %s/forgot). If it was not, you can ignore this message.",
        r->app->site_url, r->app->site_url);
    return account_mail_notice(r, address, "Someone tried to use your email address", text);
}

/* The email form, once the password was checked: the link to the new address, or, when another
 * account has it, a word to that address instead; the same answer either way. */
static enum MHD_Result email_finish(struct req *r)
{
    struct password_form *f = r->work_state;
    const struct user *u = &r->reader->user;
    if (!f->ok) {
        struct account_errors errors = {.email = "Your current password is not correct.",
                                        .email_value = f->new_email};
        return account_page(r, 422, &errors, NULL);
    }
    /* Only requests with the right password count here: a wrong one mails nothing, and its
     * guess was counted already (account_password_limited). */
    int wait =
        account_limited(r, "email-change-account", u->email, EMAIL_CHANGES_PER_ACCOUNT, 3600);
    if (!wait)
        wait = account_limited(r, "email-change-address", f->new_email, EMAIL_CHANGES_PER_ADDRESS,
                               3600);
    if (wait)
        return account_refused(r, wait);
    struct user other;
    int found = store_user_by_email(r->app->store, r->arena, f->new_email, &other);
    if (found == STORE_ERROR)
        return respond_error(r, 500);
    int rc = found == STORE_OK && other.id != u->id ? tell_taken(r, f->new_email)
                                                    : request_change(r, u, f->new_email);
    if (rc < 0)
        return respond_error(r, 500);
    return respond_redirect(r, 303, "/account?done=email-sent");
}

/* The password form, once the current password was checked: in one transaction, sets the new
 * one, ends every other session, voids the account's pending links (an email change asked for
 * by someone who knew the old password among them) and renews this session's token. */
static enum MHD_Result password_finish(struct req *r)
{
    struct password_form *f = r->work_state;
    struct store *st = r->app->store;
    if (!f->ok) {
        struct account_errors errors = {.password = "Your current password is not correct."};
        return account_page(r, 422, &errors, NULL);
    }
    struct reader *was = r->reader;
    struct user u = r->reader->user;
    u.password_hash = arena_strdup(r->arena, f->hash);
    if (f->failed || store_begin(st) != STORE_OK)
        return respond_error(r, 500);
    if (store_user_set_password_hash(st, u.id, f->hash) != STORE_OK ||
        store_session_delete_for_user(st, u.id, was->session.id) != STORE_OK ||
        store_tokens_void(st, u.id, NULL) != STORE_OK ||
        reader_sign_in_session(r, &u) < 0) { /* a new token for the new credentials */
        store_rollback(st);
        r->reader = was;
        return respond_error(r, 500);
    }
    if (store_commit(st) != STORE_OK) {
        r->reader = was;
        return respond_error(r, 500);
    }
    reader_sign_in_cookie(r);
    return respond_redirect(r, 303, "/account?done=password");
}

/* The delete form, once the password was checked. */
static enum MHD_Result delete_finish(struct req *r)
{
    struct password_form *f = r->work_state;
    if (!f->ok) {
        struct account_errors errors = {.delete = "Your password is not correct."};
        return account_page(r, 422, &errors, NULL);
    }
    if (store_user_delete(r->app->store, r->reader->user.id) != STORE_OK)
        return respond_error(r, 500);
    r->reader = NULL; /* its session went with it */
    reader_sign_out(r);
    return account_message(r, 200, "Your account has been deleted",
                           "Your account, its sessions and its pending links are gone. Thank "
                           "you for reading.",
                           "/", "Go to the front page", 0);
}

/* Starts one of the forms that need the current password: counts the check against the
 * account's and the client's allowance (429 once spent), then checks it off the HTTP thread. */
static enum MHD_Result with_password(struct req *r, struct password_form *f)
{
    int wait = account_password_limited(r, r->reader->user.email, 1);
    if (wait)
        return account_refused(r, wait);
    if (strlen(f->password) > AUTH_PASSWORD_MAX_BYTES)
        f->password = "";
    r->work_state = f;
    return http_offload(r, password_work, f->finish);
}

enum MHD_Result page_account_email(struct req *r)
{
    struct password_form *f = arena_calloc(r->arena, 1, sizeof *f);
    const char *email = account_trim(r, req_form(r, "email"));
    const char *password = req_form(r, "password");
    f->password = password ? password : "";
    const char *problem = account_email_problem(email);
    if (problem) {
        struct account_errors errors = {.email = problem, .email_value = email};
        return account_page(r, 422, &errors, NULL);
    }
    f->new_email = auth_email_normalize(r->arena, email);
    if (!strcmp(f->new_email, r->reader->user.email)) {
        struct account_errors errors = {.email = "That is already your email address.",
                                        .email_value = email};
        return account_page(r, 422, &errors, NULL);
    }
    f->finish = email_finish;
    return with_password(r, f);
}

enum MHD_Result page_account_password(struct req *r)
{
    struct password_form *f = arena_calloc(r->arena, 1, sizeof *f);
    const char *current = req_form(r, "current_password");
    const struct form_field *pw = req_form_field(r, "new_password");
    f->password = current ? current : "";
    f->new_password = pw ? pw->value : "";
    const char *problem = (pw && pw->too_long)
                              ? "Use at most 256 bytes."
                              : auth_password_problem(f->new_password, r->reader->user.email,
                                                      r->reader->user.display_name);
    if (problem) {
        struct account_errors errors = {.password = problem};
        return account_page(r, 422, &errors, NULL);
    }
    f->finish = password_finish;
    return with_password(r, f);
}

enum MHD_Result page_account_delete(struct req *r)
{
    struct password_form *f = arena_calloc(r->arena, 1, sizeof *f);
    const char *password = req_form(r, "password");
    f->password = password ? password : "";
    f->finish = delete_finish;
    return with_password(r, f);
}

enum MHD_Result page_account_sessions(struct req *r)
{
    struct store *st = r->app->store;
    const char *which = req_form(r, "session_id");
    int64_t me = r->reader->user.id;
    if (which && !strcmp(which, "others")) {
        if (store_session_delete_for_user(st, me, r->reader->session.id) != STORE_OK)
            return respond_error(r, 500);
        return respond_redirect(r, 303, "/account?done=sessions");
    }
    char *end;
    long long id = which ? strtoll(which, &end, 10) : 0;
    if (!which || !*which || *end || id <= 0)
        return respond_error(r, 400);
    /* Only a session of this account may be ended from here. */
    struct session *sessions;
    size_t n;
    if (store_sessions_for_user(st, r->arena, me, &sessions, &n) != STORE_OK)
        return respond_error(r, 500);
    for (size_t i = 0; i < n; i++) {
        if (sessions[i].id != id)
            continue;
        store_session_delete(st, id);
        if (id == r->reader->session.id) {
            reader_sign_out(r);
            return respond_redirect(r, 303, "/");
        }
        return respond_redirect(r, 303, "/account?done=sessions");
    }
    return respond_error(r, 404);
}
