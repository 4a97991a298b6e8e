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

/* Renders the top-level blocks of doc from first (inclusive) to stop (exclusive; NULL: to the
 * end) into a heap string, by moving them into a fresh document. The moved nodes are freed
 * with it. */
static char *render_blocks(cmark_node *first, cmark_node *stop)
{
    cmark_node *part = cmark_node_new(CMARK_NODE_DOCUMENT);
    cmark_node *node = first;
    while (node && node != stop) {
        cmark_node *next = cmark_node_next(node);
        cmark_node_unlink(node);
        cmark_node_append_child(part, node);
        node = next;
    }
    char *html = cmark_render_html(part, MARKDOWN_OPTIONS);
    cmark_node_free(part);
    return html;
}

void markdown_split_html(const char *markdown, size_t len, int blocks, char **head, char **tail)
{
    cmark_node *doc = cmark_parse_document(markdown, len, MARKDOWN_OPTIONS);
    cmark_node *stop = cmark_node_first_child(doc);
    for (int i = 0; i < blocks && stop; i++)
        stop = cmark_node_next(stop);
    /* The tail first: rendering the head moves its nodes out of doc. */
    *tail = render_blocks(stop, NULL);
    *head = render_blocks(cmark_node_first_child(doc), NULL);
    cmark_node_free(doc);
}
