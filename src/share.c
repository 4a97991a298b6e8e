/*
 * share.c: JSON-LD script elements, the first image of a page's body and absolute URLs, for the
 * article page's share metadata. See share.h.
 */
#include "share.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "html.h"

/* Appends a <script type="application/ld+json"> element holding ld to html. -1 when jansson
 * could not write it. */
static int ld_script(struct buf *html, const json_t *ld)
{
    char *text = json_dumps(ld, JSON_COMPACT | JSON_ESCAPE_SLASH);
    if (!text)
        return -1;
    buf_puts(html, "<script type=\"application/ld+json\">");
    /* Inside a JSON string, \u003c is '<'; outside strings JSON has no '<' at all. */
    for (const char *p = text; *p; p++) {
        if (*p == '<')
            buf_puts(html, "\\u003c");
        else
            buf_putc(html, *p);
    }
    buf_puts(html, "</script>");
    free(text);
    return 0;
}

json_t *share_ld_script(json_t *ld)
{
    if (!ld)
        return NULL;
    struct buf html = BUF_INIT;
    int rc = 0;
    if (json_is_array(ld)) {
        size_t i;
        json_t *item;
        json_array_foreach(ld, i, item)
        {
            if (rc == 0)
                rc = ld_script(&html, item);
        }
    } else {
        rc = ld_script(&html, ld);
    }
    json_decref(ld);
    json_t *trusted = rc == 0 ? html_trusted(html.data ? html.data : "") : NULL;
    if (rc != 0)
        fprintf(stderr, "broadsheet: a JSON-LD block could not be written\n");
    buf_free(&html);
    return trusted;
}

const char *share_first_image(struct arena *a, const char *html)
{
    /* cmark's safe mode writes raw HTML as a comment ("<!-- raw HTML omitted -->"), so every
     * "<img " in its output is an image it made, written as <img src="URL" alt="…" />. */
    const char *img = html ? strstr(html, "<img src=\"") : NULL;
    if (!img)
        return NULL;
    const char *src = img + strlen("<img src=\"");
    const char *end = strchr(src, '"');
    if (!end || end == src)
        return NULL;
    char *out = arena_alloc(a, (size_t)(end - src) + 1);
    size_t n = 0;
    for (const char *p = src; p < end;) {
        if (!strncmp(p, "&amp;", 5)) {
            out[n++] = '&';
            p += 5;
        } else if (!strncmp(p, "&#x27;", 6)) {
            out[n++] = '\'';
            p += 6;
        } else if (!strncmp(p, "&quot;", 6)) {
            out[n++] = '"';
            p += 6;
        } else {
            out[n++] = *p++;
        }
    }
    out[n] = '\0';
    return out;
}

/* 1 if s has no byte that is a space or a control character. */
static int no_space_or_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return 0;
    return 1;
}

int share_url_is_absolute(const char *url)
{
    size_t scheme = !strncasecmp(url, "https://", 8) ? 8 : !strncasecmp(url, "http://", 7) ? 7 : 0;
    return scheme && url[scheme] && !strchr("/?#@:", url[scheme]) && no_space_or_control(url);
}

const char *share_absolute(struct arena *a, const char *site_url, const char *url)
{
    if (!url || !*url)
        return NULL;
    if (share_url_is_absolute(url))
        return arena_strdup(a, url);
    if (url[0] == '/' && url[1] != '/' && url[1] != '\\' && no_space_or_control(url))
        return arena_printf(a, "%s%s", site_url ? site_url : "", url);
    return NULL;
}
