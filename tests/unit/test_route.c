/*
 * test_route.c: tests of src/route.c, matching a request path and method against a route
 * table. A small table of its own (dummy renderers and a dummy handler) checks literal
 * matches, ":name" parameters captured into r->params from the request's arena, that a
 * trailing slash, an extra segment or an empty segment does not match, that the first
 * matching row wins, 405 with the union of the allowed methods when only the method is
 * wrong, and the Allow header text. A last test checks the shape of the real table in
 * routes.c.
 */
#include <string.h>

#include "arena.h"
#include "check.h"
#include "req.h"
#include "route.h"

static unsigned render_home(struct req *r, struct buf *out)
{
    return 200;
}

static unsigned render_article(struct req *r, struct buf *out)
{
    return 200;
}

static unsigned render_latest(struct req *r, struct buf *out)
{
    return 200;
}

static unsigned render_section(struct req *r, struct buf *out)
{
    return 200;
}

static unsigned render_about(struct req *r, struct buf *out)
{
    return 200;
}

static enum MHD_Result handle_subscribe(struct req *r)
{
    return MHD_YES;
}

#define GET_HEAD (METHOD_GET | METHOD_HEAD)

static const struct route table[] = {
    {GET_HEAD, "/", .render = render_home},
    {GET_HEAD, "/articles/latest", .render = render_latest},
    {GET_HEAD, "/articles/:slug", .render = render_article},
    {METHOD_DELETE, "/articles/:slug", .handle = handle_subscribe},
    {GET_HEAD, "/p/:publication/s/:section", .render = render_section},
    {METHOD_POST, "/subscribe", .handle = handle_subscribe, .body = BODY_FORM, .csrf = CSRF_CHECK},
    {GET_HEAD, "/about", .render = render_about},
};
static const size_t table_count = sizeof table / sizeof table[0];

/* A request for method and path, with a fresh arena (free it with req_done). */
static struct req make_req(enum method method, const char *path)
{
    struct req r;
    memset(&r, 0, sizeof r);
    r.arena = arena_new(0);
    r.method = method;
    r.path = path;
    return r;
}

static void req_done(struct req *r)
{
    arena_free(r->arena);
}

/* Matches method and path against the test table; stores the row found (or NULL) and the
 * allowed mask. */
static enum route_match_result match(struct req *r, const struct route **found, unsigned *allowed)
{
    *found = NULL;
    *allowed = 12345;
    return route_match(table, table_count, r, found, allowed);
}

static void test_literal_match(void)
{
    const struct route *found;
    unsigned allowed;
    struct req r = make_req(METHOD_GET, "/");
    CHECK_INT(match(&r, &found, &allowed), ROUTE_FOUND);
    CHECK(found == &table[0]);
    CHECK(found && found->render == render_home);
    CHECK_INT(r.param_count, 0);
    req_done(&r);

    r = make_req(METHOD_HEAD, "/about");
    CHECK_INT(match(&r, &found, &allowed), ROUTE_FOUND);
    CHECK(found && found->render == render_about);
    CHECK_INT(r.param_count, 0);
    req_done(&r);

    r = make_req(METHOD_POST, "/subscribe");
    CHECK_INT(match(&r, &found, &allowed), ROUTE_FOUND);
    CHECK(found && found->handle == handle_subscribe && found->render == NULL);
    req_done(&r);
}

static void test_not_found(void)
{
    static const char *const paths[] = {
        "/about/",  /* trailing slash */
        "/abou",    /* prefix of a literal */
        "/aboutus", /* literal plus more */
        "/About",   /* case matters */
        "",         /* no path at all */
        "//",       /* empty segments */
        "/missing", "/about/x",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        const struct route *found;
        unsigned allowed;
        struct req r = make_req(METHOD_GET, paths[i]);
        enum route_match_result result = match(&r, &found, &allowed);
        if (result != ROUTE_NOT_FOUND)
            fprintf(stderr, "    path [%s] matched\n", paths[i]);
        CHECK_INT(result, ROUTE_NOT_FOUND);
        CHECK_INT(allowed, 0);
        CHECK_INT(r.param_count, 0);
        req_done(&r);
    }
}

