/*
 * test_newsroom_history.c: an article's past and its corrections (store_newsroom_history.c): the
 * newsroom's view of an article in any state; revisions listed newest first and paged, one read
 * with its body; restore as a new version (content, authors and tags back, those deleted since
 * skipped, slug and state kept, snapshot and audit entry written) and refused, changing nothing,
 * for a version the person did not see or an article the writer may no longer edit;
 * corrections only on published articles, each a new version, hidden from readers once the
 * article is taken down; "updated" from revisions, never from an import; redirects; autosaves.
 *
 * Runs on SQLite, and on PostgreSQL when BROADSHEET_TEST_STORE_PG names a server.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "store.h"
#include "test_support.h"

static struct tmpdb db;

/* A store with a publication and a section (id 1 each). */
static struct store *seeded(void)
{
    struct store *st = open_store(&db);
    if (!st)
        return NULL;
    struct publication p = {.slug = "nj", .name = "National Journal", .is_host = 1};
    struct section s = {.slug = "world", .name = "World", .position = 1};
    char err[256] = "";
    CHECK_INT(store_publication_save(st, &p, err, sizeof err), STORE_OK);
    CHECK_INT(store_section_save(st, &s, err, sizeof err), STORE_OK);
    return st;
}

/* Inserts an article (slug, state, created_by) by SQL, returning its id. */
static int64_t article(const char *slug, const char *state, int64_t created_by)
{
    char sql[768];
    snprintf(sql, sizeof sql,
             "INSERT INTO articles (slug, publication_id, section_id, published_at, updated_at, "
             "headline, dek, body_markdown, body_html, state, created_by) VALUES ('%s', 1, 1, "
             "%d, 1700000000, 'Headline one', 'Dek one', 'Body one.', '<p>Body one.</p>', "
             "'%s', %s)",
             slug, strcmp(state, "published") ? 0 : 1700000000, state,
             created_by ? "(SELECT max(id) FROM users)" : "NULL");
    CHECK_INT(tdb_exec(&db, sql), 0);
    snprintf(sql, sizeof sql, "SELECT id FROM articles WHERE slug = '%s'", slug);
    return tdb_int(&db, sql);
}

/* Changes the article's text by SQL as a save would (version + 1), then snapshots it. */
static void save(struct store *st, int64_t id, const char *headline, const char *body, int64_t user,
                 int64_t at)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "UPDATE articles SET headline = '%s', body_markdown = '%s', version = version + 1 "
             "WHERE id = %lld",
             headline, body, (long long)id);
    CHECK_INT(tdb_exec(&db, sql), 0);
    CHECK_INT(store_revision_snapshot(st, id, user, at, NULL), STORE_OK);
}

static void test_article_any_state(void)
{
    struct store *st = seeded();
    if (!st)
        return;
    struct arena *a = arena_new(0);
    int64_t uid = 0;
    CHECK_INT(store_user_create(st, "wr@example.com", "Wri Ter", "", ROLE_WRITER, &uid), STORE_OK);
    int64_t id = article("any-draft", "draft", uid);
    CHECK_INT(tdb_exec(&db, "UPDATE articles SET updated_by = created_by, seo_title = 'SEO', "
                            "editor_note = 'note' WHERE slug = 'any-draft'"),
              0);
    struct history_article h;
    CHECK_INT(store_history_article(st, a, id, &h), STORE_OK);
    CHECK_STR(h.state, "draft");
    CHECK_INT(h.version, 1);
    CHECK_INT(h.created_by, uid);
    CHECK_STR(h.updated_by_name, "Wri Ter");
    CHECK_STR(h.article.headline, "Headline one");
    CHECK_STR(h.article.body_markdown, "Body one.");
    CHECK_STR(h.article.section.slug, "world");
    CHECK_STR(h.seo_title, "SEO");
    CHECK_STR(h.editor_note, "note");
    CHECK_INT(store_history_article(st, a, 99999, &h), STORE_NOT_FOUND);
    /* Readers still cannot find it. */
    struct article art;
    CHECK_INT(store_article_by_slug(st, a, "any-draft", &art), STORE_NOT_FOUND);
    arena_free(a);
    store_close(st);
}

