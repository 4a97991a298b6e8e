/*
 * markdown.h: article bodies from Markdown to HTML, with cmark (CommonMark) in its safe mode.
 *
 * Safe mode is what makes the output trustworthy enough to store as HTML and write into pages
 * unescaped: cmark drops raw HTML (blocks and inline tags become "<!-- raw HTML omitted -->") and
 * empties the href/src of links and images whose URL is javascript:, vbscript:, file: or data:
 * (except a few image types). CMARK_OPT_UNSAFE, which keeps them, must never be used here. Smart
 * punctuation is off too: the text an editor wrote is published exactly as written.
 */
#ifndef BROADSHEET_MARKDOWN_H
#define BROADSHEET_MARKDOWN_H

#include <stddef.h>

/* The HTML rendering of markdown[0..len) (which should be valid UTF-8: import checks it). Returns
 * a NUL-terminated heap string the caller frees with free(). Never NULL (out of memory aborts). */
char *markdown_to_html(const char *markdown, size_t len);

/* Renders markdown in two parts: the first `blocks` top-level blocks (paragraphs, lists,
 * quotes…) into *head and the rest into *tail, both heap strings the caller frees, so that a
 * paywalled article's preview can be sent without the rest ever being in the response. Their
 * concatenation equals markdown_to_html's output. */
void markdown_split_html(const char *markdown, size_t len, int blocks, char **head, char **tail);

#endif
