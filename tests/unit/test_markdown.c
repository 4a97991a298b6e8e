/*
 * test_markdown.c: tests of src/markdown.c: the Markdown an editor writes comes out as the HTML
 * a reader should get, text exactly as written (no smart quotes), and nothing a hostile article
 * file could use to run script (raw HTML, javascript: links) survives.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "markdown.h"

/* Renders the C string md and compares the whole output with want. */
#define CHECK_RENDERS(md, want)                                                                    \
    do {                                                                                           \
        char *html_ = markdown_to_html((md), strlen(md));                                          \
        CHECK_STR(html_, (want));                                                                  \
        free(html_);                                                                               \
    } while (0)

/* 1 if rendering md yields HTML containing needle. */
static int renders_with(const char *md, const char *needle)
{
    char *html = markdown_to_html(md, strlen(md));
    int found = strstr(html, needle) != NULL;
    free(html);
    return found;
}

static void test_paragraphs(void)
{
    CHECK_RENDERS("One.\n\nTwo,\nstill two.\n", "<p>One.</p>\n<p>Two,\nstill two.</p>\n");
    CHECK_RENDERS("", "");
    CHECK_RENDERS("## Heading\n\n- a\n- b\n",
                  "<h2>Heading</h2>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n");
    CHECK_RENDERS("> quoted\n", "<blockquote>\n<p>quoted</p>\n</blockquote>\n");
}

static void test_emphasis(void)
{
    CHECK_RENDERS("*Sunni* and **Shia** and _both_\n",
                  "<p><em>Sunni</em> and <strong>Shia</strong> and <em>both</em></p>\n");
}

static void test_links(void)
{
    CHECK_RENDERS("told [Reuters](https://www.reuters.com/world \"Reuters\")\n",
                  "<p>told <a href=\"https://www.reuters.com/world\" title=\"Reuters\">Reuters</a>"
                  "</p>\n");
    CHECK_RENDERS("<https://example.com/a?b=1&c=2>\n",
                  "<p><a href=\"https://example.com/a?b=1&amp;c=2\">https://example.com/a?b=1&amp;"
                  "c=2</a></p>\n");
}

static void test_text_kept_exact(void)
{
    /* No smart punctuation: straight quotes and dashes stay what the editor typed (escaped). */
    CHECK_RENDERS("\"Iran's\" view -- and more...\n",
                  "<p>&quot;Iran's&quot; view -- and more...</p>\n");
    CHECK_RENDERS("Tom & Jerry < 3\n", "<p>Tom &amp; Jerry &lt; 3</p>\n");
    CHECK_RENDERS("Caf\xc3\xa9 \xe2\x80\x94 na\xc3\xafve\n",
                  "<p>Caf\xc3\xa9 \xe2\x80\x94 na\xc3\xafve</p>\n");
}

static void test_raw_html_dropped(void)
{
    const char *block = "Before.\n\n<script>alert(1)</script>\n\nAfter.\n";
    CHECK(!renders_with(block, "<script"));
    CHECK(!renders_with(block, "alert(1)"));
    CHECK(renders_with(block, "<p>After.</p>"));
    const char *inline_html = "Text <img src=x onerror=alert(1)> and <b>bold</b>.\n";
    CHECK(!renders_with(inline_html, "<img"));
    CHECK(!renders_with(inline_html, "onerror"));
    CHECK(!renders_with(inline_html, "<b>"));
    CHECK(!renders_with("<iframe src=\"https://evil.example/\"></iframe>\n", "<iframe"));
}

static void test_javascript_link_dropped(void)
{
    CHECK(!renders_with("[click](javascript:alert(1))\n", "javascript:"));
    CHECK(renders_with("[click](javascript:alert(1))\n", "<a href=\"\">click</a>"));
    CHECK(!renders_with("[click](JaVaScRiPt:alert(1))\n", "alert"));
    CHECK(!renders_with("[x](vbscript:msgbox)\n", "vbscript:"));
    CHECK(!renders_with("[x](data:text/html;base64,PHNjcmlwdD4=)\n", "data:"));
    CHECK(!renders_with("<javascript:alert(1)>\n", "href=\"javascript:"));
    CHECK(!renders_with("![x](javascript:alert(1))\n", "javascript:"));
}

void suite_markdown(void)
{
    RUN(test_paragraphs);
    RUN(test_emphasis);
    RUN(test_links);
    RUN(test_text_kept_exact);
    RUN(test_raw_html_dropped);
    RUN(test_javascript_link_dropped);
}
