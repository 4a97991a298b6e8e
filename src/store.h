/*
 * store.h: everything Broadsheet keeps, behind one interface. All SQL lives behind it, as
 * prepared statements with bound parameters only. The embedded backend is SQLite
 * (store_sqlite.c) in WAL mode with numbered migrations; the interface takes no SQLite type, so
 * a PostgreSQL backend can slot in behind the same functions without touching a handler.
 *
 * Threads: one struct store is shared by the whole process; each thread gets its own database
 * connection (opened on first use, with its prepared statements), so calls from different
 * threads never contend for a connection. Writes are serialised by the database.
 *
 * Memory: results are allocated from the arena the caller passes and live as long as it.
 *
 * Returns: STORE_OK, STORE_NOT_FOUND for a lookup that found nothing, STORE_ERROR for a failure
 * (the detail is logged to stderr and, where an err buffer is passed, written there: never
 * shown to readers).
 */
#ifndef BROADSHEET_STORE_H
#define BROADSHEET_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

enum store_status { STORE_OK = 0, STORE_NOT_FOUND = 1, STORE_ERROR = -1 };

enum access_level { ACCESS_FREE = 0, ACCESS_METERED = 1, ACCESS_SUBSCRIBERS = 2 };

/* "free", "metered", "subscribers"; and back (-1 for an unknown name). */
const char *store_access_name(enum access_level level);
int store_access_parse(const char *name);

/* A publication: the host site (National Journal) or one it produces or carries (Global
 * Security Newswire, produced by National Journal Group under contract with NTI). The
 * syndication footer is built from these fields. Optional fields are "" when unset. */
struct publication {
    int64_t id;
    const char *slug;                /* URL name: /publications/SLUG */
    const char *name;                /* "Global Security Newswire" */
    const char *description;         /* a sentence for the publication page */
    const char *producer;            /* "National Journal Group" */
    const char *partner;             /* contract partner, "Nuclear Threat Initiative" */
    const char *partner_short;       /* "NTI" */
    const char *partner_url;         /* partner's site */
    const char *partner_description; /* "NTI is a nonprofit, nonpartisan group working to…" */
    int is_host;                     /* 1 for the site's own publication */
};

struct section {
    int64_t id;
    const char *slug; /* URL name: /sections/SLUG */
    const char *name;
    int position; /* navigation order, ascending */
};

struct article {
    int64_t id;
    const char *slug; /* URL name: /articles/SLUG */
    const char *headline;
    const char *dek;
    const char *byline;
    const char *body_html;     /* cmark's safe rendering of body_markdown; "" in list results */
    const char *body_markdown; /* "" in list results */
    int64_t published_at;      /* unix seconds */
    int64_t updated_at;        /* unix seconds */
    enum access_level access;
    struct publication publication; /* joined; full record */
    struct section section;         /* joined; full record */
};

/* What store_article_save takes: the article as imported. Slugs name the publication and the
 * section, which must exist. */
struct article_input {
    const char *slug; /* required; an existing slug is updated in place */
    const char *headline;
    const char *dek;
    const char *byline;
    const char *publication_slug;
    const char *section_slug;
    const char *body_markdown;
    const char *body_html; /* rendered by the caller (markdown.h) */
    int64_t published_at;
    enum access_level access;
};

/* A filter for article lists; zero fields mean "any". */
struct article_query {
    int64_t publication_id;
    int64_t section_id;
    int limit;  /* 0: 20 */
    int offset;
};

struct store;

/* Opens (creating if needed) the database at path and brings its schema up to date with the
 * migrations. Returns NULL and writes why into err on failure. Free with store_close. */
struct store *store_open(const char *path, char *err, size_t errlen);
/* Closes every thread's connection. No other thread may use the store any more. */
void store_close(struct store *st);
/* Closes the calling thread's connection, if it opened one (call before a thread exits). */
void store_thread_done(struct store *st);

/* A number that changes whenever content (articles, publications, sections) changes, from
 * any process using the same database: the page cache compares it to know when to flush. */
int store_content_version(struct store *st, int64_t *version);

/* 1 if the database holds no publication yet (a fresh database, ready for the demo), 0 if it
 * does, -1 if it cannot be read. */
int store_is_empty(struct store *st);

/* Writes: each is one transaction; on failure nothing is changed. */
int store_publication_save(struct store *st, const struct publication *p, char *err, size_t errlen);
int store_section_save(struct store *st, const struct section *s, char *err, size_t errlen);
/* Saves n articles in one transaction: all or none. On failure err names the failing article's
 * index as "article N: reason" and returns STORE_ERROR. */
int store_articles_save(struct store *st, const struct article_input *in, size_t n, char *err,
                        size_t errlen);

/* Lookups. */
int store_publication_by_slug(struct store *st, struct arena *a, const char *slug,
                              struct publication *out);
int store_section_by_slug(struct store *st, struct arena *a, const char *slug, struct section *out);
int store_publications(struct store *st, struct arena *a, struct publication **out, size_t *n);
int store_sections(struct store *st, struct arena *a, struct section **out, size_t *n);
int store_article_by_slug(struct store *st, struct arena *a, const char *slug, struct article *out);
/* Newest first (published_at, then id). body_html and body_markdown are "" in the results. */
int store_articles_latest(struct store *st, struct arena *a, const struct article_query *q,
                          struct article **out, size_t *n);

#endif
