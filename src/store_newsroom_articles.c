/*
 * store_newsroom_articles.c: the newsroom's articles (store.h, "The newsroom's articles"): an
 * article in any state, its creation and saves under optimistic concurrency (a version number),
 * its authors and tags, its slug and the redirects a published article's old slugs leave, the
 * changes of state, the scheduler that publishes what is due, the newsroom's list and counters,
 * and the editor's autosaves.
 *
 * Every write here is one transaction (store_tx_begin, which nests into a caller's) that moves
 * the article's version, records its revision (store_revision_snapshot) and an audit entry
 * (store_audit_add), or nothing at all.
 */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "slug.h"
#include "store_impl.h"
#include "util.h"

#define SLUG_TRIES 1000 /* "-2" … "-1000" before giving up on a headline's slug */
#define TAGS_MAX 50     /* tags one article may have */
#define NEWSROOM_PAGE_DEFAULT 20

/* Writes why a person's input was refused into err (when given): words for the page, not a
 * failure of the store, so neither logged nor counted. */
__attribute__((format(printf, 3, 4))) static void refuse(char *err, size_t errlen, const char *fmt,
                                                         ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static const char *const state_names[] = {"draft", "review", "scheduled", "published",
                                          "unpublished"};

const char *store_article_state_name(enum article_state state)
{
    return (unsigned)state < ARRAY_LEN(state_names) ? state_names[state] : "draft";
}

int store_article_state_parse(const char *name)
{
    for (size_t i = 0; name && i < ARRAY_LEN(state_names); i++)
        if (!strcmp(name, state_names[i]))
            return (int)i;
    return -1;
}

int store_newsroom_may(const struct newsroom_article *art, int64_t user_id, enum role role,
                       enum newsroom_action act)
{
    enum article_state s = art->state;
    int editor = role >= ROLE_EDITOR;
    int own = role >= ROLE_WRITER && user_id != 0 && art->created_by == user_id;
    if (art->killed_at > 0)
        return 0; /* killed: read-only for good (the SQL says killed_at = 0 too) */
    switch (act) {
    case NEWSROOM_EDIT: return editor || (own && (s == ARTICLE_DRAFT || s == ARTICLE_REVIEW));
    case NEWSROOM_SUBMIT: return s == ARTICLE_DRAFT && (editor || own);
    case NEWSROOM_PUBLISH: return editor && s != ARTICLE_PUBLISHED;
    case NEWSROOM_SCHEDULE: return editor && s != ARTICLE_PUBLISHED;
    case NEWSROOM_UNPUBLISH: return editor && s == ARTICLE_PUBLISHED;
    case NEWSROOM_TO_DRAFT:
        return (editor &&
                (s == ARTICLE_REVIEW || s == ARTICLE_SCHEDULED || s == ARTICLE_UNPUBLISHED)) ||
               (own && s == ARTICLE_REVIEW);
    case NEWSROOM_DELETE:
        return editor && (s == ARTICLE_DRAFT || s == ARTICLE_REVIEW || s == ARTICLE_UNPUBLISHED);
    case NEWSROOM_KILL:
        return editor &&
               (s == ARTICLE_PUBLISHED || s == ARTICLE_SCHEDULED || s == ARTICLE_UNPUBLISHED);
    }
    return 0;
}

/* 1 if slug is another article's than id (0: any), or an old URL of another's; 0 if free;
 * STORE_ERROR. */
static int slug_taken(struct db_conn *c, const char *slug, int64_t id)
{
    struct db_stmt *s = store_stmt(c, STMT_NR_SLUG_TAKEN, NULL, 0);
    if (!s)
        return STORE_ERROR;
    char path[128];
    snprintf(path, sizeof path, "/articles/%s", slug);
    db_bind_text(s, 1, slug);
    db_bind_int64(s, 2, id);
    db_bind_text(s, 3, path);
    int rc = store_step_one(c, s, "checking slug '%s'", slug);
    db_reset(s);
    return rc == STORE_OK ? 1 : rc == STORE_NOT_FOUND ? 0 : STORE_ERROR;
}

/* A placeholder slug, "draft-" and 12 random hex digits, into out (at least 19 bytes). */
static void placeholder_slug(char *out, size_t size)
{
    unsigned char bytes[6];
    char hex[13];
    randombytes_buf(bytes, sizeof bytes);
    sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
    snprintf(out, size, "draft-%s", hex);
}

/* 1 if slug is a placeholder (placeholder_slug's). */
static int is_placeholder(const char *slug)
{
    return !strncmp(slug, "draft-", 6) && strlen(slug) == 18 &&
           strspn(slug + 6, "0123456789abcdef") == 12;
}

/* A free slug for article id (0: a new one) made from base ("" gives a placeholder): base, or
 * base-2, base-3 …, into out (size >= SLUG_MADE_MAX + 8). 0 or STORE_ERROR. */
static int unique_slug(struct db_conn *c, const char *base, int64_t id, char *out, size_t size)
{
    if (!*base) {
        placeholder_slug(out, size);
        return 0;
    }
    for (int i = 1; i <= SLUG_TRIES; i++) {
        if (i == 1)
            snprintf(out, size, "%s", base);
        else
            snprintf(out, size, "%s-%d", base, i);
        int taken = slug_taken(c, out, id);
        if (taken < 0)
            return STORE_ERROR;
        if (!taken)
            return 0;
    }
    placeholder_slug(out, size);
    return 0;
}

/* ---- reading ------------------------------------------------------------------------------- */

/* Reads the current row of s (NR_SELECT order) into art; list rows have empty bodies. */
static void read_row(struct db_stmt *s, struct arena *a, void *item)
{
    struct newsroom_article *art = item;
    memset(art, 0, sizeof *art);
    art->id = db_column_int64(s, 0);
    art->slug = store_column_text(s, 1, a);
    art->headline = store_column_text(s, 2, a);
    art->dek = store_column_text(s, 3, a);
    art->byline = store_column_text(s, 4, a);
    art->body_markdown = store_column_text(s, 5, a);
    art->body_html = store_column_text(s, 6, a);
    art->publication_id = db_column_int64(s, 7);
    art->publication_name = store_column_text(s, 8, a);
    art->section_id = db_column_int64(s, 9);
    art->section_name = store_column_text(s, 10, a);
    int level = store_access_parse(db_column_text(s, 11));
    art->access = level < 0 ? ACCESS_SUBSCRIBERS : (enum access_level)level;
    int state = store_article_state_parse(db_column_text(s, 12));
    art->state = state < 0 ? ARTICLE_DRAFT : (enum article_state)state; /* CHECK forbids */
    art->version = db_column_int64(s, 13);
    art->published_at = db_column_int64(s, 14);
    art->created_at = db_column_int64(s, 15);
    art->updated_at = db_column_int64(s, 16);
    art->created_by = db_column_int64(s, 17);
    art->updated_by = db_column_int64(s, 18);
    art->created_by_name = store_column_text(s, 19, a);
    art->updated_by_name = store_column_text(s, 20, a);
    art->seo_title = store_column_text(s, 21, a);
    art->seo_description = store_column_text(s, 22, a);
    art->editor_note = store_column_text(s, 23, a);
    art->original_url = store_column_text(s, 24, a);
    art->embargoed = (int)db_column_int64(s, 25);
    art->killed_at = db_column_int64(s, 26);
    art->kill_note = store_column_text(s, 27, a);
    art->tags = "";
}

/* The ids statement id yields for article_id (column 0), into *out (from a) and *n, and, when
 * names is not NULL, column 1 ", "-joined into *names. 0 or STORE_ERROR. */
static int read_ids(struct db_conn *c, enum statement id, struct arena *a, int64_t article_id,
                    const int64_t **out, size_t *n, const char **names)
{
    struct db_stmt *s = store_stmt(c, id, NULL, 0);
    if (!s)
        return STORE_ERROR;
    db_bind_int64(s, 1, article_id);
    int64_t *ids = NULL;
    size_t count = 0, cap = 0;
    struct buf joined = BUF_INIT;
    int step;
    while ((step = db_step(s)) == DB_ROW) {
        if (count == cap) {
            size_t bigger = cap ? cap * 2 : 8;
            int64_t *more = arena_alloc(a, bigger * sizeof *more);
            if (count)
                memcpy(more, ids, count * sizeof *ids);
            ids = more;
            cap = bigger;
        }
        ids[count++] = db_column_int64(s, 0);
        if (names) {
            const char *name = db_column_text(s, 1);
            buf_printf(&joined, "%s%s", joined.len ? ", " : "", name ? name : "");
        }
    }
    db_reset(s);
    if (step != DB_DONE) {
        buf_free(&joined);
        return store_step_failed(c, "article's authors or tags");
    }
    *out = ids;
    *n = count;
    if (names)
        *names = joined.len ? arena_strndup(a, joined.data, joined.len) : "";
    buf_free(&joined);
    return 0;
}

/* store_newsroom_article on c. */
static int load(struct db_conn *c, struct arena *a, int64_t id, struct newsroom_article *out)
{
    struct db_stmt *s = store_stmt(c, STMT_NR_ARTICLE, NULL, 0);
    if (!s)
        return STORE_ERROR;
    db_bind_int64(s, 1, id);
    int rc = store_step_one(c, s, "reading article %lld", (long long)id);
    if (rc == STORE_OK)
        read_row(s, a, out);
    db_reset(s);
    if (rc != STORE_OK)
        return rc;
    if (read_ids(c, STMT_ARTICLE_AUTHOR_IDS, a, id, &out->author_ids, &out->author_count, NULL) ||
        read_ids(c, STMT_NR_ARTICLE_TAGS, a, id, &out->tag_ids, &out->tag_count, &out->tags))
        return STORE_ERROR;
    return STORE_OK;
}

int store_newsroom_article(struct store *st, struct arena *a, int64_t id,
                           struct newsroom_article *out)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    return c ? load(c, a, id, out) : STORE_ERROR;
}

