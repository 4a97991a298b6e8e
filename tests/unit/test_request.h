/*
 * test_request.h: a request outside a running server, for the suites that test code taking a
 * struct req (test_splice.c, test_respond.c, test_reader.c, test_render.c, test_accesslog.c):
 *
 *   - an app with the default configuration and templates given as source text, or with the
 *     default theme (templates and static files) and a fresh database, for code that renders
 *     whole pages;
 *   - a request with an arena of its own and no connection;
 *   - for code that reads the request's headers or cookies from libmicrohttpd, a real
 *     connection: a libmicrohttpd daemon on a loopback port runs the test's function inside
 *     its access handler for one request the test sends.
 *
 * The functions are static inline, as in test_support.h, so that the header needs no object
 * file of its own in the Makefile's unit-tests rule.
 */
#ifndef BROADSHEET_TEST_REQUEST_H
#define BROADSHEET_TEST_REQUEST_H

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "app.h"
#include "arena.h"
#include "assets.h"
#include "check.h"
#include "config.h"
#include "req.h"
#include "splice.h"
#include "test_support.h"
#include "tmpl.h"

/* An app for tests: the default configuration, the given templates, a fixed CSRF key. */
struct test_app {
    struct app app;
    struct config config;
};

/* Fills t: config_init's defaults, site_url "https://news.example", csrf_key bytes 1, 2, 3…,
 * and a template set made of templates, pairs of name and source ending with NULL (a template
 * that does not compile fails the test). Free it with test_app_free. */
static inline void test_app_init(struct test_app *t, const char *const *templates)
{
    memset(t, 0, sizeof *t);
    config_init(&t->config);
    t->app.config = &t->config;
    t->app.site_url = "https://news.example";
    t->app.log_fd = -1;
    for (size_t i = 0; i < sizeof t->app.csrf_key; i++)
        t->app.csrf_key[i] = (unsigned char)(i + 1);
    t->app.templates = tmpl_set_new(0);
    t->app.notes = splice_notes_new();
    for (size_t i = 0; templates && templates[i]; i += 2) {
        char err[256] = "";
        int rc = tmpl_set_add(t->app.templates, templates[i], templates[i + 1],
                              strlen(templates[i + 1]), err, sizeof err);
        if (rc != 0)
            fprintf(stderr, "    template %s: %s\n", templates[i], err);
        CHECK_INT(rc, 0);
    }
}

/* Gives t (made by test_app_init with no templates) the default theme (themes/default: its
 * templates and static files, as app_init loads them) and a store on a fresh database in db's
 * temporary directory, named name. Returns 0, or -1 (the test fails); test_app_free closes and
 * frees them, and the caller removes db. */
static inline int test_app_open_site(struct test_app *t, struct tmpdb *db, const char *name)
{
    char err[256] = "";
    if (tmpdb_make(db, name) != 0) {
        CHECK(!"tmpdb_make");
        return -1;
    }
    t->app.store = open_store(db);
    if (tmpl_set_load_dir(t->app.templates, "themes/default", err, sizeof err) < 0)
        fprintf(stderr, "    theme: %s\n", err);
    t->app.assets = assets_load("themes/default/static", err, sizeof err);
    if (!t->app.assets)
        fprintf(stderr, "    static files: %s\n", err);
    CHECK(t->app.assets != NULL);
    CHECK(tmpl_set_has(t->app.templates, "error"));
    return t->app.store && t->app.assets ? 0 : -1;
}

static inline void test_app_free(struct test_app *t)
{
    tmpl_set_free(t->app.templates);
    splice_notes_free(t->app.notes);
    if (t->app.assets)
        assets_free(t->app.assets);
    if (t->app.store)
        store_close(t->app.store);
    config_free(&t->config);
}

/* A GET request for app with a fresh arena and no connection (free it with test_req_done). */
static inline struct req test_req_make(struct app *app)
{
    struct req r;
    memset(&r, 0, sizeof r);
    r.app = app;
    r.arena = arena_new(0);
    r.method = METHOD_GET;
    r.method_name = "GET";
    r.version = "HTTP/1.1";
    r.raw_url = "/";
    r.path = "/";
    return r;
}

static inline void test_req_done(struct req *r)
{
    arena_free(r->arena);
}

/* The value of the header name among r's own response headers (respond_header's), the n-th of
 * that name (from 0), or NULL. */
static inline const char *test_req_response_header(const struct req *r, const char *name, int n)
{
    for (int i = 0; i < r->header_count; i++)
        if (!strcmp(r->headers[i].name, name) && n-- == 0)
            return r->headers[i].value;
    return NULL;
}

/* One request on a real connection: fn(connection, ctx) runs in libmicrohttpd's access handler
 * (on the daemon's thread, while the test waits for the answer, so fn may CHECK), then the
 * request is answered 200. */
struct test_connection {
    void (*fn)(struct MHD_Connection *connection, void *ctx);
    void *ctx;
    int ran;
};

static inline enum MHD_Result test_connection_handler(void *cls, struct MHD_Connection *connection,
                                                      const char *url, const char *method,
                                                      const char *version, const char *upload_data,
                                                      size_t *upload_data_size, void **req_cls)
{
    struct test_connection *t = cls;
    if (!t->ran) {
        t->ran = 1;
        t->fn(connection, t->ctx);
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result result = MHD_queue_response(connection, 200, resp);
    MHD_destroy_response(resp);
    return result;
}

/* Sends "GET target HTTP/1.1" with Host, the given header lines (each ending in CRLF, or ""),
 * and Connection: close to a daemon on a free loopback port, and runs fn(connection, ctx) for
 * it there. Returns 0 when fn ran and the answer came back, else -1 (the test fails). */
static inline int test_with_connection(const char *target, const char *header_lines,
                                       void (*fn)(struct MHD_Connection *connection, void *ctx),
                                       void *ctx)
{
    struct test_connection t = {fn, ctx, 0};
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, test_connection_handler,
                         &t, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_END);
    CHECK(d != NULL);
    if (!d)
        return -1;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    int ok = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    addr.sin_port = htons(info ? info->port : 0);
    struct timeval timeout = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) {
        char request[4096];
        int n = snprintf(request, sizeof request,
                         "GET %s HTTP/1.1\r\nHost: test\r\n%sConnection: close\r\n\r\n", target,
                         header_lines);
        if (n > 0 && (size_t)n < sizeof request && write(fd, request, (size_t)n) == n) {
            char answer[1024];
            size_t got = 0;
            ssize_t m;
            while (got < sizeof answer - 1 &&
                   (m = read(fd, answer + got, sizeof answer - 1 - got)) > 0)
                got += (size_t)m;
            answer[got] = '\0';
            ok = strncmp(answer, "HTTP/1.1 200", 12) == 0;
        }
    }
    if (fd >= 0)
        close(fd);
    MHD_stop_daemon(d);
    CHECK(t.ran);
    CHECK(ok);
    return t.ran && ok ? 0 : -1;
}

#endif
