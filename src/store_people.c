/*
 * store_people.c: the part of store.h for authors and tags: the newsroom's lists and edits of
 * them (each with its audit entry, in one transaction), and what readers see of them: an
 * author's or a tag's published articles in keyset pages, and an article's authors and tags.
 */
#include <stdio.h>
#include <string.h>

#include "people.h"
#include "slug.h"
#include "store_impl.h"
#include "util.h"

/* Reads an author row (AUTHOR_SELECT order) from s. */
static void read_author(struct db_stmt *s, struct arena *a, struct author *au)
{
    au->id = db_column_int64(s, 0);
    au->slug = store_column_text(s, 1, a);
    au->name = store_column_text(s, 2, a);
    au->bio = store_column_text(s, 3, a);
    au->bio_html = store_column_text(s, 4, a);
    au->links = store_column_text(s, 5, a);
    au->user_id = db_column_int64(s, 6);
    au->user_email = store_column_text(s, 7, a);
    au->created_at = db_column_int64(s, 8);
}

/* read_author as a store_row_reader. */
static void author_row(struct db_stmt *s, struct arena *a, void *item)
{
    read_author(s, a, item);
}

/* Reads a tag row (id, slug, name, created_at) from s (a store_row_reader). */
static void tag_row(struct db_stmt *s, struct arena *a, void *item)
{
    struct tag *t = item;
    t->id = db_column_int64(s, 0);
    t->slug = store_column_text(s, 1, a);
    t->name = store_column_text(s, 2, a);
    t->created_at = db_column_int64(s, 3);
}

/* store_read_article as a store_row_reader. */
static void article_row(struct db_stmt *s, struct arena *a, void *item)
{
    store_read_article(s, a, item);
}

/* One keyset page of statement id (?1 the slug to start after, ?2 the limit), read with
 * read_row into *out of *n items of item_size, and *more. */
static int slug_page(struct store *st, enum statement id, struct arena *a, const char *after,
                     int limit, size_t item_size, store_row_reader read_row, const char *what,
                     void **out, size_t *n, int *more)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (limit < 1)
        limit = 1;
    if (limit > STORE_PEOPLE_PAGE_MAX)
        limit = STORE_PEOPLE_PAGE_MAX;
    if (!c || !(s = store_stmt(c, id, NULL, 0)))
        goto out;
    db_bind_text(s, 1, after ? after : "");
    db_bind_int64(s, 2, limit + 1); /* one more than asked: whether there is a next page */
    void *items;
    size_t count;
    rc = store_read_rows(c, s, a, item_size, read_row, what, &items, &count);
    if (rc == STORE_OK) {
        *more = count > (size_t)limit;
        *n = *more ? (size_t)limit : count;
        *out = *n ? items : NULL;
    }
out:
    db_reset(s);
    return rc;
}

int store_authors(struct store *st, struct arena *a, const char *after_slug, int limit,
                  struct author **out, size_t *n, int *more)
{
    return slug_page(st, STMT_AUTHORS_PAGE, a, after_slug, limit, sizeof **out, author_row,
                     "listing authors", (void **)out, n, more);
}

int store_tags(struct store *st, struct arena *a, const char *after_slug, int limit,
               struct tag **out, size_t *n, int *more)
{
    return slug_page(st, STMT_TAGS_PAGE, a, after_slug, limit, sizeof **out, tag_row,
                     "listing tags", (void **)out, n, more);
}

/* A one-row lookup by statement id with ?1 = an id (key_text NULL) or a text (key_text), read
 * with read_row into out. */
static int lookup(struct store *st, enum statement id, struct arena *a, int64_t key,
                  const char *key_text, store_row_reader read_row, void *out, const char *what)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, id, NULL, 0)))
        goto out;
    if (key_text)
        db_bind_text(s, 1, key_text);
    else
        db_bind_int64(s, 1, key);
    rc = store_step_one(c, s, "looking up %s", what);
    if (rc == STORE_OK)
        read_row(s, a, out);
out:
    db_reset(s);
    return rc;
}

int store_author_by_id(struct store *st, struct arena *a, int64_t id, struct author *out)
{
    return lookup(st, STMT_AUTHOR_BY_ID, a, id, NULL, author_row, out, "an author");
}

int store_author_by_slug(struct store *st, struct arena *a, const char *slug, struct author *out)
{
    return lookup(st, STMT_AUTHOR_BY_SLUG, a, 0, slug ? slug : "", author_row, out, "an author");
}