/* ---- writing ------------------------------------------------------------------------------- */

/* Fills *conflict (when not NULL) from article id as it is now. */
static void tell_conflict(struct db_conn *c, struct arena *a, int64_t id,
                          struct newsroom_conflict *conflict)
{
    struct newsroom_article now;
    if (!conflict)
        return;
    memset(conflict, 0, sizeof *conflict);
    if (load(c, a, id, &now) == STORE_OK) {
        conflict->version = now.version;
        conflict->updated_at = now.updated_at;
        snprintf(conflict->updated_by_name, sizeof conflict->updated_by_name, "%s",
                 now.updated_by_name);
    }
}

/* in's author ids without repeats, into out (room for in->author_count); their count. */
static size_t distinct_authors(const struct newsroom_article_input *in, int64_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < in->author_count; i++) {
        size_t j = 0;
        while (j < n && out[j] != in->author_ids[i])
            j++;
        if (j == n)
            out[n++] = in->author_ids[i];
    }
    return n;
}

/* Links article id to ids[0..n) through clear (delete its links) and link (?1 article, ?2 the
 * linked id, ?3 position), unless it is linked to exactly those already (old[0..old_n)), so
 * that a save that changes neither notes nothing in the change log. STORE_OK, STORE_NOT_FOUND
 * (an id that does not exist: the foreign key) or STORE_ERROR. */
