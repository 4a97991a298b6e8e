/*
 * test_render_pack.c: tests of the context builders of src/render.c that need no request: a part
 * jansson refuses (text that is not UTF-8, a NULL string) comes back from render_pack as NULL,
 * and render_set and render_append carry a NULL part or a NULL context through as NULL, freeing
 * the rest, so a context missing a part never reaches a template (render_page answers it with
 * 500). Leaks would show in the sanitizer build. Then the two small helpers pages share:
 * render_prune_empty (drops the members that are "") and render_when (a time to show, "" for 0).
 */
#include <jansson.h>

#include "arena.h"
#include "check.h"
#include "render.h"

static void test_pack(void)
{
    json_t *ok = render_pack("{s:s, s:b}", "name", "Ren\u00e9e", "verified", 1);
    CHECK(ok != NULL);
    CHECK_STR(json_string_value(json_object_get(ok, "name")), "Ren\u00e9e");
    json_decref(ok);
    CHECK(render_pack("{s:s}", "name", "Bad\xffName") == NULL); /* logged, not shown */
    CHECK(render_pack("{s:s}", "name", (const char *)NULL) == NULL);
}

static void test_set_and_append(void)
{
    json_t *ctx = json_object();
    ctx = render_set(ctx, "a", json_integer(1));
    CHECK(ctx != NULL);
    CHECK_INT(json_integer_value(json_object_get(ctx, "a")), 1);
    /* A part that failed makes the whole context NULL (and frees it)… */
    ctx = render_set(ctx, "b", render_pack("{s:s}", "x", "\xc3"));
    CHECK(ctx == NULL);
    /* … and what is put into a NULL context is freed, not kept. */
    ctx = render_set(ctx, "c", json_string("dropped"));
    CHECK(ctx == NULL);

    json_t *list = json_array();
    list = render_append(list, json_string("one"));
    CHECK(list != NULL && json_array_size(list) == 1);
    list = render_append(list, NULL);
    CHECK(list == NULL);
    list = render_append(list, json_string("two"));
    CHECK(list == NULL);

    /* A NULL part inside a packed one ("o") fails that one too. */
    CHECK(render_pack("{s:o}", "list", render_append(NULL, json_true())) == NULL);
}

static void test_prune_empty(void)
{
    json_t *obj = render_pack("{s:s, s:s, s:i, s:s}", "when", "", "by", "Ann", "n", 0, "why", "");
    CHECK(render_prune_empty(obj) == obj);
    CHECK_INT((long long)json_object_size(obj), 2);
    CHECK_STR(json_string_value(json_object_get(obj, "by")), "Ann");
    CHECK(json_object_get(obj, "n") != NULL); /* only strings are pruned */
    json_decref(obj);
    CHECK(render_prune_empty(NULL) == NULL);
}

static void test_when(void)
{
    struct arena *a = arena_new(0);
    CHECK_STR(render_when(a, 1402669800), "June 13, 2014, 14:30 UTC");
    CHECK_STR(render_when(a, 0), "");
    char out[64];
    render_time(1402669800, out, sizeof out);
    CHECK_STR(render_when(a, 1402669800), out);
    arena_free(a);
}

void suite_render_pack(void)
{
    RUN(test_pack);
    RUN(test_set_and_append);
    RUN(test_prune_empty);
    RUN(test_when);
}
