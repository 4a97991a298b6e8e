/*
 * test_respond.c: tests of the parts of src/respond.c that need no live connection: the
 * Set-Cookie header respond_cookie writes (Path, Max-Age, HttpOnly, SameSite, and Secure only
 * when cookie_secure) and the names and values it refuses; the per-request header list and its
 * bound; the security header lines written to a socket directly; and the raw error answers the
 * request screen sends (respond_raw_error), with the default theme's error page. Queuing a
 * response needs libmicrohttpd's connection and is covered by the HTTP tests.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "respond.h"
#include "test_request.h"
#include "util.h"

static void test_cookie_attributes(void)
{
    struct test_app t;
    test_app_init(&t, NULL);
    struct req r = test_req_make(&t.app);
    respond_cookie(&r, "bs_session", "AbC-_123", 86400);
    respond_cookie(&r, "bs_anon", "xyz", -1);
    respond_cookie(&r, "bs_session", "", 0);
    respond_cookie(&r, "bs_meter", "1.2~3!4*5'6(7)8", 2592000);
    CHECK_INT(r.header_count, 4);
    CHECK_STR(test_req_response_header(&r, "Set-Cookie", 0),
              "bs_session=AbC-_123; Path=/; Max-Age=86400; HttpOnly; SameSite=Lax");
    /* -1: a session cookie, no Max-Age */
    CHECK_STR(test_req_response_header(&r, "Set-Cookie", 1),
              "bs_anon=xyz; Path=/; HttpOnly; SameSite=Lax");
    /* 0: deleted, and an empty value is allowed for that */
    CHECK_STR(test_req_response_header(&r, "Set-Cookie", 2),
              "bs_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
    CHECK_STR(test_req_response_header(&r, "Set-Cookie", 3),
              "bs_meter=1.2~3!4*5'6(7)8; Path=/; Max-Age=2592000; HttpOnly; SameSite=Lax");
    test_req_done(&r);

    /* Secure only when the site says it is served over HTTPS */
    t.config.cookie_secure = 1;
    r = test_req_make(&t.app);
    respond_cookie(&r, "bs_session", "abc", 60);
    respond_cookie(&r, "bs_session", "", 0);
    CHECK_STR(test_req_response_header(&r, "Set-Cookie", 0),
              "bs_session=abc; Path=/; Max-Age=60; HttpOnly; SameSite=Lax; Secure");
    CHECK_STR(test_req_response_header(&r, "Set-Cookie", 1),
              "bs_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure");
    test_req_done(&r);
    test_app_free(&t);
}

/* A name or value that would need quoting, or could add an attribute or another cookie, is
 * refused: no header at all. */
static void test_cookie_refusals(void)
{
    static const struct {
        const char *name, *value;
        int64_t max_age;
    } cases[] = {
        {"", "v", 60},
        {NULL, "v", 60},
        {"n", NULL, 60},
        {"n", NULL, 0},
        {"n", "", 60}, /* empty, except to delete */
        {"n", "", -1},
        {"n", "a;b", 60},
        {"n", "a; Domain=evil.example", 60},
        {"n", "a,b", 60},
        {"n", "a b", 60},
        {"n", "a\"b", 60},
        {"n", "\"quoted\"", 60},
        {"n", "a\\b", 60},
        {"n", "a=b", 60},
        {"n", "a\r\nSet-Cookie: x=y", 60},
        {"n", "a\tb", 60},
        {"n", "a\x01", 60},
        {"n", "a\x7f", 60},
        {"n", "caf\xc3\xa9", 60},
        {"n=x", "v", 60},
        {"n;x", "v", 60},
        {"n x", "v", 60},
        {"n,x", "v", 60},
        {"n\"", "v", 60},
        {"n\r\n", "v", 60},
        {"n\xc3\xa9", "v", 60},
    };
    struct test_app t;
    test_app_init(&t, NULL);
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct req r = test_req_make(&t.app);
        respond_cookie(&r, cases[i].name, cases[i].value, cases[i].max_age);
        if (r.header_count != 0)
            fprintf(stderr, "    case %zu set: %s\n", i, r.headers[0].value);
        CHECK_INT(r.header_count, 0);
        test_req_done(&r);
    }
    test_app_free(&t);
}