static int relink(struct db_conn *c, enum statement clear, enum statement link, int64_t id,
                  const int64_t *ids, size_t n, const int64_t *old, size_t old_n)
{
    if (n == old_n && (n == 0 || !memcmp(ids, old, n * sizeof *ids)))
        return STORE_OK;
    struct db_stmt *s = store_stmt(c, clear, NULL, 0);
    if (!s)
        return STORE_ERROR;
    db_bind_int64(s, 1, id);
    int rc = store_step_write(c, s, 0, "clearing an article's links");
    db_reset(s);
    for (size_t i = 0; rc == STORE_OK && i < n; i++) {
        if (!(s = store_stmt(c, link, NULL, 0)))
            return STORE_ERROR;
        db_bind_int64(s, 1, id);
        db_bind_int64(s, 2, ids[i]);
        db_bind_int64(s, 3, (int64_t)i);
        rc = store_step_write(c, s, 0, "linking an article");
        db_reset(s);
    }
    return rc;
}

/* Whether the article (0: a new one) already has a tag called name: its id into *id. A tag
 * renamed in the newsroom keeps its slug, so the editor, which shows it by its new name, would
 * otherwise make it a new tag from that name on the article's next save. STORE_OK,
 * STORE_NOT_FOUND or STORE_ERROR. */
static int own_tag(struct db_conn *c, int64_t article_id, const char *name, int64_t *id)
{
    if (!article_id)
        return STORE_NOT_FOUND;
    struct db_stmt *s = store_stmt(c, STMT_NR_ARTICLE_TAG_NAMED, NULL, 0);
    if (!s)
        return STORE_ERROR;
    db_bind_int64(s, 1, article_id);
    db_bind_text(s, 2, name);
    int rc = store_step_one(c, s, "looking up an article's tag");
    if (rc == STORE_OK)
        *id = db_column_int64(s, 0);
    db_reset(s);
    return rc;
}

/* The ids of the tags named in text (comma-separated) for article article_id (0: a new one):
 * one it has by that name, else found by slug or created at now; in order without repeats, into
 * ids (room for TAGS_MAX); their count in *n. 0 or STORE_ERROR. */
