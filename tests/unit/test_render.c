/*
 * test_render.c: tests of src/render.c's page context, with the default theme and a fresh
 * database. Mostly the outdated-browser notice's list, parsed from the supported_browsers
 * setting ("chrome 131, edge 131, firefox 133, safari 18") into browser_notice.browsers: known
 * names in any case, whole versions from 1 to 9999, the configured order; anything else
 * skipped (unknown names, missing, zero, signed, fractional, trailing or huge versions, an
 * over-long entry), as is a second entry for the same browser. Then the page title and the
 * canonical link (absent for a page without an address of its own, such as an error page).
 */
#include <string.h>

#include "buf.h"
#include "check.h"
#include "config.h"
#include "render.h"
#include "test_request.h"
#include "util.h"

/* The browser list render_context gives for the setting spec, as "key version, …" (and each
 * entry's name and url checked against its key). */
static const char *browsers(struct test_app *t, struct req *r, const char *spec)
{
    char err[256] = "";
    CHECK_INT(config_set(&t->config, "supported_browsers", spec, err, sizeof err), 0);
    json_t *ctx = render_context(r, "home", NULL, NULL, "/", NULL);
    json_t *notice = json_object_get(ctx, "browser_notice");
    CHECK_STR(json_string_value(json_object_get(notice, "site_name")), t->config.site_name);
    json_t *list = json_object_get(notice, "browsers");
    CHECK(json_is_array(list));
    struct buf out = BUF_INIT;
    size_t i;
    json_t *entry;
    json_array_foreach(list, i, entry)
    {
        const char *key = json_string_value(json_object_get(entry, "key"));
        const char *name = json_string_value(json_object_get(entry, "name"));
        const char *url = json_string_value(json_object_get(entry, "url"));
        CHECK(key && name && url && !strncmp(url, "https://", 8));
        CHECK(key && name && !strcasecmp(key, name)); /* "chrome" is shown as "Chrome" */
        buf_printf(&out, "%s%s %lld", i ? ", " : "", key ? key : "?",
                   (long long)json_integer_value(json_object_get(entry, "version")));
    }
    const char *result = arena_strndup(r->arena, out.data ? out.data : "", out.len);
    buf_free(&out);
    json_decref(ctx);
    return result;
}

static void test_browser_list(void)
{
    static const struct {
        const char *spec, *want;
    } cases[] = {
        {"chrome 131, edge 131, firefox 133, safari 18",
         "chrome 131, edge 131, firefox 133, safari 18"},
        {"", ""},
        {"   ", ""},
        {",,, ,", ""},
        {"safari 17, chrome 120", "safari 17, chrome 120"}, /* the configured order */
        {"Chrome 120, FIREFOX 115", "chrome 120, firefox 115"},
        {"  firefox \t 115  ,safari\t17,", "firefox 115, safari 17"},
        {",,chrome 1,,edge 9999,,", "chrome 1, edge 9999"},
        {"chrome 0131", "chrome 131"},
        /* a second entry for a browser is skipped, a skipped entry takes no browser's place */
        {"chrome 131, chrome 100", "chrome 131"},
        {"chrome x, chrome 100", "chrome 100"},
        /* unknown names */
        {"opera 100, chrome 131", "chrome 131"},
        {"chromium 100, msie 11, chrome131, chromeedge 1", ""},
        /* versions that are not a whole number from 1 to 9999 */
        {"chrome", ""},
        {"chrome ", ""},
        {"chrome 0", ""},
        {"chrome 10000", ""},
        {"chrome -1", ""},
        {"chrome +5", ""},
        {"chrome 131.0", ""},
        {"chrome 120x", ""},
        {"chrome 120 beta", ""},
        {"chrome 1 2", ""},
        {"chrome 99999999999999999999999", ""},
        {"131 chrome", ""},
        /* an entry too long to be one is skipped, and the next still read */
        {"chrome                                                                      131, edge 1",
         "edge 1"},
        {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "
         "1, "
         "safari 18",
         "safari 18"},
    };
    struct test_app t;
    struct tmpdb db;
    test_app_init(&t, NULL);
    if (test_app_open_site(&t, &db, "render") != 0)
        goto out;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct req r = test_req_make(&t.app);
        const char *got = browsers(&t, &r, cases[i].spec);
        if (strcmp(got, cases[i].want) != 0)
            fprintf(stderr, "    spec [%s]\n", cases[i].spec);
        CHECK_STR(got, cases[i].want);
        test_req_done(&r);
    }
out:
    test_app_free(&t);
    tmpdb_remove(&db);
}

/* The notice is in every page, the same for everyone: the default theme renders the list. */
static void test_browser_notice_rendered(void)
{
    struct test_app t;
    struct tmpdb db;
    test_app_init(&t, NULL);
    if (test_app_open_site(&t, &db, "render") != 0)
        goto out;
    struct req r = test_req_make(&t.app);
    json_t *ctx = render_context(&r, "home", NULL, NULL, "/", NULL);
    struct buf out = BUF_INIT;
    CHECK_INT(render_page(&r, "slot-browser-notice", ctx, &out), 200);
    const char *page = arena_strndup(r.arena, out.data ? out.data : "", out.len);
    CHECK(strstr(page, "data-min-firefox=\"133\"") != NULL); /* what the script compares */
    CHECK(strstr(page, "data-min-safari=\"18\"") != NULL);
    CHECK(strstr(page, "<a href=\"https://www.mozilla.org/firefox/new/\">Firefox</a>") != NULL);
    buf_free(&out);
    test_req_done(&r);
out:
    test_app_free(&t);
    tmpdb_remove(&db);
}

static void test_title_and_canonical(void)
{
    struct test_app t;
    struct tmpdb db;
    test_app_init(&t, NULL);
    if (test_app_open_site(&t, &db, "render") != 0)
        goto out;
    struct req r = test_req_make(&t.app);
    json_t *ctx = render_context(&r, "article", "A headline", "A dek", "/articles/x", NULL);
    json_t *page = json_object_get(ctx, "page");
    char want[256];
    snprintf(want, sizeof want, "A headline | %s", t.config.site_name);
    CHECK_STR(json_string_value(json_object_get(page, "title")), want);
    CHECK_STR(json_string_value(json_object_get(page, "description")), "A dek");
    CHECK_STR(json_string_value(json_object_get(page, "kind")), "article");
    CHECK_STR(json_string_value(json_object_get(page, "canonical")),
              "https://news.example/articles/x");
    json_decref(ctx);

    /* no title: the site's name; no path (an error page): no canonical link */
    ctx = render_context(&r, "error", NULL, NULL, NULL, NULL);
    page = json_object_get(ctx, "page");
    CHECK_STR(json_string_value(json_object_get(page, "title")), t.config.site_name);
    CHECK(json_object_get(page, "canonical") == NULL);
    json_decref(ctx);
    test_req_done(&r);
out:
    test_app_free(&t);
    tmpdb_remove(&db);
}

void suite_render(void)
{
    RUN(test_browser_list);
    RUN(test_browser_notice_rendered);
    RUN(test_title_and_canonical);
}
