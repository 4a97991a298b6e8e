/*
 * page_newsroom_staff.c: the newsroom's staff (/newsroom/staff), for admins only (the route
 * table's NEED_ADMIN): who is on it (writers, editors, admins) with their role and state
 * (active, invited: no password yet, or disabled), inviting someone by email, changing a role,
 * disabling an account and enabling it again.
 *
 * An invitation creates the account with the chosen role and no password, and mails a link to
 * set one: a password-reset link (page_password.c) whose token's payload is "invite", living
 * ACCOUNT_INVITE_DAYS instead of an hour; its page says "set your password to join the
 * newsroom". The account, its link, the mail (queued) and the audit entry are one transaction.
 *
 * An address that already has an account is never changed silently. A reader's account is
 * shown back with a question: make that account staff with the chosen role (it keeps its
 * password; its sessions end, a mail tells its owner)? Only the answer's second post
 * (promote=1) changes it. A staff account's address is refused, pointing at the list's role
 * form.
 *
 * The store refuses to demote or disable the last enabled admin (store_staff_set_role,
 * store_staff_set_disabled), whoever asks: an admin cannot lock the newsroom out of its own
 * administration. Disabling ends every session of the account at once; its log-in is refused.
 * Every action writes an audit entry in its own transaction; no token or password goes into it.
 */
#include <string.h>

#include "account.h"
#include "app.h"
#include "auth.h"
#include "mailer.h"
#include "newsroom.h"
#include "pages.h"
#include "reader.h"
#include "render.h"
#include "respond.h"
#include "util.h"

#define ACCOUNT_INVITE_DAYS 7 /* an invitation's link lives this long */

/* What a finished action reports on the staff page (?done=CODE): a fixed set, so the query
 * can never put text of its own on the page. */
static const char *done_message(const char *code)
{
    static const struct {
        const char *code, *message;
    } messages[] = {
        {"invited", "Invitation sent. The link in it works for 7 days."},
        {"promoted", "Done: that account is now on the staff. Its owner has been told by email."},
        {"role", "Role changed. That account's sessions have ended: the new role applies from its "
                 "next log-in."},
        {"disabled", "Account disabled: its sessions have ended and it can no longer log in."},
        {"enabled", "Account enabled: it can log in again."},
        {"unchanged", "Nothing to change: it already was so."},
    };
    for (size_t i = 0; code && i < ARRAY_LEN(messages); i++)
        if (!strcmp(code, messages[i].code))
            return messages[i].message;
    return NULL;
}

/* The staff roles (and reader, when with_reader: taking an account off the staff) as options
 * of a <select>, role selected. */
static json_t *role_options(enum role selected, int with_reader)
{
    json_t *options = json_array();
    for (int role = with_reader ? ROLE_READER : ROLE_WRITER; role <= ROLE_ADMIN; role++)
        options = render_append(options,
                                render_pack("{s:s, s:b}", "name", store_role_name((enum role)role),
                                            "selected", role == (int)selected));
    return options;
}

/* What the invitation form shows again after a refusal, and the question for an address that
 * has a reader's account (confirm). */
struct invite_form {
    const char *email, *name;
    enum role role;
    const char *error;   /* refused: why */
    const char *confirm; /* a reader's account has the address: the question */
};

/* The staff page: the list, the invitation form, and a notice or an error. */
static enum MHD_Result staff_page(struct req *r, unsigned status, const struct invite_form *form,
                                  const char *error)
{
    struct user *staff = NULL;
    size_t n = 0;
    if (store_staff(r->app->store, r->arena, &staff, &n) != STORE_OK)
        return respond_error(r, 500);
    json_t *ctx = newsroom_context(r, "staff", "Staff");
    json_t *list = json_array();
    int64_t self = r->reader ? r->reader->user.id : 0;
    for (size_t i = 0; i < n; i++) {
        const struct user *u = &staff[i];
        const char *state = u->disabled_at ? "disabled" : *u->password_hash ? "active" : "invited";
        list = render_append(list, render_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:b, s:o}", "id",
                                               (json_int_t)u->id, "email", account_refill(u->email),
                                               "name", account_refill(u->display_name), "role",
                                               store_role_name(u->role), "state", state, "disabled",
                                               u->disabled_at != 0, "self", u->id == self, "roles",
                                               role_options(u->role, 1)));
    }
    ctx = render_set(ctx, "staff_list", list);
    const char *notice = done_message(req_query(r, "done"));
    const char *problem = error ? error : form && form->error ? form->error : NULL;
    ctx = render_set(
        ctx, "invite",
        render_pack("{s:s, s:s, s:o, s:b, s:s}", "email", form ? account_refill(form->email) : "",
                    "name", form ? account_refill(form->name) : "", "roles",
                    role_options(form ? form->role : ROLE_WRITER, 0), "confirm",
                    form && form->confirm, "question", form && form->confirm ? form->confirm : ""));
    ctx = render_set(
        ctx, "notice",
        render_pack("{s:b, s:s}", "show", notice != NULL, "message", notice ? notice : ""));
    ctx = render_set(
        ctx, "error",
        render_pack("{s:b, s:s}", "show", problem != NULL, "message", problem ? problem : ""));
    return newsroom_send(r, status, "newsroom-staff", ctx);
}