static int tag_ids(struct db_conn *c, int64_t article_id, const char *text, int64_t now,
                   int64_t *ids, size_t *n)
{
    *n = 0;
    const char *p = text ? text : "";
    while (*p && *n < TAGS_MAX) {
        size_t len = strcspn(p, ",");
        while (len && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        size_t end = len;
        while (end && (p[end - 1] == ' ' || p[end - 1] == '\t'))
            end--;
        char name[256], slug[SLUG_MADE_MAX + 8];
        snprintf(name, sizeof name, "%.*s", (int)(end < 255 ? end : 255), p);
        p += len;
        if (*p == ',')
            p++;
        slug_make(name, slug, sizeof slug);
        if (!*slug)
            continue;
        /* Found first: a tag that exists (nearly every one, on nearly every save) costs a read,
         * not an INSERT that does nothing (which still draws an id from PostgreSQL's sequence).
         * A new one is inserted; another node may insert it first, so it is looked up again. */
        int64_t id;
        int found = own_tag(c, article_id, name, &id);
        if (found == STORE_NOT_FOUND)
            found = store_id_by_slug(c, STMT_NR_TAG_ID, slug, &id, NULL, 0);
        if (found == STORE_NOT_FOUND) {
            struct db_stmt *s = store_stmt(c, STMT_NR_TAG_INSERT, NULL, 0);
            if (!s)
                return STORE_ERROR;
            db_bind_text(s, 1, slug);
            db_bind_text(s, 2, name);
            db_bind_int64(s, 3, now);
            int rc = store_step_write(c, s, 0, "adding a tag");
            db_reset(s);
            if (rc != STORE_OK)
                return STORE_ERROR;
            found = store_id_by_slug(c, STMT_NR_TAG_ID, slug, &id, NULL, 0);
        }
        if (found != STORE_OK)
            return STORE_ERROR;
        size_t j = 0;
        while (j < *n && ids[j] != id)
            j++;
        if (j == *n)
            ids[(*n)++] = id;
    }
    return 0;
}

/* Writes in's authors and tags for article id (old: the article as it was, NULL for a new
 * one). STORE_OK, STORE_INVALID (an unknown author, in err) or STORE_ERROR. */
static int write_links(struct db_conn *c, int64_t id, const struct newsroom_article_input *in,
                       const struct newsroom_article *old, int64_t now, char *err, size_t errlen)
{
    int64_t *authors = xcalloc(in->author_count + 1, sizeof *authors);
    size_t n = distinct_authors(in, authors);
    int rc = relink(c, STMT_NR_AUTHORS_CLEAR, STMT_NR_AUTHOR_LINK, id, authors, n,
                    old ? old->author_ids : NULL, old ? old->author_count : 0);
    free(authors);
    if (rc == STORE_NOT_FOUND) {
        refuse(err, errlen, "One of the authors chosen does not exist.");
        return STORE_INVALID;
    }
    if (rc != STORE_OK)
        return STORE_ERROR;
    int64_t tags[TAGS_MAX];
    size_t tag_n;
    if (tag_ids(c, old ? id : 0, in->tags, now, tags, &tag_n) != 0)
        return STORE_ERROR;
    rc = relink(c, STMT_NR_TAGS_CLEAR, STMT_NR_TAG_LINK, id, tags, tag_n, old ? old->tag_ids : NULL,
                old ? old->tag_count : 0);
    return rc == STORE_OK ? STORE_OK : STORE_ERROR;
}

/* The revision of article id's new version and an audit entry (action, its headline as the
 * subject). STORE_OK or STORE_ERROR. */
static int record(struct store *st, int64_t id, int64_t user_id, int64_t now, const char *action,
                  const char *headline, const char *detail)
{
    if (store_revision_snapshot(st, id, user_id, now, NULL) != STORE_OK)
        return STORE_ERROR;
    struct audit_entry e = {.at = now,
                            .user_id = user_id,
                            .action = action,
                            .article_id = id,
                            .subject = *headline ? headline : "(no headline yet)",
                            .detail = detail};
    return store_audit_add(st, &e);
}

/* Checks what every save needs: a known access level, text present. STORE_OK or STORE_INVALID
 * (err). */
static int input_valid(const struct newsroom_article_input *in, char *err, size_t errlen)
{
    if ((unsigned)in->access > ACCESS_SUBSCRIBERS) {
        refuse(err, errlen, "Choose an access level.");
        return STORE_INVALID;
    }
    if (!in->body_markdown || !in->body_html || in->publication_id <= 0 || in->section_id <= 0) {
        refuse(err, errlen, "Choose a publication and a section.");
        return STORE_INVALID;
    }
    return STORE_OK;
}

int store_newsroom_create(struct store *st, const struct newsroom_article_input *in,
                          int64_t user_id, int64_t now, int64_t *id, char *err, size_t errlen)
{
    struct db_conn *c = store_conn(st, err, errlen);
    int rc = input_valid(in, err, errlen);
    if (!c || rc != STORE_OK)
        return c ? rc : STORE_ERROR;
    if (store_tx_begin(c, err, errlen) != 0)
        return STORE_ERROR;
    char base[SLUG_MADE_MAX + 8], slug[SLUG_MADE_MAX + 16];
    slug_make(store_present(in->slug) ? in->slug : in->headline, base, sizeof base);
    int64_t new_id = 0;
    rc = STORE_ERROR;
    for (int attempt = 0; attempt < 5; attempt++) { /* another node may take the slug first */
        if (unique_slug(c, base, 0, slug, sizeof slug) != 0)
            goto out;
        struct db_stmt *s = store_stmt(c, STMT_NR_INSERT, err, errlen);
        if (!s)
            goto out;
        db_bind_text(s, 1, slug);
        db_bind_int64(s, 2, in->publication_id);
        db_bind_int64(s, 3, in->section_id);
        db_bind_int64(s, 4, now);
        db_bind_text(s, 5, store_access_name(in->access));
        db_bind_text(s, 6, in->headline ? in->headline : "");
        db_bind_text(s, 7, in->dek);
        db_bind_text(s, 8, in->byline);
        db_bind_int64(s, 9, user_id);
        db_bind_text(s, 10, in->seo_title);
        db_bind_text(s, 11, in->seo_description);
        db_bind_text(s, 12, in->editor_note);
        db_bind_text(s, 13, in->body_markdown);
        db_bind_text(s, 14, in->body_html);
        db_bind_text(s, 15, in->original_url ? in->original_url : "");
        rc = store_step_insert(c, s, &new_id, "creating an article");
        db_reset(s);
        if (rc != STORE_CONFLICT)
            break;
    }
    if (rc == STORE_NOT_FOUND) {
        refuse(err, errlen, "That publication or section does not exist.");
        rc = STORE_INVALID;
    }
    if (rc != STORE_OK)
        goto out;
    rc = STORE_ERROR;
    if (store_search_put(st, c, new_id, err, errlen) != 0) /* its search index row */
        goto out;
    if ((rc = write_links(c, new_id, in, NULL, now, err, errlen)) != STORE_OK)
        goto out;
    if ((rc = record(st, new_id, user_id, now, "article.create", in->headline ? in->headline : "",
                     "")) != STORE_OK)
        goto out;
    if (store_tx_commit(c, err, errlen) != 0)
        return STORE_ERROR;
    if (id)
        *id = new_id;
    return STORE_OK;
out:
    store_tx_rollback(c);
    return rc == STORE_OK ? STORE_ERROR : rc;
}

/* Records that article id's old slug answers with a redirect to it, and drops any redirect
 * from its new one. STORE_OK or STORE_ERROR. */
static int redirect_old_slug(struct db_conn *c, int64_t id, const char *old_slug,
                             const char *new_slug, int64_t now)
{
    char path[128];
    snprintf(path, sizeof path, "/articles/%s", new_slug);
    struct db_stmt *s = store_stmt(c, STMT_NR_REDIRECT_DROP, NULL, 0);
    if (!s)
        return STORE_ERROR;
    db_bind_text(s, 1, path);
    int rc = store_step_write(c, s, 0, "dropping a redirect");
    db_reset(s);
    if (rc != STORE_OK || !(s = store_stmt(c, STMT_NR_REDIRECT_ADD, NULL, 0)))
        return STORE_ERROR;
    snprintf(path, sizeof path, "/articles/%s", old_slug);
    db_bind_text(s, 1, path);
    db_bind_int64(s, 2, id);
    db_bind_int64(s, 3, now);
    rc = store_step_write(c, s, 0, "adding a redirect");
    db_reset(s);
    return rc == STORE_OK ? STORE_OK : STORE_ERROR;
}

int store_newsroom_save(struct store *st, int64_t id, int64_t base_version,
                        const struct newsroom_article_input *in, int64_t user_id, int64_t now,
                        struct newsroom_conflict *conflict, char *err, size_t errlen)
{
    struct db_conn *c = store_conn(st, err, errlen);
    int rc = input_valid(in, err, errlen);
    if (!c || rc != STORE_OK)
        return c ? rc : STORE_ERROR;
    struct arena *a = arena_new(0);
    struct newsroom_article old;
    if (store_tx_begin(c, err, errlen) != 0) {
        arena_free(a);
        return STORE_ERROR;
    }
    if (item_log_lock(c) != 0 || (rc = load(c, a, id, &old)) != STORE_OK)
        goto out;
    if (old.killed_at > 0) {
        refuse(err, errlen, "This article was killed: it stays as it was.");
        rc = STORE_INVALID;
        goto out;
    }
    if (old.version != base_version) {
        tell_conflict(c, a, id, conflict);
        rc = STORE_CONFLICT;
        goto out;
    }

    /* The slug: as typed (made a slug), else the stored one, else from the headline. */
    char base[SLUG_MADE_MAX + 8], slug[SLUG_MADE_MAX + 16];
    slug_make(in->slug, base, sizeof base);
    if (*base) {
        snprintf(slug, sizeof slug, "%s", base);
        if (strcmp(slug, old.slug) != 0) {
            int taken = slug_taken(c, slug, id);
            if (taken < 0)
                goto out;
            if (taken) {
                refuse(err, errlen,
                       "The slug \"%s\" is already used by another article or one of its "
                       "old addresses.",
                       slug);
                rc = STORE_INVALID;
                goto out;
            }
        }
    } else if (is_placeholder(old.slug) && store_present(in->headline)) {
        slug_make(in->headline, base, sizeof base);
        if (unique_slug(c, base, id, slug, sizeof slug) != 0)
            goto out;
        if (!*base)
            snprintf(slug, sizeof slug, "%s", old.slug);
    } else {
        snprintf(slug, sizeof slug, "%s", old.slug);
    }

    if (revision_keep(c, id, NULL) != 0)
        goto out;
    struct db_stmt *s = store_stmt(c, STMT_NR_UPDATE, err, errlen);
    if (!s)
        goto out;
    db_bind_int64(s, 1, id);
    db_bind_int64(s, 2, base_version);
    db_bind_text(s, 3, slug);
    db_bind_int64(s, 4, in->publication_id);
    db_bind_int64(s, 5, in->section_id);
    db_bind_text(s, 6, store_access_name(in->access));
    db_bind_text(s, 7, in->headline ? in->headline : "");
    db_bind_text(s, 8, in->dek);
    db_bind_text(s, 9, in->byline);
    db_bind_text(s, 10, in->seo_title);
    db_bind_text(s, 11, in->seo_description);
    db_bind_text(s, 12, in->editor_note);
    db_bind_text(s, 13, in->body_markdown);
    db_bind_text(s, 14, in->body_html);
    db_bind_int64(s, 15, now);
    db_bind_int64(s, 16, user_id);
    db_bind_text(s, 17, in->original_url ? in->original_url : "");
    rc = store_step_write(c, s, 0, "saving an article");
    int changed = rc == STORE_OK && db_changes(c) > 0;
    db_reset(s);
    if (rc == STORE_NOT_FOUND) { /* a foreign key: the publication or section is gone */
        refuse(err, errlen, "That publication or section does not exist.");
        rc = STORE_INVALID;
        goto out;
    }
    if (rc == STORE_OK && !changed) { /* the version moved between the read and the write */
        tell_conflict(c, a, id, conflict);
        rc = STORE_CONFLICT;
        goto out;
    }
    if (rc == STORE_CONFLICT) { /* the slug, taken by another node's article meanwhile */
        refuse(err, errlen, "The slug \"%s\" is already used by another article.", slug);
        rc = STORE_INVALID;
        goto out;
    }
    if (rc != STORE_OK)
        goto out;
    rc = STORE_ERROR;
    if (store_search_put(st, c, id, err, errlen) != 0) /* its search index row */
        goto out;
    if ((rc = write_links(c, id, in, &old, now, err, errlen)) != STORE_OK)
        goto out;
    rc = STORE_ERROR;
    if (old.state == ARTICLE_PUBLISHED && strcmp(old.slug, slug) != 0 &&
        redirect_old_slug(c, id, old.slug, slug, now) != STORE_OK)
        goto out;
    if (store_write_ids(st, STMT_AUTOSAVE_DELETE, 2, id, user_id, 0, "deleting an autosave") !=
        STORE_OK)
        goto out;
    if (record(st, id, user_id, now, "article.save", in->headline ? in->headline : "",
               strcmp(old.slug, slug) ? arena_printf(a, "slug %s → %s", old.slug, slug) : "") !=
        STORE_OK)
        goto out;
    arena_free(a);
    return store_tx_commit(c, err, errlen) == 0 ? STORE_OK : STORE_ERROR;
out:
    store_tx_rollback(c);
    arena_free(a);
    return rc == STORE_OK ? STORE_ERROR : rc;
}

/* A change of state of article id at base_version to `to`, from one of from[0..nfrom) (up to
 * 4), published_at set to published_at unless it is -1; audited as action. A scheduled article
 * sent back to draft forgets its time (published_at 0), decided here from the row read in the
 * transaction: it is the state at base_version, or the UPDATE finds no row (a conflict). */
static int transition(struct store *st, int64_t id, int64_t base_version, int64_t user_id,
                      int64_t now, enum article_state to, const enum article_state *from,
                      size_t nfrom, int64_t published_at, int embargo, const char *action,
                      const char *detail, struct newsroom_conflict *conflict)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    if (!c)
        return STORE_ERROR;
    struct arena *a = arena_new(0);
    struct newsroom_article old;
    int rc = STORE_ERROR;
    if (store_tx_begin(c, NULL, 0) != 0) {
        arena_free(a);
        return STORE_ERROR;
    }
    if (item_log_lock(c) != 0 || (rc = load(c, a, id, &old)) != STORE_OK)
        goto out;
    if (to == ARTICLE_DRAFT && old.state == ARTICLE_SCHEDULED)
        published_at = 0; /* an unpublished one keeps its date */
    struct db_stmt *s =
        revision_keep(c, id, NULL) == 0 ? store_stmt(c, STMT_NR_TRANSITION, NULL, 0) : NULL;
    if (!s) {
        rc = STORE_ERROR;
        goto out;
    }
    db_bind_int64(s, 1, id);
    db_bind_int64(s, 2, base_version);
    db_bind_text(s, 3, store_article_state_name(to));
    db_bind_int64(s, 4, published_at);
    db_bind_int64(s, 5, now);
    db_bind_int64(s, 6, user_id);
    for (size_t i = 0; i < 4; i++)
        db_bind_text(s, 7 + (int)i, i < nfrom ? store_article_state_name(from[i]) : "");
    db_bind_int64(s, 11, embargo);
    rc = store_step_write(c, s, 1, "changing an article's state");
    db_reset(s);
    if (rc == STORE_NOT_FOUND) { /* another version, or a state this change is not from */
        tell_conflict(c, a, id, conflict);
        rc = STORE_CONFLICT;
        goto out;
    }
    if (rc != STORE_OK)
        goto out;
    if ((rc = record(st, id, user_id, now, action, old.headline, detail)) != STORE_OK)
        goto out;
    arena_free(a);
    return store_tx_commit(c, NULL, 0) == 0 ? STORE_OK : STORE_ERROR;
out:
    store_tx_rollback(c);
    arena_free(a);
    return rc;
}

