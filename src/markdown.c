/*
 * markdown.c: Markdown to safe HTML with cmark. See markdown.h for why the options are what
 * they are.
 */
#include "markdown.h"

#include <cmark.h>
#include <stdio.h>
#include <stdlib.h>

/* CMARK_OPT_DEFAULT is cmark's safe mode (since 0.29): no raw HTML, no dangerous URLs, no smart
 * punctuation. Deliberately not CMARK_OPT_UNSAFE, not CMARK_OPT_SMART. */
#define MARKDOWN_OPTIONS CMARK_OPT_DEFAULT

char *markdown_to_html(const char *markdown, size_t len)
{
    /* cmark allocates with its default allocator, which is malloc: the caller's free() fits. */
    char *html = cmark_markdown_to_html(markdown, len, MARKDOWN_OPTIONS);
    if (!html) {
        fprintf(stderr, "broadsheet: out of memory rendering Markdown\n");
        abort();
    }
    return html;
}