/* The site's name for a mail: the host publication's, else the configured one. */
static const char *site_name(struct req *r)
{
    struct publication *pubs = NULL;
    size_t n = 0;
    if (store_publications(r->app->store, r->arena, &pubs, &n) == STORE_OK)
        for (size_t i = 0; i < n; i++)
            if (pubs[i].is_host)
                return pubs[i].name;
    return r->app->config->site_name;
}

/* The account id in the path (params[0]), or 0 when it is not a positive number. */
static int64_t path_id(struct req *r)
{
    return util_parse_id(r->param_count > 0 ? r->params[0] : NULL);
}

/* The acting admin's id, for the audit log. */
static int64_t actor(struct req *r)
{
    return r->reader ? r->reader->user.id : 0;
}

/* Makes the reader's account with this address staff with form's role, after the admin said
 * yes: role, sessions ended (store_staff_set_role), and a mail to its owner, in one
 * transaction. */
static enum MHD_Result promote(struct req *r, const struct invite_form *form,
                               const struct user *existing)
{
    struct store *st = r->app->store;
    const char *site = site_name(r);
    const char *text = arena_printf(
        r->arena,
        "Your account (%s) on %s has been made a %s of the newsroom.\n\nLog in as usual, with "
        "your password, and open %s/newsroom.",
        existing->email, site, store_role_name(form->role), r->app->site_url);
    if (store_begin(st) != STORE_OK)
        return respond_error(r, 500);
    int rc = store_staff_set_role(st, actor(r), existing->id, form->role);
    if (rc == STORE_OK &&
        account_mail_notice(r, existing->email,
                            arena_printf(r->arena, "You have joined the newsroom of %s", site),
                            text) != 0)
        rc = STORE_ERROR;
    if (rc != STORE_OK) {
        store_rollback(st);
        return rc == STORE_NOT_FOUND ? respond_error(r, 404) : respond_error(r, 500);
    }
    if (store_commit(st) != STORE_OK)
        return respond_error(r, 500);
    mailer_wake(r->app->mailer);
    return respond_redirect(r, 303, "/newsroom/staff?done=promoted");
}

enum MHD_Result page_newsroom_staff(struct req *r)
{
    return staff_page(r, 200, NULL, NULL);
}

enum MHD_Result page_newsroom_staff_invite(struct req *r)
{
    struct store *st = r->app->store;
    struct invite_form form = {.email = account_trim(r, req_form(r, "email")),
                               .name = account_trim(r, req_form(r, "name")),
                               .role = ROLE_WRITER};
    const char *role_name = req_form(r, "role");
    int role = store_role_parse(role_name ? role_name : "");
    if (role < ROLE_WRITER) {
        form.error = "Choose a role: writer, editor or admin.";
        return staff_page(r, 422, &form, NULL);
    }
    form.role = (enum role)role;
    const char *problem =
        !*form.email ? "Enter the email address to invite." : account_email_problem(form.email);
    if (!problem && *form.name)
        problem = account_name_problem(form.name);
    if (problem) {
        form.error = problem;
        return staff_page(r, 422, &form, NULL);
    }
    form.email = auth_email_normalize(r->arena, form.email);

    struct user existing;
    int found = store_user_by_email(st, r->arena, form.email, &existing);
    if (found == STORE_ERROR)
        return respond_error(r, 500);
    if (found == STORE_OK) {
        if (existing.role >= ROLE_WRITER) {
            form.error = arena_printf(r->arena,
                                      "%s is already on the staff, as %s. Change its role in the "
                                      "list below. Nothing was changed.",
                                      existing.email, store_role_name(existing.role));
            return staff_page(r, 409, &form, NULL);
        }
        const char *promote_answer = req_form(r, "promote");
        if (promote_answer && !strcmp(promote_answer, "1"))
            return promote(r, &form, &existing);
        form.confirm = arena_printf(
            r->arena,
            "%s already has a reader's account%s%s. Nothing was changed. Make that account a "
            "%s? It keeps its password; its sessions end, and its owner is told by email.",
            existing.email, *existing.display_name ? ", " : "",
            account_refill(existing.display_name), store_role_name(form.role));
        return staff_page(r, 409, &form, NULL);
    }

