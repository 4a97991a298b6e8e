/*
 * store_items.c: the part of store.h for contract publishing's item log (issue 13, migration
 * 021): noting the versions partners may see, and reading them back with their content.
 *
 * Which versions are noted (item_log_note), from the article as the noting transaction left it:
 *   published                         usable
 *   scheduled with embargoed = 1      usable, embargoed until its published_at
 *   killed (killed_at > 0)            canceled, with the kill's note, once partners had it
 *   anything else                     withheld, once, when the latest noted version was not
 * so a draft's saves, and a scheduled article that is not embargoed, stay out of the log until
 * partners may see them, and a story taken down is told once, not at every later save.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"
#include "util.h"

static const char *const status_names[] = {"usable", "withheld", "canceled"};

const char *store_item_status_name(enum item_status status)
{
    return (unsigned)status < sizeof status_names / sizeof *status_names ? status_names[status]
                                                                         : "withheld";
}

static int status_parse(const char *name)
{
    for (size_t i = 0; name && i < sizeof status_names / sizeof *status_names; i++)
        if (!strcmp(name, status_names[i]))
            return (int)i;
    return -1;
}

int item_log_lock(struct db_conn *c)
{
    if (db_conn_kind(c) != DB_PGSQL)
        return 0; /* SQLite's writer holds the database's write lock already */
    return store_exec(c, "LOCK TABLE item_log IN EXCLUSIVE MODE", NULL, 0) == 0 ? 0 : STORE_ERROR;
}

int item_log_note(struct db_conn *c, int64_t article_id, int64_t now, const char *ednote)
{
    struct db_stmt *s = store_stmt(c, STMT_ITEM_LOG_STATE, NULL, 0);
    if (!s)
        return STORE_ERROR;
    db_bind_int64(s, 1, article_id);
    int rc = store_step_one(c, s, "reading an article for the item log");
    if (rc != STORE_OK) {
        db_reset(s);
        return rc == STORE_NOT_FOUND ? 0 : STORE_ERROR;
    }
    const char *state = db_column_text(s, 0);
    int64_t version = db_column_int64(s, 1), publication_id = db_column_int64(s, 2),
            section_id = db_column_int64(s, 3), embargoed = db_column_int64(s, 4),
            killed_at = db_column_int64(s, 5), published_at = db_column_int64(s, 7);
    const char *kill_note = db_column_text(s, 6);
    const char *latest = db_column_text(s, 8); /* NULL: never noted */
    int status = -1;
    int64_t embargo_until = 0;
    char note[KILL_NOTE_MAX + 160];
    snprintf(note, sizeof note, "%s", ednote ? ednote : "");
    if (killed_at > 0) {
        if (latest) {
            status = ITEM_CANCELED;
            snprintf(note, sizeof note,
                     "Do not use: this story has been withdrawn (killed). Take it down. Why: %s",
                     kill_note ? kill_note : "");
        }
    } else if (state && !strcmp(state, "published")) {
        status = ITEM_USABLE;
    } else if (state && !strcmp(state, "scheduled") && embargoed) {
        status = ITEM_USABLE;
        embargo_until = published_at;
    } else if (latest && strcmp(latest, "withheld") != 0) {
        status = ITEM_WITHHELD;
        if (!*note)
            snprintf(note, sizeof note, "Withheld: do not use this story for now.");
    }
    db_reset(s);
    if (status < 0)
        return 0;
    if (!(s = store_stmt(c, STMT_ITEM_LOG_ADD, NULL, 0)))
        return STORE_ERROR;
    db_bind_int64(s, 1, article_id);
    db_bind_int64(s, 2, version);
    db_bind_int64(s, 3, publication_id);
    db_bind_int64(s, 4, section_id);
    db_bind_text(s, 5, status_names[status]);
    db_bind_int64(s, 6, embargo_until);
    db_bind_text(s, 7, note);
    db_bind_int64(s, 8, now);
    rc = store_step_write(c, s, 0, "noting a version in the item log");
    db_reset(s);
    return rc == STORE_OK ? 0 : STORE_ERROR;
}