int store_tag_by_id(struct store *st, struct arena *a, int64_t id, struct tag *out)
{
    return lookup(st, STMT_TAG_BY_ID, a, id, NULL, tag_row, out, "a tag");
}

int store_tag_by_slug(struct store *st, struct arena *a, const char *slug, struct tag *out)
{
    return lookup(st, STMT_TAG_BY_SLUG, a, 0, slug ? slug : "", tag_row, out, "a tag");
}

/* Appends the audit entry of an action on an author or a tag (subject "author SLUG"). */
static int audit(struct store *st, int64_t actor, const char *action, const char *kind,
                 const char *slug, const char *detail)
{
    char subject[128];
    snprintf(subject, sizeof subject, "%s %s", kind, slug);
    struct audit_entry e = {
        .user_id = actor, .action = action, .subject = subject, .detail = detail};
    return store_audit_add(st, &e);
}

int store_author_save(struct store *st, int64_t id, const struct author_input *in, int64_t actor,
                      int64_t *new_id, const char **taken)
{
    if (!store_present(in->name) || !slug_valid(in->slug, PEOPLE_SLUG_MAX)) {
        store_report(NULL, 0, "store_author_save: no name, or a malformed slug");
        return STORE_ERROR;
    }
    if (taken)
        *taken = NULL;
    int creating = id == 0;
    struct db_conn *c = store_conn(st, NULL, 0);
    if (!c || store_begin(st) != STORE_OK)
        return STORE_ERROR;
    struct db_stmt *s = store_stmt(c, id ? STMT_AUTHOR_UPDATE : STMT_AUTHOR_INSERT, NULL, 0);
    int rc = STORE_ERROR;
    if (!s)
        return store_finish(st, STORE_ERROR);
    int k = id ? 2 : 1; /* the update names the author first */
    if (id)
        db_bind_int64(s, 1, id);
    db_bind_text(s, k, in->slug);
    db_bind_text(s, k + 1, in->name);
    db_bind_text(s, k + 2, in->bio ? in->bio : "");
    db_bind_text(s, k + 3, in->bio_html ? in->bio_html : "");
    db_bind_text(s, k + 4, in->links ? in->links : "");
    db_bind_int64(s, k + 5, in->user_id);
    if (!id)
        db_bind_int64(s, 7, util_now());
    if (id) {
        rc = store_step_write(c, s, 1, "saving an author");
    } else {
        rc = store_step_insert(c, s, &id, "saving an author");
        if (rc == STORE_OK && new_id)
            *new_id = id;
    }
    db_reset(s);
    if (rc == STORE_CONFLICT && taken) {
        /* Which uniqueness refused it: the slug's when another author has it, else the user's. */
        struct arena *a = arena_new(0);
        struct author other;
        int found = store_author_by_slug(st, a, in->slug, &other);
        *taken = found == STORE_OK && other.id != id ? "slug" : "user";
        arena_free(a);
    }
    if (rc == STORE_OK)
        rc = audit(st, actor, creating ? "author.create" : "author.edit", "author", in->slug,
                   in->name);
    return store_finish(st, rc);
}

/* How many articles statement id (?1 = the author's or tag's id) counts, into *uses. */
static int count_uses(struct db_conn *c, enum statement id, int64_t key, int64_t *uses)
{
    struct db_stmt *s = store_stmt(c, id, NULL, 0);
    if (!s)
        return STORE_ERROR;
    db_bind_int64(s, 1, key);
    int rc = store_step_one(c, s, "counting the articles naming %lld", (long long)key);
    if (rc == STORE_OK)
        *uses = db_column_int64(s, 0);
    db_reset(s);
    return rc == STORE_OK ? STORE_OK : STORE_ERROR;
}

/* Deletes the author or tag id (statement del) unless an article names it (statement uses_id),
 * with its audit entry, in one transaction: see store_author_delete. kind: "author" or "tag". */
