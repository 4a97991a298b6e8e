/*
 * test_reader.c: tests of the CSRF binding in src/reader.c, on real libmicrohttpd connections
 * (the binding cookie is read from the request): a signed-in reader's token is bound to the
 * session token's hash and sets no cookie; an anonymous reader without a binding cookie gets
 * one (a session cookie, HttpOnly, SameSite=Lax) and a token bound to it, once per request; a
 * valid cookie is used as it is, a malformed one replaced; reader_csrf_valid accepts a token
 * only for this browser's binding (the session's, or the anonymous cookie's for a form
 * rendered before log-in), never makes a cookie, and refuses a missing, empty, altered or
 * other browser's token. Sessions themselves (reader_load, reader_sign_in) need the store and
 * are covered by the HTTP tests.
 */
#include <string.h>

#include "auth.h"
#include "check.h"
#include "config.h"
#include "reader.h"
#include "test_request.h"
#include "util.h"

/* Two anonymous binding ids as a browser would hold them (43 base64url characters). */
#define ANON_A "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define ANON_B "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"

static struct test_app app;

/* A signed-in reader whose session token hash is 64 copies of c. */
static struct reader *signed_in(struct req *r, char c)
{
    struct reader *reader = arena_calloc(r->arena, 1, sizeof *reader);
    reader->user.id = 1;
    reader->user.email = "ann@example.org";
    reader->user.display_name = "Ann";
    memset(reader->token_hash, c, 64);
    reader->token_hash[64] = '\0';
    return reader;
}

/* The CSRF token for binding under the test app's key, in r's arena. */
static const char *token_for(struct req *r, const char *binding)
{
    char *token = arena_alloc(r->arena, AUTH_CSRF_CHARS + 1);
    auth_csrf_token(app.app.csrf_key, binding, token);
    return token;
}

/* Adds the form field "csrf" = value to r. */
static void form_csrf(struct req *r, const char *value)
{
    struct form_field *f = arena_calloc(r->arena, 1, sizeof *f);
    f->name = "csrf";
    f->value = arena_strdup(r->arena, value);
    f->len = strlen(value);
    f->next = r->form;
    r->form = f;
}

/* A request on connection for the test app. */
static struct req on(struct MHD_Connection *connection)
{
    struct req r = test_req_make(&app.app);
    r.conn = connection;
    return r;
}

static void signed_in_token(struct MHD_Connection *connection, void *ctx)
{
    struct req r = on(connection);
    r.reader = signed_in(&r, 'a');
    const char *token = reader_csrf_token(&r);
    CHECK_STR(token, token_for(&r, r.reader->token_hash));
    CHECK_INT(auth_csrf_verify(app.app.csrf_key, r.reader->token_hash, token), 1);
    CHECK_INT(r.header_count, 0); /* the session is the binding: no anonymous cookie */
    CHECK(r.anonymous_id == NULL);
    test_req_done(&r);
}

static void test_signed_in_token(void)
{
    /* also with an anonymous cookie present: the session is what binds */
    test_with_connection("/", "", signed_in_token, NULL);
    test_with_connection("/", "Cookie: bs_anon=" ANON_A "\r\n", signed_in_token, NULL);
}

static void anonymous_new_binding(struct MHD_Connection *connection, void *ctx)
{
    struct req r = on(connection);
    const char *token = reader_csrf_token(&r);
    CHECK(r.anonymous_id != NULL);
    CHECK_INT(r.header_count, 1);
    const char *cookie = test_req_response_header(&r, "Set-Cookie", 0);
    char want[256];
    snprintf(want, sizeof want, "bs_anon=%s; Path=/; HttpOnly; SameSite=Lax",
             r.anonymous_id ? r.anonymous_id : "");
    CHECK_STR(cookie, want); /* a session cookie: no Max-Age */
    char hash[AUTH_TOKEN_HASH_HEX + 1];
    CHECK_INT(auth_token_hash(r.anonymous_id, hash), 0); /* a well-formed token */
    CHECK_INT(auth_csrf_verify(app.app.csrf_key, r.anonymous_id, token), 1);
    /* a second form in the same response: the same binding, no second cookie */
    CHECK_STR(reader_csrf_token(&r), token);
    CHECK_INT(r.header_count, 1);

    /* every browser gets a binding of its own */
    struct req other = on(connection);
    reader_csrf_token(&other);
    CHECK(other.anonymous_id && r.anonymous_id && strcmp(r.anonymous_id, other.anonymous_id));
    test_req_done(&other);
    test_req_done(&r);
}

static void test_anonymous_new_binding(void)
{
    test_with_connection("/", "", anonymous_new_binding, NULL);
    /* a cookie that is not a binding id is replaced */
    test_with_connection("/", "Cookie: bs_anon=short\r\n", anonymous_new_binding, NULL);
    test_with_connection("/", "Cookie: bs_anon=" ANON_A "!\r\n", anonymous_new_binding, NULL);
    test_with_connection("/", "Cookie: bs_anon=\r\n", anonymous_new_binding, NULL);
    test_with_connection("/", "Cookie: other=" ANON_A "\r\n", anonymous_new_binding, NULL);
}