int store_newsroom_submit(struct store *st, int64_t id, int64_t base_version, int64_t user_id,
                          int64_t now, struct newsroom_conflict *conflict)
{
    static const enum article_state from[] = {ARTICLE_DRAFT};
    return transition(st, id, base_version, user_id, now, ARTICLE_REVIEW, from, 1, -1, 0,
                      "article.submit", "", conflict);
}

int store_newsroom_publish(struct store *st, int64_t id, int64_t base_version, int64_t user_id,
                           int64_t now, struct newsroom_conflict *conflict)
{
    static const enum article_state from[] = {ARTICLE_DRAFT, ARTICLE_REVIEW, ARTICLE_SCHEDULED,
                                              ARTICLE_UNPUBLISHED};
    return transition(st, id, base_version, user_id, now, ARTICLE_PUBLISHED, from, 4, now, 0,
                      "article.publish", "", conflict);
}

int store_newsroom_schedule(struct store *st, int64_t id, int64_t base_version, int64_t user_id,
                            int64_t now, int64_t at, struct newsroom_conflict *conflict)
{
    static const enum article_state from[] = {ARTICLE_DRAFT, ARTICLE_REVIEW, ARTICLE_SCHEDULED,
                                              ARTICLE_UNPUBLISHED};
    if (at <= now)
        return STORE_INVALID;
    char detail[32];
    snprintf(detail, sizeof detail, "at %lld", (long long)at);
    return transition(st, id, base_version, user_id, now, ARTICLE_SCHEDULED, from, 4, at, 0,
                      "article.schedule", detail, conflict);
}