static void test_revisions_list(void)
{
    struct store *st = seeded();
    if (!st)
        return;
    struct arena *a = arena_new(0);
    int64_t id = article("listed", "draft", 0);
    CHECK_INT(store_revision_snapshot(st, id, 0, 1700000001, NULL), STORE_OK);
    for (int i = 2; i <= 5; i++) {
        char headline[32];
        snprintf(headline, sizeof headline, "Headline %d", i);
        save(st, id, headline, "Body.", 0, 1700000000 + i);
    }
    struct revision *list = NULL;
    size_t n = 0;
    CHECK_INT(store_revisions(st, a, id, 0, 0, &list, &n), STORE_OK);
    CHECK_INT(n, 5);
    if (n == 5) {
        CHECK_INT(list[0].version, 5);
        CHECK_INT(list[4].version, 1);
        CHECK_STR(list[0].headline, "Headline 5");
        CHECK_STR(list[0].body_markdown, ""); /* lists carry no body */
        CHECK_STR(list[0].section_name, "World");
    }
    CHECK_INT(store_revisions(st, a, id, 4, 2, &list, &n), STORE_OK);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_INT(list[0].version, 3);
        CHECK_INT(list[1].version, 2);
    }
    struct revision r;
    CHECK_INT(store_revision(st, a, id, 3, &r), STORE_OK);
    CHECK_STR(r.headline, "Headline 3");
    CHECK_STR(r.body_markdown, "Body.");
    CHECK_INT(store_revision(st, a, id, 42, &r), STORE_NOT_FOUND);
    arena_free(a);
    store_close(st);
}

static void test_restore(void)
{
    struct store *st = seeded();
    if (!st)
        return;
    struct arena *a = arena_new(0);
    int64_t ed = 0;
    CHECK_INT(store_user_create(st, "ed2@example.com", "Ed", "", ROLE_EDITOR, &ed), STORE_OK);
    int64_t id = article("restored", "published", 0);
    CHECK_INT(tdb_exec(&db, "INSERT INTO authors (slug, name, created_at) VALUES ('ra', 'RA', 1), "
                            "('rb', 'RB', 1)"),
              0);
    CHECK_INT(tdb_exec(&db, "INSERT INTO tags (slug, name, created_at) VALUES ('rt', 'RT', 1)"), 0);
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO article_authors (article_id, author_id, position) SELECT %lld, id, "
             "CASE WHEN slug = 'rb' THEN 0 ELSE 1 END FROM authors WHERE slug IN ('ra', 'rb')",
             (long long)id);
    CHECK_INT(tdb_exec(&db, sql), 0);
    snprintf(sql, sizeof sql,
             "INSERT INTO article_tags (article_id, tag_id) SELECT %lld, id FROM tags WHERE "
             "slug = 'rt'",
             (long long)id);
    CHECK_INT(tdb_exec(&db, sql), 0);
    CHECK_INT(store_revision_snapshot(st, id, 0, 1700000001, NULL), STORE_OK); /* version 1 */
    snprintf(sql, sizeof sql,
             "DELETE FROM article_authors WHERE article_id = %lld; DELETE FROM article_tags "
             "WHERE article_id = %lld",
             (long long)id, (long long)id);
    CHECK_INT(tdb_exec(&db, sql), 0);
    save(st, id, "Headline two", "Body two.", ed, 1700000100); /* version 2, no links */
    /* Author ra is deleted since version 1 (unlinked first: authors have no cascade). */
    CHECK_INT(tdb_exec(&db, "DELETE FROM authors WHERE slug = 'ra'"), 0);

    /* A stale version: refused, nothing changed. */
    struct revision_restore q = {.article_id = id,
                                 .version = 1,
                                 .seen_version = 1,
                                 .user_id = ed,
                                 .may_edit_any = 1,
                                 .body_html = "<p>Body one.</p>",
                                 .now = 1700000200};
    int64_t version = 0;
    CHECK_INT(store_revision_restore(st, &q, &version), STORE_CONFLICT);
    snprintf(sql, sizeof sql, "SELECT version FROM articles WHERE id = %lld", (long long)id);
    CHECK_INT(tdb_int(&db, sql), 2);
    CHECK_INT(tdb_int(&db, "SELECT count(*) FROM audit_log WHERE action = 'article.restore'"), 0);
    /* A writer (not an editor) may not restore onto a published article. */
    q.seen_version = 2;
    q.may_edit_any = 0;
    CHECK_INT(store_revision_restore(st, &q, &version), STORE_CONFLICT);
    CHECK_INT(tdb_int(&db, sql), 2);
    /* No such revision, no such article. */
    q.may_edit_any = 1;
    q.version = 7;
    CHECK_INT(store_revision_restore(st, &q, &version), STORE_NOT_FOUND);
    q.version = 1;
    q.article_id = 99999;
    CHECK_INT(store_revision_restore(st, &q, &version), STORE_NOT_FOUND);
    q.article_id = id;

    CHECK_INT(store_revision_restore(st, &q, &version), STORE_OK);
    CHECK_INT(version, 3);
    struct history_article h;
    CHECK_INT(store_history_article(st, a, id, &h), STORE_OK);
    CHECK_INT(h.version, 3);
    CHECK_STR(h.article.headline, "Headline one");
    CHECK_STR(h.article.body_markdown, "Body one.");
    CHECK_STR(h.article.body_html, "<p>Body one.</p>");
    CHECK_STR(h.article.slug, "restored");
    CHECK_STR(h.state, "published");
    CHECK_INT(h.updated_by, ed);
    CHECK_INT(h.article.updated_at, 1700000200);
    char out[256], want[64];
    snprintf(sql, sizeof sql,
             "SELECT author_ids || '|' || tag_ids FROM article_revisions WHERE article_id = %lld "
             "AND version = 3",
             (long long)id);
    snprintf(want, sizeof want, "%lld|%lld",
             tdb_int(&db, "SELECT id FROM authors WHERE slug = 'rb'"),
             tdb_int(&db, "SELECT id FROM tags WHERE slug = 'rt'"));
    CHECK_STR(tdb_text(&db, sql, out, sizeof out), want);
    CHECK_STR(tdb_text(&db,
                       "SELECT user_name || '|' || detail FROM audit_log WHERE action = "
                       "'article.restore'",
                       out, sizeof out),
              "Ed|restored version 1 as version 3");

    /* A writer restores on their own draft. */
    int64_t wr = 0;
    CHECK_INT(store_user_create(st, "wr2@example.com", "Wr", "", ROLE_WRITER, &wr), STORE_OK);
    int64_t mine = article("mine", "draft", wr);
    CHECK_INT(store_revision_snapshot(st, mine, wr, 1700000001, NULL), STORE_OK);
    save(st, mine, "Changed", "Changed.", wr, 1700000002);
    struct revision_restore w = {.article_id = mine,
                                 .version = 1,
                                 .seen_version = 2,
                                 .user_id = wr,
                                 .body_html = "<p>Body one.</p>",
                                 .now = 1700000300};
    CHECK_INT(store_revision_restore(st, &w, &version), STORE_OK);
    CHECK_INT(version, 3);
    /* … but not on someone else's. */
    int64_t other = article("not-mine", "draft", 0);
    CHECK_INT(store_revision_snapshot(st, other, 0, 1700000001, NULL), STORE_OK);
    w.article_id = other;
    w.seen_version = 1;
    CHECK_INT(store_revision_restore(st, &w, &version), STORE_CONFLICT);
    arena_free(a);
    store_close(st);
}