static void test_param_capture(void)
{
    const struct route *found;
    unsigned allowed;
    struct req r = make_req(METHOD_GET, "/articles/hello-world");
    size_t used_before = arena_used(r.arena);
    CHECK_INT(match(&r, &found, &allowed), ROUTE_FOUND);
    CHECK(found && found->render == render_article);
    CHECK_INT(r.param_count, 1);
    CHECK_STR(r.params[0], "hello-world");
    CHECK(arena_used(r.arena) > used_before); /* the parameter lives in the request's arena */
    req_done(&r);

    /* a decoded path may hold any UTF-8 and punctuation in a parameter */
    r = make_req(METHOD_GET, "/articles/caf\xc3\xa9 & co.");
    CHECK_INT(match(&r, &found, &allowed), ROUTE_FOUND);
    CHECK_INT(r.param_count, 1);
    CHECK_STR(r.params[0], "caf\xc3\xa9 & co.");
    req_done(&r);

    r = make_req(METHOD_GET, "/articles/x");
    CHECK_INT(match(&r, &found, &allowed), ROUTE_FOUND);
    CHECK_STR(r.params[0], "x");
    req_done(&r);
}

static void test_two_params(void)
{
    const struct route *found;
    unsigned allowed;
    struct req r = make_req(METHOD_GET, "/p/times/s/world-news");
    CHECK_INT(match(&r, &found, &allowed), ROUTE_FOUND);
    CHECK(found && found->render == render_section);
    CHECK_INT(r.param_count, 2);
    CHECK_STR(r.params[0], "times");
    CHECK_STR(r.params[1], "world-news");
    req_done(&r);
}

/* A ":name" segment needs exactly one non-empty segment: not an empty one, not two. */
static void test_param_needs_one_nonempty_segment(void)
{
    static const char *const paths[] = {
        "/articles/",     "/articles//",        "/articles/x/", "/articles/x/y",
        "/articles//x",   "/p//s/world",        "/p/times/s/",  "/p/times/s//",
        "/p/times/world", "/p/times/s/world/x", "/articles",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        const struct route *found;
        unsigned allowed;
        struct req r = make_req(METHOD_GET, paths[i]);
        enum route_match_result result = match(&r, &found, &allowed);
        if (result != ROUTE_NOT_FOUND)
            fprintf(stderr, "    path [%s] matched\n", paths[i]);
        CHECK_INT(result, ROUTE_NOT_FOUND);
        CHECK_INT(r.param_count, 0);
        req_done(&r);
    }
}

/* Rows are tried in order: a literal listed before a parameter pattern wins. */
static void test_first_row_wins(void)
{
    const struct route *found;
    unsigned allowed;
    struct req r = make_req(METHOD_GET, "/articles/latest");
    CHECK_INT(match(&r, &found, &allowed), ROUTE_FOUND);
    CHECK(found && found->render == render_latest);
    CHECK_INT(r.param_count, 0);
    req_done(&r);
}

/* The path matches but the method does not: 405 with the union of every matching row's
 * methods, and no parameters. */