int store_newsroom_embargo(struct store *st, int64_t id, int64_t base_version, int64_t user_id,
                           int64_t now, int64_t at, struct newsroom_conflict *conflict)
{
    static const enum article_state from[] = {ARTICLE_DRAFT, ARTICLE_REVIEW, ARTICLE_SCHEDULED,
                                              ARTICLE_UNPUBLISHED};
    if (at <= now)
        return STORE_INVALID;
    char detail[48];
    snprintf(detail, sizeof detail, "embargoed until %lld", (long long)at);
    return transition(st, id, base_version, user_id, now, ARTICLE_SCHEDULED, from, 4, at, 1,
                      "article.embargo", detail, conflict);
}

enum kill_note_check store_kill_note_check(const char *note, size_t len)
{
    if (!note || !util_utf8_valid(note, len) || memchr(note, '\0', len))
        return KILL_NOTE_NOT_TEXT;
    if (len > KILL_NOTE_MAX)
        return KILL_NOTE_LONG;
    for (size_t i = 0; i < len; i++)
        if (!strchr(" \t\r\n\f\v", note[i]))
            return KILL_NOTE_OK;
    return KILL_NOTE_BLANK;
}

int store_newsroom_kill(struct store *st, int64_t id, int64_t base_version, int64_t user_id,
                        int64_t now, const char *note, struct newsroom_conflict *conflict)
{
    if (store_kill_note_check(note, note ? strlen(note) : 0) != KILL_NOTE_OK)
        return STORE_INVALID;
    struct db_conn *c = store_conn(st, NULL, 0);
    if (!c)
        return STORE_ERROR;
    struct arena *a = arena_new(0);
    struct newsroom_article old;
    int rc = STORE_ERROR;
    if (store_tx_begin(c, NULL, 0) != 0) {
        arena_free(a);
        return STORE_ERROR;
    }
    if (item_log_lock(c) != 0 || (rc = load(c, a, id, &old)) != STORE_OK)
        goto out;
    if (old.killed_at > 0 || old.state == ARTICLE_DRAFT || old.state == ARTICLE_REVIEW) {
        rc = STORE_INVALID; /* killed already, or never out: nothing to withdraw */
        goto out;
    }
    struct db_stmt *s =
        revision_keep(c, id, NULL) == 0 ? store_stmt(c, STMT_NR_KILL, NULL, 0) : NULL;
    if (!s) {
        rc = STORE_ERROR;
        goto out;
    }
    db_bind_int64(s, 1, id);
    db_bind_int64(s, 2, base_version);
    db_bind_int64(s, 3, now);
    db_bind_text(s, 4, note);
    db_bind_int64(s, 5, user_id);
    rc = store_step_write(c, s, 1, "killing an article");
    db_reset(s);
    if (rc == STORE_NOT_FOUND) { /* another version */
        tell_conflict(c, a, id, conflict);
        rc = STORE_CONFLICT;
        goto out;
    }
    if (rc != STORE_OK)
        goto out;
    if ((rc = record(st, id, user_id, now, "article.kill", old.headline, note)) != STORE_OK)
        goto out;
    arena_free(a);
    return store_tx_commit(c, NULL, 0) == 0 ? STORE_OK : STORE_ERROR;
out:
    store_tx_rollback(c);
    arena_free(a);
    return rc;
}