static void test_corrections(void)
{
    struct store *st = seeded();
    if (!st)
        return;
    struct arena *a = arena_new(0);
    int64_t ed = 0;
    CHECK_INT(store_user_create(st, "ed3@example.com", "Ed Three", "", ROLE_EDITOR, &ed), STORE_OK);
    int64_t id = article("corrected", "published", 0);
    int64_t draft = article("corrected-draft", "draft", 0);
    int64_t modified = -1;
    CHECK_INT(store_article_modified_at(st, id, &modified), STORE_OK);
    CHECK_INT(modified, 0); /* imported or inserted: never updated */

    int64_t version = 0;
    CHECK_INT(store_correction_add(st, id, ed, "An earlier version misspelled “Smith”.", 1700086400,
                                   &version),
              STORE_OK);
    CHECK_INT(version, 2);
    CHECK_INT(store_correction_add(st, draft, ed, "Not on a draft.", 1700086400, NULL),
              STORE_NOT_FOUND);
    char big[CORRECTION_MAX_BYTES + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK_INT(store_correction_add(st, id, ed, big, 1700086400, NULL), STORE_ERROR);
    CHECK_INT(store_correction_add(st, id, ed, "", 1700086400, NULL), STORE_ERROR);
    CHECK_INT(tdb_int(&db, "SELECT count(*) FROM article_corrections"), 1);

    struct correction *list = NULL;
    size_t n = 0;
    CHECK_INT(store_corrections(st, a, id, 1, &list, &n), STORE_OK);
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK_STR(list[0].body, "An earlier version misspelled “Smith”.");
        CHECK_INT(list[0].created_at, 1700086400);
    }
    CHECK_INT(store_corrections(st, a, id, 0, &list, &n), STORE_OK);
    CHECK_INT(n, 1);
    if (n == 1)
        CHECK_STR(list[0].user_name, "Ed Three");
    struct history_article h;
    CHECK_INT(store_history_article(st, a, id, &h), STORE_OK);
    CHECK_INT(h.version, 2);
    CHECK_INT(h.article.updated_at, 1700086400);
    CHECK_INT(tdb_int(&db, "SELECT count(*) FROM audit_log WHERE action = 'article.correct'"), 1);
    CHECK_INT(store_article_modified_at(st, id, &modified), STORE_OK);
    CHECK_INT(modified, 1700086400);

    /* A save within the grace after publication is part of publishing. */
    int64_t fresh = article("fresh", "published", 0);
    save(st, fresh, "Fresh", "Fresh.", ed, 1700000000 + HISTORY_UPDATE_GRACE);
    CHECK_INT(store_article_modified_at(st, fresh, &modified), STORE_OK);
    CHECK_INT(modified, 0);

    /* Taken down: readers see no corrections and no update. */
    CHECK_INT(tdb_exec(&db, "UPDATE articles SET state = 'unpublished' WHERE slug = 'corrected'"),
              0);
    CHECK_INT(store_corrections(st, a, id, 1, &list, &n), STORE_OK);
    CHECK_INT(n, 0);
    CHECK_INT(store_corrections(st, a, id, 0, &list, &n), STORE_OK);
    CHECK_INT(n, 1);
    CHECK_INT(store_article_modified_at(st, id, &modified), STORE_OK);
    CHECK_INT(modified, 0);
    arena_free(a);
    store_close(st);
}