/* Appends the tag in s's current row (name, slug) to *tags (*n of *cap), growing it in a. */
static void add_tag(struct arena *a, struct db_stmt *s, struct item_tag **tags, size_t *n,
                    size_t *cap)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        struct item_tag *more = arena_alloc(a, *cap * sizeof *more);
        if (*n)
            memcpy(more, *tags, *n * sizeof *more);
        *tags = more;
    }
    (*tags)[*n].name = store_column_text(s, 0, a);
    (*tags)[(*n)++].slug = store_column_text(s, 1, a);
}

/* The tags of a version: its revision's ids ("3,7": tags deleted since are left out), or the
 * article's tags now (tag_ids NULL: the version is the article's current one). */
static int read_tags(struct db_conn *c, struct arena *a, int64_t article_id, const char *tag_ids,
                     struct item_version *v)
{
    struct item_tag *tags = NULL;
    size_t n = 0, cap = 0;
    struct db_stmt *s;
    int step = DB_DONE;
    if (!tag_ids) {
        if (!(s = store_stmt(c, STMT_ITEM_TAGS_NOW, NULL, 0)))
            return STORE_ERROR;
        db_bind_int64(s, 1, article_id);
        while ((step = db_step(s)) == DB_ROW) {
            add_tag(a, s, &tags, &n, &cap);
        }
        int rc = step == DB_DONE ? 0 : store_step_failed(c, "reading an item's tags");
        db_reset(s);
        if (rc != 0)
            return STORE_ERROR;
    } else {
        for (const char *p = tag_ids; *p;) {
            char *end;
            long long id = strtoll(p, &end, 10);
            if (end == p)
                break; /* the snapshot writes digits and commas only */
            p = *end == ',' ? end + 1 : end;
            if (!(s = store_stmt(c, STMT_ITEM_TAG, NULL, 0)))
                return STORE_ERROR;
            db_bind_int64(s, 1, id);
            int rc = store_step_one(c, s, "reading an item's tag");
            if (rc == STORE_OK) {
                add_tag(a, s, &tags, &n, &cap);
            }
            db_reset(s);
            if (rc == STORE_ERROR)
                return STORE_ERROR;
        }
    }
    v->tags = tags;
    v->tag_count = n;
    return 0;
}

/* Reads the current row of s (ITEM_SELECT order) into v, all but its tags; the revision's
 * tag ids (NULL: none, the article's own) into *tag_ids. */
static void read_item(struct db_stmt *s, struct arena *a, struct item_version *v,
                      const char **tag_ids)
{
    memset(v, 0, sizeof *v);
    v->seq = db_column_int64(s, 0);
    v->article_id = db_column_int64(s, 1);
    v->version = db_column_int64(s, 2);
    int status = status_parse(db_column_text(s, 3));
    v->status = status < 0 ? ITEM_WITHHELD : (enum item_status)status; /* CHECK forbids */
    v->embargoed = db_column_int64(s, 4);
    v->ednote = store_column_text(s, 5, a);
    v->noted_at = db_column_int64(s, 6);
    v->publication_id = db_column_int64(s, 7);
    v->section_name = store_column_text(s, 8, a);
    v->section_slug = store_column_text(s, 9, a);
    v->slug = store_column_text(s, 10, a);
    v->headline = store_column_text(s, 11, a);
    v->dek = store_column_text(s, 12, a);
    v->byline = store_column_text(s, 13, a);
    const char *description = store_column_text(s, 14, a);
    v->summary = *description ? description : v->dek;
    v->body_markdown = store_column_text(s, 15, a);
    int current = db_column_int64(s, 16) != 0;
    const char *ids = db_column_text(s, 17);
    *tag_ids = current ? NULL : arena_strdup(a, ids ? ids : "");
    v->created_at = db_column_int64(s, 18);
    v->published_at = db_column_int64(s, 19);
}

/* Steps s (bound) and reads up to max rows into a new array *out (from a), *n, with each row's
 * tags. The statement is reset before the tags are read (they use other statements). */
