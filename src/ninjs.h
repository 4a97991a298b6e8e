/*
 * ninjs.h: an article as an IPTC ninjs 2.2 item (issue 13: what a contract partner receives),
 * and the rights a publication's items carry. Pure formatting: no store, no request; the caller
 * (`broadsheet article ninjs`, later the partners' API) reads the article, its tags, its
 * publication and its version and passes them in. Every key and shape follows
 * tests/conformance/ninjs/ninjs-schema_2.2.json (docs/partners.md lists them for partners).
 */
#ifndef BROADSHEET_NINJS_H
#define BROADSHEET_NINJS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Bounds on a publication's rights (migration 019), in bytes. */
#define NINJS_HOLDER_MAX 200
#define NINJS_NOTICE_MAX 500
#define NINJS_TERMS_MAX 2000
#define NINJS_URL_MAX 500

enum ninjs_pubstatus { NINJS_USABLE, NINJS_WITHHELD, NINJS_CANCELED };

/* A subject of the item: the section or a tag, by name and slug (its page on our site is the
 * subject's uri: SITE_URL/sections/SLUG, SITE_URL/tags/SLUG). */
struct ninjs_subject {
    const char *name;
    const char *slug;
};

/* What an item is made of. Strings are UTF-8; NULL counts as "". */
struct ninjs_input {
    int64_t id;                /* the article's id: uri SITE_URL/articles/ID, stable across slugs */
    const char *slug;          /* altids role "slug" */
    const char *headline;      /* headlines[0] role "main" */
    const char *dek;           /* headlines role "sub" when set */
    const char *summary;       /* descriptions role "summary" when set (the search description or
                                  the dek) */
    const char *byline;        /* by, when set */
    const char *body_html;     /* the safe renderer's HTML: the whole body (full items) */
    const char *body_markdown; /* the Markdown it was rendered from: cut for a preview */
    int64_t created_at;        /* firstcreated (0: published_at) */
    int64_t published_at;      /* contentcreated */
    int64_t version;           /* version, as a string; at least 1 */
    int64_t version_at;        /* versioncreated */
    enum ninjs_pubstatus pubstatus;
    int64_t embargoed;  /* 0: none */
    const char *ednote; /* NULL or "": none */
    const struct ninjs_subject *section;
    const struct ninjs_subject *tags;
    size_t tag_count;
    const struct publication *publication; /* its rights: ninjs_rights_resolve's defaults */
    const char *site_name;                 /* the holder when the publication has no producer */
    const char *site_url; /* absolute, no trailing slash: "https://www.example.com" */
    const char *language; /* BCP 47; NULL or "": "en" */
    int no_body;          /* 1: no bodies (a withheld or canceled item: nothing to run) */
    int preview;          /* 1: only the paywall's preview (preview_paragraphs blocks) */
    int preview_paragraphs;
};

/* The item for in: a new JSON object (the caller owns the reference), never NULL. A preview's
 * body is markdown_split_html's head at preview_paragraphs blocks, exactly what the site shows a
 * reader who is not entitled: the rest is never rendered into the item. */
json_t *ninjs_item(const struct ninjs_input *in);

/* What every item of a site shares: its name and base URL (absolute, no trailing slash), and
 * the paywall's preview length. */
struct ninjs_site {
    const char *name;
    const char *url;
    int preview_paragraphs;
};

/* The item for a version from the item log (store.h, struct item_version) of publication pub
 * (its rights), in full or as the preview. A withheld or canceled version carries no body:
 * partners are told to take it down, and a kill may be for what the text says. A new JSON
 * object, never NULL. */
json_t *ninjs_version_item(const struct item_version *v, const struct publication *pub,
                           const struct ninjs_site *site, int preview);

/* A publication's rights with the defaults filled in, heap strings (ninjs_rights_free):
 * holder: copyright_holder, else the producer, else site_name; notice: copyright_notice, else
 * "© YEAR HOLDER" (YEAR: year's); terms: usage_terms, else for a publication produced for a
 * contract partner (not the host, with a producer and a partner) the site's syndication footer
 * ("This article was published in NAME, which is produced independently by PRODUCER under
 * contract with the PARTNER.") and a credit line, else ""; url: rights_url ("" none). */
struct ninjs_rights {
    char *holder, *notice, *terms, *url;
};
void ninjs_rights_resolve(const struct publication *p, const char *site_name, int year,
                          struct ninjs_rights *out);
void ninjs_rights_free(struct ninjs_rights *r);

/* What is wrong with a publication's rights as the operator typed them, or NULL: each must be
 * valid UTF-8 without control characters (terms may hold line breaks) and within its bound,
 * and the URL "" or an http:// or https:// address with a host and no spaces. The text is the
 * calling thread's own (the newsroom's form runs on every HTTP thread), valid until its next
 * call there. */
const char *ninjs_rights_problem(const struct publication *p);

/* The characters and words of html's text (tags left out, entities as one character, runs of
 * white space and block boundaries as one space), as the item's bodies count them. */
void ninjs_count(const char *html, int64_t *chars, int64_t *words);

#endif
