/*
 * test_html.c: tests of src/html.c, the output escapers and the trusted-HTML type. Checks the
 * text a page would contain: html_text and html_attr escape exactly & < > " ' and pass UTF-8
 * through untouched; html_url_path and html_url_arg percent-encode everything but unreserved
 * characters as uppercase %XX (space, slash, reserved punctuation, control and non-ASCII
 * bytes); and html_trusted_get recognizes only values made by html_trusted, not a plain string,
 * a look-alike object, or a trusted object with another key added.
 */
#include <jansson.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "html.h"

typedef void (*escaper)(struct buf *, const char *, size_t);

/* Runs escape over s[0..len) into a fresh buf and compares the result with want[0..want_len). */
static int escapes_to(escaper escape, const char *s, size_t len, const char *want, size_t want_len)
{
    struct buf b = BUF_INIT;
    escape(&b, s, len);
    int ok = b.len == want_len && memcmp(b.data ? b.data : "", want, b.len) == 0;
    if (!ok)
        fprintf(stderr, "    escaped [%.*s] to [%.*s], want [%.*s]\n", (int)len, s, (int)b.len,
                b.data ? b.data : "", (int)want_len, want);
    buf_free(&b);
    return ok;
}

/* s and want are C strings. */
#define ESCAPES(escape, s, want) escapes_to(escape, s, strlen(s), want, strlen(want))
/* s and want are string literals that may hold NUL bytes. */
#define ESCAPES_LIT(escape, s, want) escapes_to(escape, s, sizeof(s) - 1, want, sizeof(want) - 1)

