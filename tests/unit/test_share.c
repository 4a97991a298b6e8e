/*
 * test_share.c: tests of src/share.c, the pieces of the article page's share metadata. A
 * JSON-LD script element holds no '<' at all (so no "</script>" or "<!--" from any value) and
 * JSON.parse-equivalent reading (jansson) gives the values back; an array gives one element
 * per member. The first image is the first <img> of the Markdown renderer's own output, with
 * its entities decoded, and none from raw HTML (which safe mode never outputs). Absolute URLs:
 * http(s) with a host kept, a root path prefixed with the site, everything else refused.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "check.h"
#include "html.h"
#include "markdown.h"
#include "share.h"

/* The JSON between the script tags of element number `which` (0-based) in html, parsed. */
static json_t *script_json(const char *html, int which)
{
    const char *open = "<script type=\"application/ld+json\">";
    const char *p = html;
    for (int i = 0; i <= which; i++) {
        p = strstr(p, open);
        if (!p)
            return NULL;
        p += strlen(open);
    }
    const char *end = strstr(p, "</script>");
    if (!end)
        return NULL;
    return json_loadb(p, (size_t)(end - p), 0, NULL);
}

static void test_ld_script_cannot_be_broken_out_of(void)
{
    const char *evil = "x</script><script>alert(1)</script><!-- y </SCRIPT >";
    json_t *trusted = share_ld_script(json_pack("{s:s, s:s}", "headline", evil, "url", "a/b"));
    const char *html = html_trusted_get(trusted);
    CHECK(html != NULL);
    if (!html)
        return;
    const char *inner = html + strlen("<script type=\"application/ld+json\">");
    size_t inner_len = strlen(inner) - strlen("</script>");
    CHECK(strcmp(inner + inner_len, "</script>") == 0);
    CHECK(memchr(inner, '<', inner_len) == NULL); /* no '<' at all between the tags */
    json_t *back = script_json(html, 0);
    CHECK_STR(json_string_value(json_object_get(back, "headline")), evil);
    CHECK_STR(json_string_value(json_object_get(back, "url")), "a/b");
    CHECK(strstr(html, "a\\/b") != NULL); /* JSON_ESCAPE_SLASH */
    json_decref(back);
    json_decref(trusted);
}

static void test_ld_script_array_gives_one_element_each(void)
{
    json_t *trusted = share_ld_script(json_pack("[{s:i}, {s:i}]", "n", 1, "n", 2));
    const char *html = html_trusted_get(trusted);
    CHECK(html != NULL);
    json_t *first = script_json(html, 0), *second = script_json(html, 1);
    CHECK_INT(json_integer_value(json_object_get(first, "n")), 1);
    CHECK_INT(json_integer_value(json_object_get(second, "n")), 2);
    CHECK(script_json(html, 2) == NULL);
    json_decref(first);
    json_decref(second);
    json_decref(trusted);
    CHECK(share_ld_script(NULL) == NULL);
}

static void test_first_image_from_rendered_markdown(void)
{
    struct arena *a = arena_new(0);
    const char *md = "Text first.\n\n![one](/media/a.png?x=1&y='2') and ![two](/b.png)\n";
    char *html = markdown_to_html(md, strlen(md));
    CHECK_STR(share_first_image(a, html), "/media/a.png?x=1&y='2'");
    free(html);
    const char *none = "No picture, <img src=\"/raw.png\"> raw HTML is omitted.\n";
    html = markdown_to_html(none, strlen(none));
    CHECK(share_first_image(a, html) == NULL);
    free(html);
    CHECK(share_first_image(a, NULL) == NULL);
    CHECK(share_first_image(a, "") == NULL);
    arena_free(a);
}

static void test_absolute_urls(void)
{
    struct arena *a = arena_new(0);
    const char *site = "https://news.example";
    CHECK_STR(share_absolute(a, site, "https://cdn.example/p.jpg"), "https://cdn.example/p.jpg");
    CHECK_STR(share_absolute(a, site, "HTTP://cdn.example/p.jpg"), "HTTP://cdn.example/p.jpg");
    CHECK_STR(share_absolute(a, site, "/media/p.jpg"), "https://news.example/media/p.jpg");
    CHECK(share_absolute(a, site, "media/p.jpg") == NULL);
    CHECK(share_absolute(a, site, "//evil.example/p.jpg") == NULL);
    CHECK(share_absolute(a, site, "/\\evil.example/p.jpg") == NULL);
    CHECK(share_absolute(a, site, "javascript:alert(1)") == NULL);
    CHECK(share_absolute(a, site, "data:image/png;base64,AAAA") == NULL);
    CHECK(share_absolute(a, site, "https:///nohost") == NULL);
    CHECK(share_absolute(a, site, "https://") == NULL);
    CHECK(share_absolute(a, site, "/a b.jpg") == NULL);
    CHECK(share_absolute(a, site, "https://x.example/a\nb") == NULL);
    CHECK(share_absolute(a, site, "") == NULL);
    CHECK(share_absolute(a, site, NULL) == NULL);
    CHECK(share_url_is_absolute("http://example.com"));
    CHECK(!share_url_is_absolute("ftp://example.com/x"));
    arena_free(a);
}

void suite_share(void)
{
    RUN(test_ld_script_cannot_be_broken_out_of);
    RUN(test_ld_script_array_gives_one_element_each);
    RUN(test_first_image_from_rendered_markdown);
    RUN(test_absolute_urls);
}
