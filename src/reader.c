/*
 * reader.c: sessions and CSRF tokens. See reader.h.
 */
#include "reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth.h"
#include "render.h"
#include "respond.h"
#include "util.h"

#define TOUCH_AFTER 300 /* seconds between last-seen updates: not a write per request */
#define USER_AGENT_MAX 200

/* Clears the session cookie in the response. */
static void clear_session_cookie(struct req *r)
{
    respond_cookie(r, READER_SESSION_COOKIE, "", 0);
}

json_t *reader_json(const struct user *user)
{
    /* Stored text is UTF-8 since the forms and the command line check it; a name written before
     * that is shown with U+FFFD for its bad bytes rather than fail (jansson refuses it), which
     * made the reader look signed out and unable to fix it. */
    char *name = util_utf8_repair(user->display_name);
    char *email = util_utf8_repair(user->email);
    json_t *fields = render_pack("{s:s, s:s, s:b, s:s}", "name", name, "email", email, "verified",
                                 user->email_verified_at != 0, "role", store_role_name(user->role));
    free(name);
    free(email);
    return fields;
}

int64_t reader_idle_limit(const struct config *config, enum role role)
{
    int64_t days = (int64_t)config->session_idle_days * 86400;
    int64_t staff = (int64_t)config->staff_session_idle_minutes * 60;
    return role >= ROLE_WRITER && staff < days ? staff : days;
}

void reader_load(struct req *r)
{
    const char *token = req_cookie(r, READER_SESSION_COOKIE);
    if (!token || !*token)
        return;
    char hash[65];
    if (auth_token_hash(token, hash) < 0) {
        clear_session_cookie(r);
        return;
    }
    struct reader *reader = arena_calloc(r->arena, 1, sizeof *reader);
    int64_t now = util_now();
    int rc = store_session_reader(r->app->store, r->arena, hash, now, &reader->session,
                                  &reader->user, &reader->subscription);
    if (rc == STORE_NOT_FOUND) {
        clear_session_cookie(r);
        return;
    }
    if (rc != STORE_OK) {
        /* the database is unwell: treat as anonymous, keep the cookie; a page whose answer
         * depends on who the reader is (the paywall) says so (page_article) */
        r->reader_unknown = 1;
        return;
    }
    /* A disabled account has no sessions (store_staff_set_disabled ends them); one made at the
     * same moment, on another node, is refused here, from the same row. */
    int64_t idle_limit = reader_idle_limit(r->app->config, reader->user.role);
    if (reader->user.disabled_at || reader->session.expires_at <= now ||
        reader->session.last_seen_at + idle_limit <= now) {
        store_session_delete(r->app->store, reader->session.id);
        clear_session_cookie(r);
        return;
    }
    /* Touched often enough that a session in use never reaches its idle limit between two
     * touches, however short the staff's limit is. */
    int64_t touch_after = idle_limit / 4 < TOUCH_AFTER ? idle_limit / 4 : TOUCH_AFTER;
    if (now - reader->session.last_seen_at > touch_after)
        store_session_touch(r->app->store, reader->session.id, now);
    memcpy(reader->token_hash, hash, sizeof hash);
    r->reader = reader;
}

/* The anonymous CSRF binding: the cookie's value, or a new one set on this response. */
static const char *anonymous_binding(struct req *r, int create)
{
    if (r->anonymous_id)
        return r->anonymous_id;
    const char *id = req_cookie(r, READER_ANONYMOUS_COOKIE);
    char hash[65];
    if (id && auth_token_hash(id, hash) == 0) {
        r->anonymous_id = id;
        return id;
    }
    if (!create)
        return NULL;
    char token[AUTH_TOKEN_CHARS + 1];
    auth_token_new(token, hash);
    r->anonymous_id = arena_strdup(r->arena, token);
    respond_cookie(r, READER_ANONYMOUS_COOKIE, token, -1);
    return r->anonymous_id;
}

const char *reader_csrf_token(struct req *r)
{
    const char *binding = r->reader ? r->reader->token_hash : anonymous_binding(r, 1);
    char *token = arena_alloc(r->arena, AUTH_CSRF_CHARS + 1);
    auth_csrf_token(r->app->csrf_key, binding, token);
    return token;
}

int reader_csrf_valid(struct req *r)
{
    const char *token = req_form(r, "csrf");
    if (!token)
        return 0;
    if (r->reader && auth_csrf_verify(r->app->csrf_key, r->reader->token_hash, token))
        return 1;
    /* A form rendered before log-in (say, a second tab) stays valid for its anonymous id. */
    const char *binding = anonymous_binding(r, 0);
    return binding && auth_csrf_verify(r->app->csrf_key, binding, token);
}

int reader_sign_in_session(struct req *r, const struct user *user)
{
    struct store *st = r->app->store;
    if (r->reader) {
        store_session_delete(st, r->reader->session.id);
        r->reader = NULL;
    }
    char token[AUTH_TOKEN_CHARS + 1], hash[65];
    auth_token_new(token, hash);
    int64_t now = util_now();
    int64_t expires = now + (int64_t)r->app->config->session_days * 86400;
    char ip[64];
    req_client_ip(r, ip, sizeof ip);
    const char *agent = req_header(r, "User-Agent");
    char agent_cut[USER_AGENT_MAX + 1];
    snprintf(agent_cut, sizeof agent_cut, "%s",
             agent && util_utf8_valid(agent, strlen(agent)) ? agent : "");
    size_t cut = strlen(agent_cut);
    while (cut && !util_utf8_valid(agent_cut, cut)) /* the cut may have split a character */
        agent_cut[--cut] = '\0';
    int64_t id;
    if (store_session_create(st, user->id, hash, now, expires, agent_cut, ip, &id) != STORE_OK)
        return -1;
    struct reader *reader = arena_calloc(r->arena, 1, sizeof *reader);
    reader->user = *user;
    reader->session.id = id;
    reader->session.user_id = user->id;
    reader->session.created_at = reader->session.last_seen_at = now;
    reader->session.expires_at = expires;
    memcpy(reader->token_hash, hash, sizeof hash);
    memcpy(reader->token, token, sizeof token);
    r->reader = reader;
    return 0;
}

void reader_sign_in_cookie(struct req *r)
{
    struct reader *reader = r->reader;
    if (!reader || !reader->token[0])
        return;
    int64_t max_age = reader->session.expires_at - reader->session.created_at;
    respond_cookie(r, READER_SESSION_COOKIE, reader->token, max_age);
    reader->token[0] = '\0'; /* sent once */
}

int reader_sign_in(struct req *r, const struct user *user)
{
    if (reader_sign_in_session(r, user) < 0)
        return -1;
    reader_sign_in_cookie(r);
    return 0;
}

void reader_sign_out(struct req *r)
{
    if (r->reader)
        store_session_delete(r->app->store, r->reader->session.id);
    r->reader = NULL;
    clear_session_cookie(r);
}