int store_newsroom_unpublish(struct store *st, int64_t id, int64_t base_version, int64_t user_id,
                             int64_t now, struct newsroom_conflict *conflict)
{
    static const enum article_state from[] = {ARTICLE_PUBLISHED};
    return transition(st, id, base_version, user_id, now, ARTICLE_UNPUBLISHED, from, 1, -1, 0,
                      "article.unpublish", "", conflict);
}

int store_newsroom_to_draft(struct store *st, int64_t id, int64_t base_version, int64_t user_id,
                            int64_t now, struct newsroom_conflict *conflict)
{
    static const enum article_state from[] = {ARTICLE_REVIEW, ARTICLE_SCHEDULED,
                                              ARTICLE_UNPUBLISHED};
    return transition(st, id, base_version, user_id, now, ARTICLE_DRAFT, from, 3, -1, 0,
                      "article.draft", "", conflict);
}

int store_newsroom_delete(struct store *st, int64_t id, int64_t base_version, int64_t user_id,
                          int64_t now, struct newsroom_conflict *conflict)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    if (!c)
        return STORE_ERROR;
    struct arena *a = arena_new(0);
    struct newsroom_article old;
    int rc;
    if (store_tx_begin(c, NULL, 0) != 0) {
        arena_free(a);
        return STORE_ERROR;
    }
    if ((rc = load(c, a, id, &old)) != STORE_OK)
        goto out;
    struct db_stmt *s = store_stmt(c, STMT_NR_DELETE, NULL, 0);
    if (!s) {
        rc = STORE_ERROR;
        goto out;
    }
    db_bind_int64(s, 1, id);
    db_bind_int64(s, 2, base_version);
    rc = store_step_write(c, s, 1, "deleting an article");
    db_reset(s);
    if (rc == STORE_NOT_FOUND) {
        tell_conflict(c, a, id, conflict);
        rc = STORE_CONFLICT;
        goto out;
    }
    if (rc != STORE_OK)
        goto out;
    struct audit_entry e = {.at = now,
                            .user_id = user_id,
                            .action = "article.delete",
                            .article_id = id,
                            .subject = *old.headline ? old.headline : old.slug,
                            .detail = old.slug};
    if ((rc = store_audit_add(st, &e)) != STORE_OK)
        goto out;
    arena_free(a);
    return store_tx_commit(c, NULL, 0) == 0 ? STORE_OK : STORE_ERROR;
out:
    store_tx_rollback(c);
    arena_free(a);
    return rc;
}

/* ---- the scheduler ------------------------------------------------------------------------- */

int store_articles_publish_due(struct store *st, int64_t now, int *n)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int64_t *ids = NULL, *by = NULL;
    char **headlines = NULL;
    size_t count = 0, cap = 0;
    int rc = STORE_ERROR, began = 0;
    if (n)
        *n = 0;
    if (!c || !(s = store_stmt(c, STMT_NR_DUE_ANY, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, now);
    int due = store_step_one(c, s, "looking for scheduled articles");
    db_reset(s);
    s = NULL;
    if (due != STORE_OK) { /* nothing due (the usual case): no write lock taken */
        rc = due == STORE_NOT_FOUND ? STORE_OK : STORE_ERROR;
        goto out;
    }
    if (store_tx_begin(c, NULL, 0) != 0)
        goto out;
    began = 1;
    if (item_log_lock(c) != 0 || !(s = store_stmt(c, STMT_NR_PUBLISH_DUE, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, now);
    int step;
    while ((step = db_step(s)) == DB_ROW) {
        if (count == cap) {
            cap = cap ? cap * 2 : 8;
            ids = xrealloc(ids, cap * sizeof *ids);
            by = xrealloc(by, cap * sizeof *by);
            headlines = xrealloc(headlines, cap * sizeof *headlines);
        }
        ids[count] = db_column_int64(s, 0);
        by[count] = db_column_int64(s, 1);
        const char *h = db_column_text(s, 2);
        headlines[count++] = xstrdup(h ? h : "");
    }
    db_reset(s);
    s = NULL;
    if (step != DB_DONE) {
        store_step_failed(c, "publishing scheduled articles");
        goto out;
    }
    /* Who scheduled it (the article's updated_by, which publishing leaves) publishes it. */
    for (size_t i = 0; i < count; i++)
        if (record(st, ids[i], by[i], now, "article.publish", headlines[i],
                   "its scheduled time came") != STORE_OK)
            goto out;
    began = 0;
    if (store_tx_commit(c, NULL, 0) != 0)
        goto out;
    if (n)
        *n = (int)count;
    rc = STORE_OK;
out:
    db_reset(s);
    if (began)
        store_tx_rollback(c);
    for (size_t i = 0; i < count; i++)
        free(headlines[i]);
    free(headlines);
    free(ids);
    free(by);
    return rc;
}

/* ---- the list ------------------------------------------------------------------------------ */

int store_newsroom_articles(struct store *st, struct arena *a, const struct newsroom_query *q,
                            struct newsroom_article **out, size_t *n, int *more, int *keyset)
{
    int limit = q->limit <= 0 ? NEWSROOM_PAGE_DEFAULT : q->limit;
    if (limit > NEWSROOM_PAGE_MAX)
        limit = NEWSROOM_PAGE_MAX;
    int published = q->state == ARTICLE_PUBLISHED;
    int by_key =
        q->sort == NEWSROOM_SORT_UPDATED || (q->sort == NEWSROOM_SORT_PUBLISHED && published);
    enum statement id = STMT_NR_LIST_OFFSET;
    if (by_key && q->sort == NEWSROOM_SORT_PUBLISHED)
        id = STMT_NR_LIST_PUBLISHED; /* articles_latest */
    else if (by_key && q->state >= 0 && !published)
        id = STMT_NR_LIST_STATE; /* articles_workflow */
    else if (by_key && q->created_by)
        id = STMT_NR_LIST_AUTHOR; /* articles_created_by */
    else if (by_key)
        id = STMT_NR_LIST_ALL; /* articles_newsroom */
    if (!by_key && (q->offset < 0 || q->offset > NEWSROOM_OFFSET_MAX))
        return STORE_INVALID;

    /* The words as a LIKE pattern: lowercased (ASCII, as lower() does in SQL), wildcards
     * escaped. */
    struct buf pattern = BUF_INIT;
    if (store_present(q->words)) {
        buf_putc(&pattern, '%');
        for (const char *p = q->words; *p; p++) {
            if (*p == '%' || *p == '_' || *p == '\\')
                buf_putc(&pattern, '\\');
            buf_putc(&pattern, *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p);
        }
        buf_putc(&pattern, '%');
    }
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, id, NULL, 0)))
        goto out;
    db_bind_text(s, 1, q->state >= 0 ? store_article_state_name((enum article_state)q->state) : "");
    db_bind_int64(s, 2, q->section_id);
    db_bind_int64(s, 3, q->publication_id);
    db_bind_int64(s, 4, q->created_by);
    db_bind_text(s, 5, pattern.len ? pattern.data : "");
    if (by_key) {
        int first = q->after_key == 0 && q->after_id == 0;
        db_bind_int64(s, 6, first ? INT64_MAX : q->after_key);
        db_bind_int64(s, 7, first ? INT64_MAX : q->after_id);
    } else {
        db_bind_int64(s, 6, q->sort == NEWSROOM_SORT_PUBLISHED ? 2 : 1);
        db_bind_int64(s, 7, q->offset);
    }
    db_bind_int64(s, 8, limit + 1); /* one more says whether more follow */
    void *rows = NULL;
    size_t count = 0;
    rc = store_read_rows(c, s, a, sizeof(struct newsroom_article), read_row, "the newsroom's list",
                         &rows, &count);
    if (rc != STORE_OK)
        goto out;
    *more = count > (size_t)limit;
    *n = *more ? (size_t)limit : count;
    *out = rows;
    *keyset = by_key;
out:
    db_reset(s);
    buf_free(&pattern);
    return rc;
}