/* A request's own headers are copied into its arena, in order, at most REQ_MAX_HEADERS. */
static void test_headers(void)
{
    struct test_app t;
    test_app_init(&t, NULL);
    struct req r = test_req_make(&t.app);
    char name[32], value[32];
    for (int i = 0; i < REQ_MAX_HEADERS + 3; i++) {
        snprintf(name, sizeof name, "X-Test-%d", i);
        snprintf(value, sizeof value, "value %d", i);
        respond_header(&r, name, value);
    }
    CHECK_INT(r.header_count, REQ_MAX_HEADERS);
    CHECK_STR(test_req_response_header(&r, "X-Test-0", 0), "value 0");
    snprintf(name, sizeof name, "X-Test-%d", REQ_MAX_HEADERS - 1);
    snprintf(value, sizeof value, "value %d", REQ_MAX_HEADERS - 1);
    CHECK_STR(test_req_response_header(&r, name, 0), value);
    snprintf(name, sizeof name, "X-Test-%d", REQ_MAX_HEADERS);
    CHECK(test_req_response_header(&r, name, 0) == NULL);

    /* a cookie beyond the bound is dropped too, not written over another header */
    respond_cookie(&r, "bs_anon", "x", -1);
    CHECK_INT(r.header_count, REQ_MAX_HEADERS);
    CHECK(test_req_response_header(&r, "Set-Cookie", 0) == NULL);
    test_req_done(&r);
    test_app_free(&t);
}

static const char security_lines[] = "Content-Security-Policy: " RESPOND_SITE_CSP "\r\n"
                                     "X-Content-Type-Options: nosniff\r\n"
                                     "Referrer-Policy: strict-origin-when-cross-origin\r\n"
                                     "X-Frame-Options: DENY\r\n";

static void test_security_header_lines(void)
{
    char out[1024];
    size_t len = respond_security_header_lines(out, sizeof out);
    CHECK_INT(len, strlen(security_lines));
    CHECK_STR(out, security_lines);
    CHECK(strstr(out, "frame-ancestors 'none'") != NULL);
    CHECK(strstr(out, "object-src 'none'") != NULL);

    /* a buffer too small gets nothing usable: 0, never a cut header */
    size_t need = strlen(security_lines);
    CHECK_INT(respond_security_header_lines(out, need), 0);
    CHECK_INT(respond_security_header_lines(out, 10), 0);
    CHECK_INT(respond_security_header_lines(out, need + 1), need);
}

/* The answers the request screen writes to a socket: a whole HTTP/1.1 response, closing the
 * connection, with the security headers and the theme's error page. */
static void test_raw_error(void)
{
    static const unsigned statuses[] = {400, 408, 414, 431, 501, 505};
    struct test_app t;
    struct tmpdb db;
    test_app_init(&t, NULL);
    if (test_app_open_site(&t, &db, "respond") != 0)
        goto out;
    for (size_t i = 0; i < ARRAY_LEN(statuses); i++) {
        size_t len = 0;
        char *raw = respond_raw_error(&t.app, statuses[i], &len);
        CHECK(raw != NULL);
        if (!raw)
            continue;
        char *text = strndup(raw, len);
        CHECK_INT(strlen(text), len);
        char status_line[128];
        snprintf(status_line, sizeof status_line, "HTTP/1.1 %u %s\r\n", statuses[i],
                 respond_status_title(statuses[i]));
        CHECK(!strncmp(text, status_line, strlen(status_line)));
        const char *end = strstr(text, "\r\n\r\n");
        CHECK(end != NULL);
        if (end) {
            char *head = strndup(text, (size_t)(end - text) + 2);
            const char *body = end + 4;
            char want[64];
            snprintf(want, sizeof want, "\r\nContent-Length: %zu\r\n", strlen(body));
            CHECK(strstr(head, want) != NULL);
            CHECK(strstr(head, "\r\nConnection: close\r\n") != NULL);
            CHECK(strstr(head, "\r\nCache-Control: no-store\r\n") != NULL);
            CHECK(strstr(head, "\r\nContent-Type: text/html; charset=utf-8\r\n") != NULL);
            CHECK(strstr(head, security_lines) != NULL);
            CHECK(strstr(body, "<!doctype html>") != NULL || strstr(body, "<!DOCTYPE html>"));
            CHECK(strstr(body, respond_status_title(statuses[i])) != NULL);
            CHECK(strstr(body, "canonical") == NULL); /* no path: the same for everyone */
            free(head);
        }
        free(text);
        free(raw);
    }
out:
    test_app_free(&t);
    tmpdb_remove(&db);
}

static void test_status_titles(void)
{
    CHECK_STR(respond_status_title(404), "Page not found");
    CHECK_STR(respond_status_title(431), "Request headers too large");
    CHECK_STR(respond_status_title(505), "HTTP version not supported");
    CHECK_STR(respond_status_title(500), "Something went wrong");
    CHECK_STR(respond_status_title(299), "Something went wrong");
}

void suite_respond(void)
{
    RUN(test_cookie_attributes);
    RUN(test_cookie_refusals);
    RUN(test_headers);
    RUN(test_security_header_lines);
    RUN(test_raw_error);
    RUN(test_status_titles);
}
