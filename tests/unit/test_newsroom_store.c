/*
 * test_newsroom_store.c: what the newsroom's schema promises readers and what its shared store
 * calls do (migrations/sqlite/012_newsroom.sql, store_newsroom.c): an article in any state but
 * published is invisible to every reader lookup and list and moves no page cache, and becomes
 * visible (with its tags in the change log) the moment it is published; the audit log keeps who
 * did what, by name, also for the command line; a revision snapshot records the article as it
 * is, with its authors' and tags' ids in order, once per version.
 *
 * Runs on SQLite, and on PostgreSQL when BROADSHEET_TEST_STORE_PG names a server.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "store.h"
#include "test_support.h"

static struct tmpdb db;

/* A publication, a section and a published article "live" (id 1), written through the store. */
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
    struct article_input in = {.slug = "live",
                               .headline = "Live",
                               .publication_slug = "nj",
                               .section_slug = "world",
                               .body_markdown = "Body.",
                               .body_html = "<p>Body.</p>",
                               .published_at = 1700000000,
                               .access = ACCESS_FREE};
    CHECK_INT(store_articles_save(st, &in, 1, err, sizeof err), STORE_OK);
    return st;
}

static int64_t change_seq(struct store *st)
{
    int64_t seq = -1;
    CHECK_INT(store_change_seq(st, &seq), STORE_OK);
    return seq;
}

static void test_states_hidden_from_readers(void)
{
    struct store *st = seeded();
    if (!st)
        return;
    struct arena *a = arena_new(0);
    const char *states[] = {"draft", "review", "scheduled", "unpublished"};
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
        char sql[512];
        int64_t before = change_seq(st);
        snprintf(sql, sizeof sql,
                 "INSERT INTO articles (slug, publication_id, section_id, published_at, "
                 "updated_at, headline, body_markdown, body_html, state) VALUES ('hidden-%s', "
                 "1, 1, %d, 1, 'Hidden', 'x', '<p>x</p>', '%s')",
                 states[i], i == 2 ? 1900000000 : 1600000000, states[i]);
        CHECK_INT(tdb_exec(&db, sql), 0);
        snprintf(sql, sizeof sql,
                 "UPDATE articles SET headline = 'Still hidden' WHERE slug = "
                 "'hidden-%s'",
                 states[i]);
        CHECK_INT(tdb_exec(&db, sql), 0);
        CHECK_INT(change_seq(st), before); /* nothing readers see changed */
        char slug[64];
        snprintf(slug, sizeof slug, "hidden-%s", states[i]);
        struct article art;
        int64_t id;
        enum access_level level;
        CHECK_INT(store_article_by_slug(st, a, slug, &art), STORE_NOT_FOUND);
        CHECK_INT(store_article_meta(st, slug, &id, &level), STORE_NOT_FOUND);
    }
    struct article_query q = {.limit = 50};
    struct article *list;
    size_t n = 0;
    CHECK_INT(store_articles_latest(st, a, &q, &list, &n), STORE_OK);
    CHECK_INT((int)n, 1);
    q.section_id = 1;
    CHECK_INT(store_articles_latest(st, a, &q, &list, &n), STORE_OK);
    CHECK_INT((int)n, 1);
    int more = -1;
    CHECK_INT(store_articles_page(st, a, NULL, 50, &list, &n, &more), STORE_OK);
    CHECK_INT((int)n, 1);
    int64_t count = -1;
    CHECK_INT(store_articles_count(st, &count), STORE_OK);
    CHECK_INT((int)count, 1);

    /* Publishing one makes it visible, and notes its page and lists. */
    int64_t before = change_seq(st);
    CHECK_INT(tdb_exec(&db, "UPDATE articles SET state = 'published' WHERE slug = 'hidden-draft'"),
              0);
    CHECK(change_seq(st) > before);
    struct article art;
    CHECK_INT(store_article_by_slug(st, a, "hidden-draft", &art), STORE_OK);
    CHECK_STR(art.headline, "Still hidden");
    char tag[160];
    snprintf(tag, sizeof tag,
             "SELECT count(*) FROM changes WHERE tag = 'article:%lld' AND seq > %lld",
             (long long)art.id, (long long)before);
    CHECK_INT((int)tdb_int(&db, tag), 1);
    /* … and taking it down again too. */
    before = change_seq(st);
    CHECK_INT(tdb_exec(&db, "UPDATE articles SET state = 'unpublished' WHERE slug = "
                            "'hidden-draft'"),
              0);
    CHECK(change_seq(st) > before);
    CHECK_INT(store_article_by_slug(st, a, "hidden-draft", &art), STORE_NOT_FOUND);
    arena_free(a);
    store_close(st);
}