static void test_method_not_allowed(void)
{
    const struct route *found;
    unsigned allowed;
    struct req r = make_req(METHOD_POST, "/articles/x");
    CHECK_INT(match(&r, &found, &allowed), ROUTE_METHOD_NOT_ALLOWED);
    CHECK_INT(allowed, METHOD_GET | METHOD_HEAD | METHOD_DELETE);
    CHECK_INT(r.param_count, 0);
    req_done(&r);

    r = make_req(METHOD_GET, "/subscribe");
    CHECK_INT(match(&r, &found, &allowed), ROUTE_METHOD_NOT_ALLOWED);
    CHECK_INT(allowed, METHOD_POST);
    req_done(&r);

    r = make_req(METHOD_POST, "/");
    CHECK_INT(match(&r, &found, &allowed), ROUTE_METHOD_NOT_ALLOWED);
    CHECK_INT(allowed, GET_HEAD);
    req_done(&r);

    r = make_req(METHOD_UNKNOWN, "/about");
    CHECK_INT(match(&r, &found, &allowed), ROUTE_METHOD_NOT_ALLOWED);
    CHECK_INT(allowed, GET_HEAD);
    req_done(&r);

    /* the second row for the same pattern answers its own method */
    r = make_req(METHOD_DELETE, "/articles/x");
    CHECK_INT(match(&r, &found, &allowed), ROUTE_FOUND);
    CHECK(found == &table[3]);
    CHECK_INT(r.param_count, 1);
    CHECK_STR(r.params[0], "x");
    req_done(&r);
}

/* One request reused for a second match (as a recycled struct req is) gets the second match's
 * parameters only. */
static void test_params_reset_between_matches(void)
{
    const struct route *found;
    unsigned allowed;
    struct req r = make_req(METHOD_GET, "/p/a/s/b");
    CHECK_INT(match(&r, &found, &allowed), ROUTE_FOUND);
    CHECK_INT(r.param_count, 2);
    r.path = "/about";
    CHECK_INT(match(&r, &found, &allowed), ROUTE_FOUND);
    CHECK_INT(r.param_count, 0);
    r.path = "/articles/zz";
    CHECK_INT(match(&r, &found, &allowed), ROUTE_FOUND);
    CHECK_INT(r.param_count, 1);
    CHECK_STR(r.params[0], "zz");
    r.path = "/nowhere";
    CHECK_INT(match(&r, &found, &allowed), ROUTE_NOT_FOUND);
    CHECK_INT(r.param_count, 0);
    req_done(&r);
}

static void test_allow_header(void)
{
    char out[128];
    route_allow_header(METHOD_GET | METHOD_HEAD, out, sizeof out);
    CHECK_STR(out, "GET, HEAD");
    route_allow_header(METHOD_POST, out, sizeof out);
    CHECK_STR(out, "POST");
    route_allow_header(METHOD_GET | METHOD_HEAD | METHOD_DELETE, out, sizeof out);
    CHECK_STR(out, "GET, HEAD, DELETE");
    route_allow_header(METHOD_GET | METHOD_HEAD | METHOD_POST | METHOD_PUT | METHOD_DELETE |
                           METHOD_PATCH | METHOD_OPTIONS,
                       out, sizeof out);
    CHECK_STR(out, "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS");
    route_allow_header(0, out, sizeof out);
    CHECK_STR(out, "");
    route_allow_header(METHOD_OTHER | METHOD_UNKNOWN, out, sizeof out); /* never allowed */
    CHECK_STR(out, "");
    route_allow_header(METHOD_OTHER | METHOD_HEAD, out, sizeof out);
    CHECK_STR(out, "HEAD");
    char small[8]; /* too small for "GET, HEAD": only whole names are written */
    route_allow_header(METHOD_GET | METHOD_HEAD, small, sizeof small);
    CHECK_STR(small, "GET");

    /* the mask a 405 reports turns into the header text */
    const struct route *found;
    unsigned allowed;
    struct req r = make_req(METHOD_PUT, "/articles/x");
    CHECK_INT(match(&r, &found, &allowed), ROUTE_METHOD_NOT_ALLOWED);
    route_allow_header(allowed, out, sizeof out);
    CHECK_STR(out, "GET, HEAD, DELETE");
    req_done(&r);
}

/* The real table: every row has a pattern starting with '/', some method, and exactly one of a
 * renderer and a handler; "/" and an article path are GET pages. */
