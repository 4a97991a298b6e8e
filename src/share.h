/*
 * share.h: the pieces of an article page's share metadata (issue 12, "Share metadata": the
 * OpenGraph and Twitter tags, the canonical link and the JSON-LD that page_article.c builds)
 * that are not about one page: a JSON-LD <script> element that no value can break out of, the
 * picture a page shows first, and absolute URLs.
 */
#ifndef BROADSHEET_SHARE_H
#define BROADSHEET_SHARE_H

#include <jansson.h>

#include "arena.h"

/* A <script type="application/ld+json"> element holding ld (consumed; NULL gives NULL), or one
 * such element per member when ld is an array, as trusted HTML (html_trusted); NULL when it
 * could not be written (logged). jansson writes
 * the JSON with JSON_ESCAPE_SLASH, and every '<' is written as \u003c besides, so no value can
 * end the element ("</script>") or open a comment ("<!--") in it; JSON.parse reads it back to
 * the same values. */
json_t *share_ld_script(json_t *ld);

/* The src of the first image in html, the safe-mode output of the Markdown renderer
 * (markdown.h: its <img src="…"> with the URL's & and ' written as entities), with those
 * entities decoded, from arena a; NULL when html has no image. Give it only the part of the
 * body the page shows, so a picture from a withheld paragraph is never named. */
const char *share_first_image(struct arena *a, const char *html);

/* url as an absolute http(s) URL from arena a: as it is when it is one already ("http://…" or
 * "https://…" with a host), site_url + url for a path from the root ("/media/x.jpg"), and NULL
 * for anything else (a relative path, "//host/…", data:, javascript:, or a URL with a space or
 * control character). site_url is the configured base, without a trailing slash. */
const char *share_absolute(struct arena *a, const char *site_url, const char *url);

/* 1 if url is an absolute http or https URL with a host and no space or control character. */
int share_url_is_absolute(const char *url);

#endif