static void test_audit(void)
{
    struct store *st = open_store(&db);
    if (!st)
        return;
    int64_t uid = 0;
    CHECK_INT(store_user_create(st, "ed@example.com", "Ed Itor", "", ROLE_EDITOR, &uid), STORE_OK);
    struct audit_entry e = {.at = 1700000100,
                            .user_id = uid,
                            .action = "article.publish",
                            .article_id = 1,
                            .subject = "Live",
                            .detail = ""};
    CHECK_INT(store_audit_add(st, &e), STORE_OK);
    struct audit_entry cli = {
        .action = "staff.role", .subject = "ann@example.com", .detail = "writer → editor"};
    CHECK_INT(store_audit_add(st, &cli), STORE_OK);
    struct audit_entry none = {.user_id = uid};
    CHECK_INT(store_audit_add(st, &none), STORE_ERROR); /* no action */
    char out[256];
    CHECK_STR(tdb_text(&db,
                       "SELECT user_name || '|' || action || '|' || article_id || '|' || "
                       "subject FROM audit_log WHERE action = 'article.publish'",
                       out, sizeof out),
              "Ed Itor|article.publish|1|Live");
    CHECK_STR(tdb_text(&db,
                       "SELECT user_name || '|' || coalesce(user_id, 0) || '|' || "
                       "coalesce(article_id, 0) || '|' || detail FROM audit_log WHERE "
                       "action = 'staff.role'",
                       out, sizeof out),
              "broadsheet (command line)|0|0|writer → editor");
    /* The name stays when the account goes. */
    CHECK_INT(store_user_delete(st, uid), STORE_OK);
    CHECK_STR(tdb_text(&db,
                       "SELECT user_name || '|' || coalesce(user_id, 0) FROM audit_log "
                       "WHERE action = 'article.publish'",
                       out, sizeof out),
              "Ed Itor|0");
    store_close(st);
}

static void test_revision_snapshot(void)
{
    struct store *st = open_store(&db);
    if (!st)
        return;
    CHECK_INT(tdb_exec(&db, "INSERT INTO authors (slug, name, created_at) VALUES ('a', 'A', 1), "
                            "('b', 'B', 1)"),
              0);
    CHECK_INT(tdb_exec(&db, "INSERT INTO tags (slug, name, created_at) VALUES ('t', 'T', 1)"), 0);
    CHECK_INT(tdb_exec(&db, "INSERT INTO article_authors (article_id, author_id, position) "
                            "SELECT 1, id, CASE WHEN slug = 'b' THEN 0 ELSE 1 END FROM authors"),
              0);
    CHECK_INT(tdb_exec(&db, "INSERT INTO article_tags (article_id, tag_id) SELECT 1, id FROM tags"),
              0);
    int64_t rev = 0;
    CHECK_INT(store_revision_snapshot(st, 1, 0, 1700000200, &rev), STORE_OK);
    CHECK(rev > 0);
    char out[256], want[64];
    long long b = tdb_int(&db, "SELECT id FROM authors WHERE slug = 'b'");
    long long aa = tdb_int(&db, "SELECT id FROM authors WHERE slug = 'a'");
    long long t = tdb_int(&db, "SELECT id FROM tags WHERE slug = 't'");
    snprintf(want, sizeof want, "1|%lld,%lld|%lld|live|Live|published", b, aa, t);
    CHECK_STR(tdb_text(&db,
                       "SELECT version || '|' || author_ids || '|' || tag_ids || '|' || slug "
                       "|| '|' || headline || '|' || state FROM article_revisions",
                       out, sizeof out),
              want);
    /* One revision per version: a second snapshot of the same version is refused. */
    CHECK_INT(store_revision_snapshot(st, 1, 0, 1700000300, NULL), STORE_CONFLICT);
    CHECK_INT(store_revision_snapshot(st, 999, 0, 1700000300, NULL), STORE_NOT_FOUND);
    CHECK_INT((int)tdb_int(&db, "SELECT count(*) FROM article_revisions"), 1);
    store_close(st);
}

void suite_newsroom_store(void)
{
    if (tmpdb_make(&db, "newsroom") != 0) {
        CHECK(!"tmpdb_make");
        return;
    }
    RUN(test_states_hidden_from_readers);
    RUN(test_audit);
    RUN(test_revision_snapshot);
    tmpdb_remove(&db);
}