static int delete_unused(struct store *st, int64_t id, int64_t actor, int64_t *uses,
                         enum statement uses_id, enum statement del, const char *kind)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct arena *a = arena_new(0);
    int64_t count = 0;
    const char *slug = NULL, *name = NULL;
    int rc = STORE_ERROR;
    if (!c || store_begin(st) != STORE_OK) {
        arena_free(a);
        return STORE_ERROR;
    }
    if (!strcmp(kind, "author")) {
        struct author au;
        rc = store_author_by_id(st, a, id, &au);
        slug = au.slug, name = au.name;
    } else {
        struct tag t;
        rc = store_tag_by_id(st, a, id, &t);
        slug = t.slug, name = t.name;
    }
    if (rc == STORE_OK)
        rc = count_uses(c, uses_id, id, &count);
    if (rc == STORE_OK && count > 0)
        rc = STORE_CONFLICT;
    if (rc == STORE_OK) {
        struct db_stmt *s = store_stmt(c, del, NULL, 0);
        if (!s) {
            rc = STORE_ERROR;
        } else {
            db_bind_int64(s, 1, id);
            rc = store_step_write(c, s, 1, "deleting");
            db_reset(s);
        }
        /* An article named it after the count (another node, on PostgreSQL): its foreign key
         * refused the delete, which store_step_write calls STORE_NOT_FOUND. Count again. */
        if (rc == STORE_NOT_FOUND && count_uses(c, uses_id, id, &count) == STORE_OK && count > 0)
            rc = STORE_CONFLICT;
    }
    if (rc == STORE_OK)
        rc = audit(st, actor, !strcmp(kind, "author") ? "author.delete" : "tag.delete", kind, slug,
                   name);
    if (uses)
        *uses = count;
    arena_free(a);
    return store_finish(st, rc);
}

int store_author_delete(struct store *st, int64_t id, int64_t actor, int64_t *uses)
{
    return delete_unused(st, id, actor, uses, STMT_AUTHOR_USES, STMT_AUTHOR_DELETE, "author");
}

int store_tag_delete(struct store *st, int64_t id, int64_t actor, int64_t *uses)
{
    return delete_unused(st, id, actor, uses, STMT_TAG_USES, STMT_TAG_DELETE, "tag");
}

int store_tag_save(struct store *st, int64_t id, const char *name, const char *slug, int64_t actor,
                   int64_t *new_id)
{
    if (!store_present(name) || !slug_valid(slug, PEOPLE_SLUG_MAX)) {
        store_report(NULL, 0, "store_tag_save: no name, or a malformed slug");
        return STORE_ERROR;
    }
    struct db_conn *c = store_conn(st, NULL, 0);
    if (!c || store_begin(st) != STORE_OK)
        return STORE_ERROR;
    struct arena *a = arena_new(0);
    const char *detail = name;
    int rc = STORE_OK;
    if (id) {
        struct tag old;
        rc = store_tag_by_id(st, a, id, &old);
        if (rc == STORE_OK && strcmp(old.name, name))
            detail = arena_printf(a, "%s \xE2\x86\x92 %s", old.name, name); /* "→" */
    }
    struct db_stmt *s = NULL;
    if (rc == STORE_OK && !(s = store_stmt(c, id ? STMT_TAG_UPDATE : STMT_TAG_INSERT, NULL, 0)))
        rc = STORE_ERROR;
    if (rc == STORE_OK && id) {
        db_bind_int64(s, 1, id);
        db_bind_text(s, 2, slug);
        db_bind_text(s, 3, name);
        rc = store_step_write(c, s, 1, "saving a tag");
    } else if (rc == STORE_OK) {
        db_bind_text(s, 1, slug);
        db_bind_text(s, 2, name);
        db_bind_int64(s, 3, util_now());
        int64_t made = 0;
        rc = store_step_insert(c, s, &made, "saving a tag");
        if (rc == STORE_OK && new_id)
            *new_id = made;
    }
    db_reset(s);
    if (rc == STORE_OK)
        rc = audit(st, actor, id ? "tag.edit" : "tag.create", "tag", slug, detail);
    arena_free(a);
    return store_finish(st, rc);
}

/* One page of the list of key (?1 the author's or tag's id, ?2 ?3 the cursor, ?4 the limit):
 * see store_author_articles. uses counts key's links (up to ?2); by_links and walk are the two
 * plans (see WALK_FROM). */