    char token[AUTH_TOKEN_CHARS + 1], hash[AUTH_TOKEN_HASH_HEX + 1];
    auth_token_new(token, hash);
    int64_t now = util_now();
    const char *site = site_name(r);
    const char *inviter = r->reader && *r->reader->user.display_name ? r->reader->user.display_name
                          : r->reader                                ? r->reader->user.email
                                                                     : "An administrator";
    if (store_begin(st) != STORE_OK)
        return respond_error(r, 500);
    int rc = store_staff_invite(st, actor(r), form.email, form.name, form.role, hash, now,
                                now + ACCOUNT_INVITE_DAYS * 86400, NULL);
    if (rc == STORE_OK &&
        account_mail_link(
            r, form.email, arena_printf(r->arena, "Join the newsroom of %s", site),
            arena_printf(r->arena,
                         "%s has invited you to the newsroom of %s, as %s %s. To set your "
                         "password to join the newsroom, follow this link within 7 days:",
                         inviter, site, form.role == ROLE_ADMIN ? "an" : "a",
                         store_role_name(form.role)),
            "/reset", token,
            "If you did not expect this, ignore this message: no password is set until you "
            "choose one.") != 0)
        rc = STORE_ERROR;
    if (rc != STORE_OK) {
        store_rollback(st);
        if (rc == STORE_CONFLICT) { /* taken since it was looked up, or held by an undo link */
            form.error = "That address cannot be invited: an account has it, or had it until "
                         "recently. Nothing was changed.";
            return staff_page(r, 409, &form, NULL);
        }
        return respond_error(r, 500);
    }
    if (store_commit(st) != STORE_OK)
        return respond_error(r, 500);
    mailer_wake(r->app->mailer);
    return respond_redirect(r, 303, "/newsroom/staff?done=invited");
}

/* The refusal of a change that would leave no enabled admin. */
static enum MHD_Result last_admin(struct req *r, const char *what)
{
    return staff_page(r, 409, NULL,
                      arena_printf(r->arena,
                                   "Refused: that account is the last enabled admin, so it cannot "
                                   "be %s. Make another account admin first. Nothing was "
                                   "changed.",
                                   what));
}

enum MHD_Result page_newsroom_staff_role(struct req *r)
{
    int64_t id = path_id(r);
    const char *role_name = req_form(r, "role");
    int role = store_role_parse(role_name ? role_name : "");
    if (!id)
        return respond_error(r, 404);
    if (role < ROLE_READER)
        return staff_page(r, 422, NULL, "Choose a role: reader, writer, editor or admin.");
    struct user before;
    int found = store_user_by_id(r->app->store, r->arena, id, &before);
    if (found != STORE_OK)
        return respond_error(r, found == STORE_NOT_FOUND ? 404 : 500);
    int rc = store_staff_set_role(r->app->store, actor(r), id, (enum role)role);
    if (rc == STORE_CONFLICT)
        return last_admin(r, "demoted");
    if (rc != STORE_OK)
        return respond_error(r, rc == STORE_NOT_FOUND ? 404 : 500);
    if (id == actor(r) && before.role != (enum role)role) { /* its own session has ended */
        reader_sign_out(r);
        return respond_redirect(r, 303, "/login?next=/newsroom");
    }
    return respond_redirect(r, 303,
                            before.role == (enum role)role ? "/newsroom/staff?done=unchanged"
                                                           : "/newsroom/staff?done=role");
}

/* Disables (disable 1) or enables the account in the path. */
static enum MHD_Result set_disabled(struct req *r, int disable)
{
    int64_t id = path_id(r);
    if (!id)
        return respond_error(r, 404);
    int rc = store_staff_set_disabled(r->app->store, actor(r), id, disable, util_now());
    if (rc == STORE_CONFLICT)
        return last_admin(r, "disabled");
    if (rc != STORE_OK)
        return respond_error(r, rc == STORE_NOT_FOUND ? 404 : 500);
    if (disable && id == actor(r)) { /* its own session has ended */
        reader_sign_out(r);
        return respond_redirect(r, 303, "/login");
    }
    return respond_redirect(
        r, 303, disable ? "/newsroom/staff?done=disabled" : "/newsroom/staff?done=enabled");
}

enum MHD_Result page_newsroom_staff_disable(struct req *r)
{
    return set_disabled(r, 1);
}

enum MHD_Result page_newsroom_staff_enable(struct req *r)
{
    return set_disabled(r, 0);
}