static void test_redirects_and_autosave(void)
{
    struct store *st = seeded();
    if (!st)
        return;
    struct arena *a = arena_new(0);
    int64_t live = article("new-slug", "published", 0);
    int64_t hidden = article("hidden-slug", "draft", 0);
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO redirects (path, article_id, created_at) VALUES ('/articles/old-slug', "
             "%lld, 1), ('/articles/old-hidden', %lld, 1); INSERT INTO redirects (path, target, "
             "created_at) VALUES ('/articles/moved', '/sections/world', 1)",
             (long long)live, (long long)hidden);
    CHECK_INT(tdb_exec(&db, sql), 0);
    struct redirect r;
    CHECK_INT(store_redirect_find(st, a, "/articles/old-slug", &r), STORE_OK);
    CHECK_INT(r.article_id, live);
    CHECK_STR(r.slug, "new-slug");
    CHECK_INT(store_redirect_find(st, a, "/articles/old-hidden", &r), STORE_OK);
    CHECK_INT(r.article_id, hidden);
    CHECK_STR(r.slug, ""); /* not published: readers get 404 */
    CHECK_INT(store_redirect_find(st, a, "/articles/moved", &r), STORE_OK);
    CHECK_INT(r.article_id, 0);
    CHECK_STR(r.target, "/sections/world");
    CHECK_INT(store_redirect_find(st, a, "/articles/never", &r), STORE_NOT_FOUND);

    int64_t uid = 0;
    CHECK_INT(store_user_create(st, "auto@example.com", "", "", ROLE_WRITER, &uid), STORE_OK);
    snprintf(sql, sizeof sql,
             "INSERT INTO autosaves (article_id, user_id, base_version, saved_at, fields) VALUES "
             "(%lld, %lld, 1, 1700000500, '{\"headline\":\"Auto\"}')",
             (long long)hidden, (long long)uid);
    CHECK_INT(tdb_exec(&db, sql), 0);
    struct autosave saved;
    CHECK_INT(store_autosave_get(st, a, hidden, uid, &saved), STORE_OK);
    CHECK_STR(saved.fields, "{\"headline\":\"Auto\"}");
    CHECK_INT(saved.saved_at, 1700000500);
    CHECK_INT(saved.base_version, 1);
    CHECK_INT(store_autosave_get(st, a, live, uid, &saved), STORE_NOT_FOUND);

    struct publication p;
    struct section s;
    CHECK_INT(store_publication_by_id(st, a, 1, &p), STORE_OK);
    CHECK_STR(p.slug, "nj");
    CHECK_INT(store_section_by_id(st, a, 1, &s), STORE_OK);
    CHECK_STR(s.name, "World");
    CHECK_INT(store_section_by_id(st, a, 777, &s), STORE_NOT_FOUND);
    CHECK_INT(tdb_exec(&db, "INSERT INTO authors (slug, name, created_at) VALUES ('na', 'Ann', "
                            "1), ('nb', 'Bo', 1)"),
              0);
    char ids[64];
    snprintf(ids, sizeof ids, "%lld,999,%lld",
             tdb_int(&db, "SELECT id FROM authors WHERE slug = 'nb'"),
             tdb_int(&db, "SELECT id FROM authors WHERE slug = 'na'"));
    const char *names = NULL;
    CHECK_INT(store_history_names(st, a, 0, ids, &names), STORE_OK);
    CHECK_STR(names, "Bo, Ann");
    CHECK_INT(store_history_names(st, a, 1, "", &names), STORE_OK);
    CHECK_STR(names, "");
    arena_free(a);
    store_close(st);
}

void suite_newsroom_history(void)
{
    if (tmpdb_make(&db, "history") != 0) {
        CHECK(!"tmpdb_make");
        return;
    }
    RUN(test_article_any_state);
    RUN(test_revisions_list);
    RUN(test_restore);
    RUN(test_corrections);
    RUN(test_redirects_and_autosave);
    tmpdb_remove(&db);
}