static void anonymous_existing_binding(struct MHD_Connection *connection, void *ctx)
{
    struct req r = on(connection);
    const char *token = reader_csrf_token(&r);
    CHECK_STR(r.anonymous_id, ANON_A);
    CHECK_STR(token, token_for(&r, ANON_A));
    CHECK_INT(r.header_count, 0);
    test_req_done(&r);
}

static void test_anonymous_existing_binding(void)
{
    test_with_connection("/", "Cookie: bs_anon=" ANON_A "\r\n", anonymous_existing_binding, NULL);
    test_with_connection("/", "Cookie: x=1; bs_anon=" ANON_A "; y=2\r\n",
                         anonymous_existing_binding, NULL);
}

/* What reader_csrf_valid says for a form with csrf (NULL: no such field) from a browser sending
 * the cookies of the connection, for an anonymous reader or one signed in with 'a's. */
struct validity {
    int reader;        /* signed in */
    const char *csrf;  /* the form's field, or NULL */
    const char *bound; /* make the field the token for this binding instead ("session": the
                          signed-in reader's) */
    int want;
};

static void check_validity(struct MHD_Connection *connection, void *ctx)
{
    const struct validity *v = ctx;
    struct req r = on(connection);
    if (v->reader)
        r.reader = signed_in(&r, 'a');
    if (v->bound)
        form_csrf(&r,
                  token_for(&r, !strcmp(v->bound, "session") ? r.reader->token_hash : v->bound));
    else if (v->csrf)
        form_csrf(&r, v->csrf);
    CHECK_INT(reader_csrf_valid(&r), v->want);
    CHECK_INT(r.header_count, 0); /* checking never sets a cookie */
    test_req_done(&r);
}

static void test_csrf_valid(void)
{
    char other_session[65];
    memset(other_session, 'b', 64);
    other_session[64] = '\0';
    const char *with_a = "Cookie: bs_anon=" ANON_A "\r\n";
    const struct {
        const char *cookies;
        struct validity v;
    } cases[] = {
        /* signed in */
        {"", {1, NULL, "session", 1}},
        {with_a, {1, NULL, "session", 1}},
        {"", {1, NULL, other_session, 0}},     /* another reader's session */
        {with_a, {1, NULL, ANON_A, 1}},        /* a form from before log-in, same browser */
        {"", {1, NULL, ANON_A, 0}},            /* … but not without the browser's cookie */
        {with_a, {1, NULL, ANON_B, 0}},        /* another browser's anonymous form */
        {"", {1, NULL, NULL, 0}},              /* no field */
        {"", {1, "", NULL, 0}},                /* an empty one */
        {with_a, {1, "not a token", NULL, 0}}, /* garbage */
        /* anonymous */
        {with_a, {0, NULL, ANON_A, 1}},
        {with_a, {0, NULL, ANON_B, 0}},
        {"Cookie: bs_anon=" ANON_B "\r\n", {0, NULL, ANON_B, 1}},
        {"", {0, NULL, ANON_A, 0}}, /* no cookie: no binding, and none is made */
        {"Cookie: bs_anon=short\r\n", {0, NULL, "short", 0}}, /* a malformed cookie binds not */
        {with_a, {0, NULL, "session-less", 0}},
        {with_a, {0, NULL, NULL, 0}},
        {with_a, {0, "", NULL, 0}},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        int before = check_failures_in_test;
        test_with_connection("/", cases[i].cookies, check_validity, (void *)&cases[i].v);
        if (check_failures_in_test != before)
            fprintf(stderr, "    case %zu\n", i);
    }

    /* an altered token */
    char token[AUTH_CSRF_CHARS + 1];
    auth_csrf_token(app.app.csrf_key, ANON_A, token);
    token[5] = token[5] == 'x' ? 'y' : 'x';
    struct validity altered = {0, token, NULL, 0};
    test_with_connection("/", with_a, check_validity, &altered);
}

/* The idle limit: session_idle_days for a reader, staff_session_idle_minutes for staff when it
 * is the shorter (never longer than a reader's). */
static void test_idle_limit(void)
{
    struct config c;
    config_init(&c);
    CHECK_INT(reader_idle_limit(&c, ROLE_READER), 14 * 86400);
    CHECK_INT(reader_idle_limit(&c, ROLE_WRITER), 480 * 60);
    CHECK_INT(reader_idle_limit(&c, ROLE_EDITOR), 480 * 60);
    CHECK_INT(reader_idle_limit(&c, ROLE_ADMIN), 480 * 60);
    c.staff_session_idle_minutes = 1;
    CHECK_INT(reader_idle_limit(&c, ROLE_ADMIN), 60);
    CHECK_INT(reader_idle_limit(&c, ROLE_READER), 14 * 86400);
    c.session_idle_days = 1;
    c.staff_session_idle_minutes = 2 * 1440;
    CHECK_INT(reader_idle_limit(&c, ROLE_WRITER), 86400);
    config_free(&c);
}

static void test_init(void)
{
    CHECK_INT(auth_init(0), 0); /* libsodium, as app_init does */
}

void suite_reader(void)
{
    test_app_init(&app, NULL);
    RUN(test_init);
    RUN(test_signed_in_token);
    RUN(test_anonymous_new_binding);
    RUN(test_anonymous_existing_binding);
    RUN(test_csrf_valid);
    RUN(test_idle_limit);
    test_app_free(&app);
}