/* The count statement id reads (?1 = param when nparams is 1) into *count. */
static int count_of(struct db_conn *c, enum statement id, int nparams, int64_t param,
                    int64_t *count)
{
    struct db_stmt *s = store_stmt(c, id, NULL, 0);
    if (!s)
        return STORE_ERROR;
    if (nparams)
        db_bind_int64(s, 1, param);
    int rc = store_step_one(c, s, "counting articles");
    if (rc == STORE_OK)
        *count = db_column_int64(s, 0);
    db_reset(s);
    return rc == STORE_OK ? STORE_OK : STORE_ERROR;
}

int store_newsroom_counts(struct store *st, int64_t user_id, int64_t *my_drafts, int64_t *waiting)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    if (!c || count_of(c, STMT_NR_COUNT_MY_DRAFTS, 1, user_id, my_drafts) != STORE_OK ||
        count_of(c, STMT_NR_COUNT_REVIEW, 0, 0, waiting) != STORE_OK)
        return STORE_ERROR;
    return STORE_OK;
}

/* An author choice from the current row (a store_row_reader). */
static void author_choice_row(struct db_stmt *s, struct arena *a, void *item)
{
    struct author_choice *choice = item;
    choice->id = db_column_int64(s, 0);
    choice->name = store_column_text(s, 1, a);
}

int store_newsroom_author_choices(struct store *st, struct arena *a, struct author_choice **out,
                                  size_t *n)
{
    void *rows = NULL;
    int rc = store_list_all(st, STMT_NR_AUTHOR_CHOICES, a, sizeof(struct author_choice),
                            author_choice_row, "the authors to choose from", &rows, n);
    if (rc == STORE_OK)
        *out = rows;
    return rc;
}

/* ---- autosaves ----------------------------------------------------------------------------- */

int store_autosave_put(struct store *st, int64_t article_id, int64_t user_id, int64_t base_version,
                       int64_t now, const char *fields)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_AUTOSAVE_PUT, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, article_id);
    db_bind_int64(s, 2, user_id);
    db_bind_int64(s, 3, base_version);
    db_bind_int64(s, 4, now);
    db_bind_text(s, 5, fields);
    rc = store_step_write(c, s, 0, "autosaving");
out:
    db_reset(s);
    return rc;
}

int store_autosave_get(struct store *st, struct arena *a, int64_t article_id, int64_t user_id,
                       struct autosave *out)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_AUTOSAVE_GET, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, article_id);
    db_bind_int64(s, 2, user_id);
    rc = store_step_one(c, s, "reading an autosave");
    if (rc == STORE_OK) {
        out->base_version = db_column_int64(s, 0);
        out->saved_at = db_column_int64(s, 1);
        out->fields = store_column_text(s, 2, a);
    }
out:
    db_reset(s);
    return rc;
}

int store_autosave_delete(struct store *st, int64_t article_id, int64_t user_id)
{
    return store_write_ids(st, STMT_AUTOSAVE_DELETE, 2, article_id, user_id, 0,
                           "deleting an autosave");
}
