/*
 * feed.h: a feed in RSS 2.0, Atom 1.0 and JSON Feed 1.1 (issue 12, "Feeds"). Pure formatting:
 * the caller (page_feed.c) gathers the items, decides what of each article a reader may see
 * (the paywall's rule) and builds every URL; this module only writes the three formats, the
 * XML ones with xml.h's text and dates, JSON through jansson.
 */
#ifndef BROADSHEET_FEED_H
#define BROADSHEET_FEED_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* An item's author: name, and url (absolute; "" none). */
struct feed_person {
    const char *name;
    const char *url;
};

struct feed_item {
    const char *id;           /* the GUID: stable across edits (page_feed.c says which) */
    const char *url;          /* absolute: the article's page */
    const char *title;        /* plain text */
    const char *summary;      /* plain text (the dek); "" none */
    const char *content_html; /* HTML the reader may see: sent escaped, as the formats say */
    int64_t published;        /* unix seconds */
    int64_t updated;          /* unix seconds */
    const struct feed_person *authors;
    size_t n_authors;
    const char *category; /* plain text (the section's name); "" none */
};

struct feed {
    const char *title;       /* plain text */
    const char *description; /* plain text, not empty (RSS requires it) */
    const char *home_url;    /* absolute: the page the feed follows */
    const char *self_url;    /* absolute: this feed's own URL (also the Atom feed's id) */
    const char *author;      /* the feed's author (the site's name), for entries with none */
    const char *language;    /* "en" */
    int64_t updated;         /* unix seconds: the newest item's update, or now */
    const struct feed_item *items;
    size_t n;
};

/* The feed as RSS 2.0 (with atom:link rel="self" and dc:creator), Atom 1.0 or JSON Feed 1.1,
 * appended to out. feed_json returns 0, or -1 when jansson failed (out is then untouched). */
void feed_rss(const struct feed *f, struct buf *out);
void feed_atom(const struct feed *f, struct buf *out);
int feed_json(const struct feed *f, struct buf *out);

#endif