static int read_items(struct db_conn *c, struct db_stmt *s, struct arena *a, size_t max,
                      struct item_version **out, size_t *n)
{
    struct item_version *items = arena_alloc(a, (max ? max : 1) * sizeof *items);
    const char **tag_ids = arena_alloc(a, (max ? max : 1) * sizeof *tag_ids);
    size_t count = 0;
    int step;
    while (count < max && (step = db_step(s)) == DB_ROW) {
        read_item(s, a, &items[count], &tag_ids[count]);
        count++;
    }
    if (count < max && step != DB_DONE) {
        store_step_failed(c, "reading the item log");
        db_reset(s);
        return STORE_ERROR;
    }
    db_reset(s);
    for (size_t i = 0; i < count; i++)
        if (read_tags(c, a, items[i].article_id, tag_ids[i], &items[i]) != 0)
            return STORE_ERROR;
    *out = items;
    *n = count;
    return STORE_OK;
}

int store_items_after(struct store *st, struct arena *a, int64_t partner_id, int64_t after,
                      int limit, struct item_version **out, size_t *n, int64_t *next, int *more)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    *n = 0;
    *more = 0;
    *next = after;
    if (limit < 1 || limit > ITEMS_PAGE_MAX || after < 0)
        return STORE_ERROR;
    int64_t window_end = after, last = 0;
    if (!c || !(s = store_stmt(c, STMT_ITEMS_WINDOW, NULL, 0)))
        return STORE_ERROR;
    db_bind_int64(s, 1, after);
    db_bind_int64(s, 2, ITEMS_WINDOW);
    int rc = store_step_one(c, s, "reading the item log's window");
    if (rc == STORE_OK)
        window_end = db_column_int64(s, 0);
    db_reset(s);
    if (rc != STORE_OK || store_item_log_last(st, &last) != STORE_OK)
        return STORE_ERROR;
    if (!(s = store_stmt(c, STMT_ITEMS_AFTER, NULL, 0)))
        return STORE_ERROR;
    db_bind_int64(s, 1, partner_id);
    db_bind_int64(s, 2, after);
    db_bind_int64(s, 3, limit + 1); /* one more: does the window hold more */
    db_bind_int64(s, 4, window_end);
    if ((rc = read_items(c, s, a, (size_t)limit + 1, out, n)) != STORE_OK)
        return rc;
    if (*n > (size_t)limit) { /* the window goes on past this page */
        *n = (size_t)limit;
        *next = (*out)[*n - 1].seq;
        *more = 1;
    } else { /* the window is done: go on after it */
        *next = window_end;
        *more = window_end < last;
    }
    return STORE_OK;
}

int store_item_get(struct store *st, struct arena *a, int64_t partner_id, int64_t article_id,
                   int64_t version, struct item_version *out)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    if (!c || !(s = store_stmt(c, version > 0 ? STMT_ITEM_VERSION : STMT_ITEM_LATEST, NULL, 0)))
        return STORE_ERROR;
    db_bind_int64(s, 1, partner_id);
    db_bind_int64(s, 2, article_id);
    if (version > 0)
        db_bind_int64(s, 3, version);
    struct item_version *items;
    size_t n;
    int rc = read_items(c, s, a, 1, &items, &n);
    if (rc != STORE_OK)
        return rc;
    if (!n)
        return STORE_NOT_FOUND;
    *out = items[0];
    return STORE_OK;
}

int store_item_log_last(struct store *st, int64_t *seq)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    if (!c || !(s = store_stmt(c, STMT_ITEM_LOG_LAST, NULL, 0)))
        return STORE_ERROR;
    int rc = store_step_one(c, s, "reading the item log's end");
    if (rc == STORE_OK)
        *seq = db_column_int64(s, 0);
    db_reset(s);
    return rc == STORE_OK ? STORE_OK : STORE_ERROR;
}

int store_article_killed(struct store *st, const char *slug)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    if (!c || !(s = store_stmt(c, STMT_ARTICLE_KILLED, NULL, 0)))
        return STORE_ERROR;
    db_bind_text(s, 1, slug);
    int rc = store_step_one(c, s, "looking for a killed article");
    db_reset(s);
    return rc == STORE_OK ? 1 : rc == STORE_NOT_FOUND ? 0 : STORE_ERROR;
}