static void test_text_escapes_the_five(void)
{
    CHECK(ESCAPES(html_text, "a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d&quot;e&#39;f"));
    CHECK(ESCAPES(html_text, "<script>alert('x')</script>",
                  "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    CHECK(ESCAPES(html_text, "&amp;", "&amp;amp;")); /* already-escaped text is escaped again */
    CHECK(ESCAPES(html_text, "&&<<", "&amp;&amp;&lt;&lt;"));
    CHECK(ESCAPES(html_text, "\"", "&quot;"));
    CHECK(ESCAPES(html_text, "'", "&#39;"));
}

static void test_text_leaves_the_rest(void)
{
    CHECK(ESCAPES(html_text, "", ""));
    CHECK(ESCAPES(html_text, "plain text, 100% (fine) = ok; /path?q#f",
                  "plain text, 100% (fine) = ok; /path?q#f"));
    /* UTF-8 passes through byte for byte: é, an em dash, a snowman and an emoji */
    CHECK(ESCAPES(html_text, "caf\xc3\xa9 \xe2\x80\x94 \xe2\x98\x83 \xf0\x9f\x98\x80",
                  "caf\xc3\xa9 \xe2\x80\x94 \xe2\x98\x83 \xf0\x9f\x98\x80"));
    CHECK(ESCAPES(html_text, "\xc3\xa9<\xc3\xa9", "\xc3\xa9&lt;\xc3\xa9"));
    CHECK(ESCAPES(html_text, "tab\tnew\nline", "tab\tnew\nline"));
}

/* Only s[0..len) is read, and output is appended after what the buf already holds. */
static void test_text_length_and_append(void)
{
    CHECK(escapes_to(html_text, "ab<cd", 3, "ab&lt;", 6));
    CHECK(escapes_to(html_text, "<<<", 0, "", 0));
    CHECK(ESCAPES_LIT(html_text, "a\0<", "a\0&lt;"));
    struct buf b = BUF_INIT;
    buf_puts(&b, "<p>");
    html_text(&b, "x>y", 3);
    buf_puts(&b, "</p>");
    CHECK_STR(b.data, "<p>x&gt;y</p>");
    buf_free(&b);
}

static void test_attr_same_as_text(void)
{
    CHECK(ESCAPES(html_attr, "\" onmouseover=\"alert(1)", "&quot; onmouseover=&quot;alert(1)"));
    CHECK(ESCAPES(html_attr, "a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d&quot;e&#39;f"));
    CHECK(ESCAPES(html_attr, "caf\xc3\xa9", "caf\xc3\xa9"));
    CHECK(ESCAPES(html_attr, "", ""));
}

static void test_url_path(void)
{
    CHECK(ESCAPES(html_url_path, "hello-world", "hello-world"));
    CHECK(ESCAPES(html_url_path, "AZaz09-._~", "AZaz09-._~"));
    CHECK(ESCAPES(html_url_path, "a b", "a%20b"));
    CHECK(ESCAPES(html_url_path, "a/b", "a%2Fb"));
    CHECK(ESCAPES(html_url_path, "../etc", "..%2Fetc"));
    CHECK(ESCAPES(html_url_path, "?#&=+%", "%3F%23%26%3D%2B%25"));
    CHECK(ESCAPES(html_url_path, "<\"'>", "%3C%22%27%3E"));
    CHECK(ESCAPES(html_url_path, "caf\xc3\xa9", "caf%C3%A9")); /* uppercase hex */
    CHECK(ESCAPES(html_url_path, "\xff\xfe\x80", "%FF%FE%80"));
    CHECK(ESCAPES(html_url_path, "\n\t\x7f", "%0A%09%7F"));
    CHECK(ESCAPES_LIT(html_url_path, "a\0b", "a%00b"));
    CHECK(ESCAPES(html_url_path, "", ""));
}

static void test_url_arg(void)
{
    CHECK(ESCAPES(html_url_arg, "new york", "new%20york")); /* not '+' */
    CHECK(ESCAPES(html_url_arg, "a+b", "a%2Bb"));
    CHECK(ESCAPES(html_url_arg, "x=1&y=2", "x%3D1%26y%3D2"));
    CHECK(ESCAPES(html_url_arg, "a/b", "a%2Fb"));
    CHECK(ESCAPES(html_url_arg, "\xe2\x98\x83", "%E2%98%83"));
    CHECK(ESCAPES(html_url_arg, "AZaz09-._~", "AZaz09-._~"));
    CHECK(ESCAPES(html_url_arg, "", ""));
    /* appends to what is there, as when building a query string */
    struct buf b = BUF_INIT;
    buf_puts(&b, "/search?q=");
    html_url_arg(&b, "a b&c", 5);
    CHECK_STR(b.data, "/search?q=a%20b%26c");
    buf_free(&b);
}

static void test_trusted_roundtrip(void)
{
    json_t *v = html_trusted("<p>Hello <em>world</em></p>");
    CHECK(v != NULL);
    CHECK_STR(html_trusted_get(v), "<p>Hello <em>world</em></p>");
    json_t *empty = html_trusted("");
    CHECK_STR(html_trusted_get(empty), "");
    /* a trusted value put inside template data and fetched back is still trusted */
    json_t *data = json_object();
    json_object_set(data, "body", v);
    CHECK_STR(html_trusted_get(json_object_get(data, "body")), "<p>Hello <em>world</em></p>");
    json_decref(data);
    json_decref(empty);
    json_decref(v);
}

static void test_untrusted_values(void)
{
    CHECK(html_trusted_get(NULL) == NULL);
    json_t *s = json_string("<b>bold</b>");
    CHECK(html_trusted_get(s) == NULL);
    json_t *n = json_integer(1);
    CHECK(html_trusted_get(n) == NULL);
    json_t *arr = json_pack("[s]", "<b>");
    CHECK(html_trusted_get(arr) == NULL);
    json_t *obj = json_object();
    CHECK(html_trusted_get(obj) == NULL);
    json_t *lookalike = json_pack("{s:s}", "html", "<b>");
    CHECK(html_trusted_get(lookalike) == NULL);
    json_t *lookalike2 = json_pack("{s:s}", "trusted-html", "<b>");
    CHECK(html_trusted_get(lookalike2) == NULL);
    json_decref(s);
    json_decref(n);
    json_decref(arr);
    json_decref(obj);
    json_decref(lookalike);
    json_decref(lookalike2);
}

/* An object with the trusted key plus another key is not trusted, nor is one whose trusted key
 * holds something other than a string. */
static void test_tampered_trusted_values(void)
{
    json_t *v = html_trusted("<i>x</i>");
    json_object_set_new(v, "extra", json_string("y"));
    CHECK(html_trusted_get(v) == NULL);
    json_object_del(v, "extra");
    CHECK_STR(html_trusted_get(v), "<i>x</i>"); /* back to the single key */
    json_decref(v);

    json_t *w = html_trusted("<i>x</i>");
    const char *key;
    json_t *value;
    void *tmp;
    json_object_foreach_safe(w, tmp, key, value)
    {
        (void)value;
        json_object_set_new(w, key, json_integer(5));
    }
    CHECK(html_trusted_get(w) == NULL);
    json_decref(w);
}

void suite_html(void)
{
    RUN(test_text_escapes_the_five);
    RUN(test_text_leaves_the_rest);
    RUN(test_text_length_and_append);
    RUN(test_attr_same_as_text);
    RUN(test_url_path);
    RUN(test_url_arg);
    RUN(test_trusted_roundtrip);
    RUN(test_untrusted_values);
    RUN(test_tampered_trusted_values);
}