static void test_real_table_shape(void)
{
    CHECK(route_count > 0);
    int bad = 0;
    for (size_t i = 0; i < route_count; i++) {
        const struct route *row = &routes[i];
        if (!row->pattern || row->pattern[0] != '/' || !row->methods ||
            (row->render == NULL) == (row->handle == NULL)) {
            fprintf(stderr, "    bad row %zu: %s\n", i, row->pattern ? row->pattern : "(null)");
            bad++;
        }
    }
    CHECK_INT(bad, 0);

    const struct route *found = NULL;
    unsigned allowed;
    struct req r = make_req(METHOD_GET, "/");
    CHECK_INT(route_match(routes, route_count, &r, &found, &allowed), ROUTE_FOUND);
    req_done(&r);
    r = make_req(METHOD_GET, "/articles/some-slug");
    CHECK_INT(route_match(routes, route_count, &r, &found, &allowed), ROUTE_FOUND);
    CHECK_INT(r.param_count, 1);
    CHECK_STR(r.params[0], "some-slug");
    req_done(&r);
}

/* The policy check: the real table passes it; each kind of mistake in a table is found. */
static void test_table_policy(void)
{
    CHECK_INT(route_table_check(routes, route_count, stderr), 0);
    CHECK_INT(route_table_check(table, table_count, stderr), 0);

    FILE *devnull = fopen("/dev/null", "w");
    static const struct route unsaid[] = {
        {METHOD_POST, "/a", .handle = handle_subscribe, .body = BODY_FORM}};
    CHECK_INT(route_table_check(unsaid, 1, devnull), 1); /* neither checked nor exempt */
    static const struct route no_reason[] = {
        {METHOD_POST, "/a", .handle = handle_subscribe, .body = BODY_ANY, .csrf = CSRF_EXEMPT}};
    CHECK_INT(route_table_check(no_reason, 1, devnull), 1);
    static const struct route no_form[] = {
        {METHOD_POST, "/a", .handle = handle_subscribe, .body = BODY_JSON, .csrf = CSRF_CHECK}};
    CHECK_INT(route_table_check(no_form, 1, devnull), 1); /* the token has nowhere to be */
    static const struct route no_body[] = {
        {METHOD_POST, "/a", .handle = handle_subscribe, .csrf = CSRF_CHECK}};
    CHECK_INT(route_table_check(no_body, 1, devnull), 2); /* no body, and so no token */
    static const struct route get_body[] = {
        {GET_HEAD, "/a", .handle = handle_subscribe, .body = BODY_FORM}};
    CHECK_INT(route_table_check(get_body, 1, devnull), 1);
    static const struct route posted_page[] = {{METHOD_GET | METHOD_POST, "/a",
                                                .render = render_home, .body = BODY_FORM,
                                                .csrf = CSRF_CHECK}};
    CHECK_INT(route_table_check(posted_page, 1, devnull), 1); /* a cached page takes no POST */
    static const struct route both[] = {
        {GET_HEAD, "/a", .render = render_home, .handle = handle_subscribe}};
    CHECK_INT(route_table_check(both, 1, devnull), 1);
    fclose(devnull);

    /* Every real POST route is either checked, or exempt with its reason. */
    for (size_t i = 0; i < route_count; i++) {
        if (!(routes[i].methods & METHOD_POST))
            continue;
        CHECK(routes[i].csrf == CSRF_CHECK ||
              (routes[i].csrf == CSRF_EXEMPT && routes[i].csrf_exempt_why));
    }
}

void suite_route(void)
{
    RUN(test_literal_match);
    RUN(test_not_found);
    RUN(test_param_capture);
    RUN(test_two_params);
    RUN(test_param_needs_one_nonempty_segment);
    RUN(test_first_row_wins);
    RUN(test_method_not_allowed);
    RUN(test_params_reset_between_matches);
    RUN(test_allow_header);
    RUN(test_real_table_shape);
    RUN(test_table_policy);
}