static int articles_of(struct store *st, enum statement uses, enum statement by_links,
                       enum statement walk, struct arena *a, int64_t key,
                       const struct article_cursor *after, int limit, struct article **out,
                       size_t *n, int *more)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    int64_t links = 0;
    if (limit < 1)
        limit = 1;
    if (limit > STORE_ARTICLE_PAGE_MAX)
        limit = STORE_ARTICLE_PAGE_MAX;
    if (!c || !(s = store_stmt(c, uses, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, key);
    db_bind_int64(s, 2, WALK_FROM);
    if (store_step_one(c, s, "counting a list's articles") != STORE_OK)
        goto out;
    links = db_column_int64(s, 0);
    db_reset(s);
    if (!(s = store_stmt(c, links >= WALK_FROM ? walk : by_links, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, key);
    /* No cursor: after a key greater than any article's. */
    db_bind_int64(s, 2, after ? after->published_at : INT64_MAX);
    db_bind_int64(s, 3, after ? after->id : INT64_MAX);
    db_bind_int64(s, 4, limit + 1); /* one more than asked: whether there is a next page */
    struct article *items;
    size_t count;
    rc = store_read_rows(c, s, a, sizeof *items, article_row, "listing articles", (void **)&items,
                         &count);
    if (rc == STORE_OK) {
        *more = count > (size_t)limit;
        *n = *more ? (size_t)limit : count;
        *out = *n ? items : NULL;
    }
out:
    db_reset(s);
    return rc;
}

int store_author_articles(struct store *st, struct arena *a, int64_t author_id,
                          const struct article_cursor *after, int limit, struct article **out,
                          size_t *n, int *more)
{
    return articles_of(st, STMT_AUTHOR_LINKS_UP_TO, STMT_AUTHOR_ARTICLES,
                       STMT_AUTHOR_ARTICLES_LATEST, a, author_id, after, limit, out, n, more);
}

int store_tag_articles(struct store *st, struct arena *a, int64_t tag_id,
                       const struct article_cursor *after, int limit, struct article **out,
                       size_t *n, int *more)
{
    return articles_of(st, STMT_TAG_LINKS_UP_TO, STMT_TAG_ARTICLES, STMT_TAG_ARTICLES_LATEST, a,
                       tag_id, after, limit, out, n, more);
}

/* The cursor of article_id in the list of key by statement id (?1 key, ?2 the article). */
static int cursor_of(struct store *st, enum statement id, int64_t key, int64_t article_id,
                     struct article_cursor *out)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, id, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, key);
    db_bind_int64(s, 2, article_id);
    rc = store_step_one(c, s, "looking up a list's cursor");
    if (rc == STORE_OK) {
        out->published_at = db_column_int64(s, 0);
        out->id = db_column_int64(s, 1);
    }
out:
    db_reset(s);
    return rc;
}

int store_author_article_cursor(struct store *st, int64_t author_id, int64_t article_id,
                                struct article_cursor *out)
{
    return cursor_of(st, STMT_AUTHOR_ARTICLE_KEY, author_id, article_id, out);
}

int store_tag_article_cursor(struct store *st, int64_t tag_id, int64_t article_id,
                             struct article_cursor *out)
{
    return cursor_of(st, STMT_TAG_ARTICLE_KEY, tag_id, article_id, out);
}

/* A row of STMT_ARTICLE_PEOPLE: an author's or a tag's, which its kind says. */
struct person_row {
    struct article_person person;
    char kind; /* 'a' an author, 't' a tag */
};

/* Reads a person_row ('a' or 't', id, slug, name, position): a store_row_reader. */
static void person_row(struct db_stmt *s, struct arena *a, void *item)
{
    struct person_row *row = item;
    const char *kind = db_column_text(s, 0);
    row->kind = kind ? kind[0] : 'a';
    row->person.id = db_column_int64(s, 1);
    row->person.slug = store_column_text(s, 2, a);
    row->person.name = store_column_text(s, 3, a);
}

int store_article_people(struct store *st, struct arena *a, int64_t article_id, int any_state,
                         struct article_person **authors, size_t *n_authors,
                         struct article_person **tags, size_t *n_tags)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    enum statement id = any_state ? STMT_ARTICLE_PEOPLE_ANY : STMT_ARTICLE_PEOPLE;
    if (!c || !(s = store_stmt(c, id, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, article_id);
    struct person_row *rows;
    size_t count;
    rc = store_read_rows(c, s, a, sizeof *rows, person_row, "reading an article's authors and tags",
                         (void **)&rows, &count);
    if (rc != STORE_OK)
        goto out;
    /* The rows come authors first, then tags, each kind in its order: one array, split where
     * the kind changes. */
    struct article_person *all = count ? arena_alloc(a, count * sizeof *all) : NULL;
    size_t split = 0;
    for (size_t i = 0; i < count; i++) {
        all[i] = rows[i].person;
        if (rows[i].kind == 'a')
            split = i + 1;
    }
    *authors = split ? all : NULL;
    *n_authors = split;
    *tags = count > split ? all + split : NULL;
    *n_tags = count - split;
out:
    db_reset(s);
    return rc;
}
