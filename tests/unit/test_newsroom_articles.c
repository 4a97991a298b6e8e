/*
 * test_newsroom_articles.c: the newsroom's articles in the store (store_newsroom_articles.c):
 * slugs, creating and saving under optimistic concurrency with authors, tags, revisions, audit
 * entries and redirects, the permission rules, every change of state, the scheduler, the list
 * with its filters, paging and counters, and autosaves.
 *
 * Runs on SQLite, and on PostgreSQL when BROADSHEET_TEST_STORE_PG names a server.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "slug.h"
#include "store.h"
#include "test_support.h"

static struct tmpdb db;
static int64_t writer, other_writer, editor;

/* A fresh database with a publication (1), a section (1), two authors, a writer, another writer
 * and an editor. */
static struct store *fresh(void)
{
    if (tmpdb_make(&db, "newsroom_articles") != 0) {
        CHECK(!"tmpdb_make");
        return NULL;
    }
    struct store *st = open_store(&db);
    if (!st)
        return NULL;
    struct publication p = {.slug = "nj", .name = "National Journal", .is_host = 1};
    struct section s = {.slug = "world", .name = "World", .position = 1};
    char err[256] = "";
    CHECK_INT(store_publication_save(st, &p, err, sizeof err), STORE_OK);
    CHECK_INT(store_section_save(st, &s, err, sizeof err), STORE_OK);
    CHECK_INT(store_user_create(st, "w@example.com", "Wanda Writer", "", ROLE_WRITER, &writer),
              STORE_OK);
    CHECK_INT(store_user_create(st, "o@example.com", "", "", ROLE_WRITER, &other_writer), STORE_OK);
    CHECK_INT(store_user_create(st, "e@example.com", "Ed Itor", "", ROLE_EDITOR, &editor),
              STORE_OK);
    CHECK_INT(tdb_exec(&db, "INSERT INTO authors (slug, name, created_at) VALUES "
                            "('ann', 'Ann', 1), ('bob', 'Bob', 1)"),
              0);
    return st;
}

static void done(struct store *st)
{
    store_close(st);
    tmpdb_remove(&db);
}

static struct newsroom_article_input input(const char *headline, const char *body)
{
    return (struct newsroom_article_input){.headline = headline,
                                           .dek = "A dek",
                                           .byline = "",
                                           .body_markdown = body,
                                           .body_html = "<p>x</p>",
                                           .publication_id = 1,
                                           .section_id = 1,
                                           .access = ACCESS_FREE,
                                           .seo_title = "",
                                           .seo_description = "",
                                           .editor_note = "",
                                           .tags = ""};
}

static long long count(const char *sql)
{
    return tdb_int(&db, sql);
}

static void test_slugify(void)
{
    char out[100];
    slug_make("Hello, World!", out, sizeof out);
    CHECK_STR(out, "hello-world");
    slug_make("  Über café — naïve Łódź  ", out, sizeof out);
    CHECK_STR(out, "uber-cafe-naive-lodz");
    slug_make("Don't stop 2024", out, sizeof out);
    CHECK_STR(out, "dont-stop-2024");
    slug_make("Don\u2019t stop", out, sizeof out); /* the typographic apostrophe too */
    CHECK_STR(out, "dont-stop");
    slug_make("日本語", out, sizeof out);
    CHECK_STR(out, "");
    slug_make("Straße Æsir", out, sizeof out);
    CHECK_STR(out, "strasse-aesir");
    slug_make("--a--b--", out, sizeof out);
    CHECK_STR(out, "a-b");
    /* Long ones are cut at a word. */
    slug_make("word word word word word word word word word word word word word word word "
              "word word word",
              out, sizeof out);
    CHECK(strlen(out) <= 80);
    CHECK(out[strlen(out) - 1] != '-');
    CHECK_STR(out + strlen(out) - 4, "word");
    slug_make("abcdef", out, 4);
    CHECK_STR(out, "abc");
}

static void test_create(void)
{
    struct store *st = fresh();
    if (!st)
        return;
    struct arena *a = arena_new(0);
    char err[256] = "";
    struct newsroom_article_input in = input("Senate Passes the Bill", "Body.");
    int64_t ids[3] = {0};
    for (int i = 0; i < 3; i++)
        CHECK_INT(store_newsroom_create(st, &in, writer, 1700000000, &ids[i], err, sizeof err),
                  STORE_OK);
    struct newsroom_article art;
    CHECK_INT(store_newsroom_article(st, a, ids[0], &art), STORE_OK);
    CHECK_STR(art.slug, "senate-passes-the-bill");
    CHECK_INT((int)art.state, ARTICLE_DRAFT);
    CHECK_INT((int)art.version, 1);
    CHECK_INT((int)art.published_at, 0);
    CHECK_INT((int)(art.created_by == writer), 1);
    CHECK_STR(art.created_by_name, "Wanda Writer");
    CHECK_STR(art.updated_by_name, "Wanda Writer");
    CHECK_INT((int)art.created_at, 1700000000);
    CHECK_INT(store_newsroom_article(st, a, ids[1], &art), STORE_OK);
    CHECK_STR(art.slug, "senate-passes-the-bill-2");
    CHECK_INT(store_newsroom_article(st, a, ids[2], &art), STORE_OK);
    CHECK_STR(art.slug, "senate-passes-the-bill-3");
    /* An empty headline: a placeholder slug. */
    struct newsroom_article_input empty = input("", "");
    int64_t id = 0;
    CHECK_INT(store_newsroom_create(st, &empty, writer, 1700000000, &id, err, sizeof err),
              STORE_OK);
    CHECK_INT(store_newsroom_article(st, a, id, &art), STORE_OK);
    CHECK(!strncmp(art.slug, "draft-", 6) && strlen(art.slug) == 18);
    /* Each has its first revision and an audit entry. */
    CHECK_INT((int)count("SELECT count(*) FROM article_revisions WHERE version = 1"), 4);
    CHECK_INT((int)count("SELECT count(*) FROM audit_log WHERE action = 'article.create'"), 4);
    /* An unknown section or author is refused, and nothing is kept. */
    struct newsroom_article_input bad = input("Bad", "x");
    bad.section_id = 99;
    CHECK_INT(store_newsroom_create(st, &bad, writer, 1700000000, &id, err, sizeof err),
              STORE_INVALID);
    bad = input("Bad", "x");
    int64_t nobody[] = {999};
    bad.author_ids = nobody;
    bad.author_count = 1;
    CHECK_INT(store_newsroom_create(st, &bad, writer, 1700000000, &id, err, sizeof err),
              STORE_INVALID);
    CHECK(strstr(err, "author") != NULL);
    CHECK_INT((int)count("SELECT count(*) FROM articles WHERE headline = 'Bad'"), 0);
    /* Readers never see a draft. */
    struct article reader_view;
    CHECK_INT(store_article_by_slug(st, a, "senate-passes-the-bill", &reader_view),
              STORE_NOT_FOUND);
    arena_free(a);
    done(st);
}

static void test_save(void)
{
    struct store *st = fresh();
    if (!st)
        return;
    struct arena *a = arena_new(0);
    char err[256] = "";
    struct newsroom_article_input in = input("First", "One.");
    int64_t id = 0;
    CHECK_INT(store_newsroom_create(st, &in, writer, 1700000000, &id, err, sizeof err), STORE_OK);
    int64_t ann = count("SELECT id FROM authors WHERE slug = 'ann'");
    int64_t bob = count("SELECT id FROM authors WHERE slug = 'bob'");
    int64_t authors[] = {bob, ann, bob};
    in = input("First, edited", "Two.");
    in.author_ids = authors;
    in.author_count = 3;
    in.tags = " Politics , Senate,politics,, ";
    in.seo_title = "SEO";
    in.editor_note = "check the figures";
    CHECK_INT(store_autosave_put(st, id, writer, 1, 1700000050, "{\"headline\":\"x\"}"), STORE_OK);
    struct newsroom_conflict conflict;
    CHECK_INT(store_newsroom_save(st, id, 1, &in, writer, 1700000100, &conflict, err, sizeof err),
              STORE_OK);
    struct newsroom_article art;
    CHECK_INT(store_newsroom_article(st, a, id, &art), STORE_OK);
    CHECK_INT((int)art.version, 2);
    CHECK_STR(art.headline, "First, edited");
    CHECK_STR(art.body_markdown, "Two.");
    CHECK_STR(art.slug, "first"); /* a save keeps the slug unless one is typed */
    CHECK_INT((int)art.updated_at, 1700000100);
    CHECK_STR(art.seo_title, "SEO");
    CHECK_STR(art.editor_note, "check the figures");
    CHECK_INT((int)art.author_count, 2);
    CHECK(art.author_ids[0] == bob && art.author_ids[1] == ann);
    CHECK_INT((int)art.tag_count, 2);
    CHECK_STR(art.tags, "Politics, Senate");
    CHECK_INT((int)count("SELECT count(*) FROM tags"), 2);
    CHECK_INT((int)count("SELECT count(*) FROM article_revisions"), 2);
    CHECK_INT((int)count("SELECT count(*) FROM audit_log WHERE action = 'article.save'"), 1);
    /* The saver's autosave is gone. */
    struct autosave as;
    CHECK_INT(store_autosave_get(st, a, id, writer, &as), STORE_NOT_FOUND);

    /* A save based on version 1 is refused, and says who changed it and when. */
    struct newsroom_article_input late = input("Late", "Three.");
    memset(&conflict, 0, sizeof conflict);
    CHECK_INT(store_newsroom_save(st, id, 1, &late, editor, 1700000200, &conflict, err, sizeof err),
              STORE_CONFLICT);
    CHECK_INT((int)conflict.version, 2);
    CHECK_INT((int)conflict.updated_at, 1700000100);
    CHECK_STR(conflict.updated_by_name, "Wanda Writer");
    CHECK_INT(store_newsroom_article(st, a, id, &art), STORE_OK);
    CHECK_STR(art.headline, "First, edited");
    CHECK_INT((int)art.version, 2);

    /* A typed slug is made a slug; one another article has is refused. */
    int64_t other = 0;
    struct newsroom_article_input second = input("Second", "x");
    CHECK_INT(store_newsroom_create(st, &second, writer, 1700000000, &other, err, sizeof err),
              STORE_OK);
    in.slug = "Second";
    CHECK_INT(store_newsroom_save(st, id, 2, &in, writer, 1700000300, &conflict, err, sizeof err),
              STORE_INVALID);
    CHECK(strstr(err, "already used") != NULL);
    in.slug = "Brand New Slug";
    CHECK_INT(store_newsroom_save(st, id, 2, &in, writer, 1700000300, &conflict, err, sizeof err),
              STORE_OK);
    CHECK_INT(store_newsroom_article(st, a, id, &art), STORE_OK);
    CHECK_STR(art.slug, "brand-new-slug");
    /* A draft's slug change leaves no redirect. */
    CHECK_INT((int)count("SELECT count(*) FROM redirects"), 0);
    /* The same authors and tags again rewrite no link (no change noted for them). */
    long long seq = count("SELECT value FROM meta WHERE key = 'change_seq'");
    CHECK_INT(store_newsroom_save(st, id, 3, &in, writer, 1700000400, &conflict, err, sizeof err),
              STORE_OK);
    CHECK_INT((int)(count("SELECT value FROM meta WHERE key = 'change_seq'") - seq), 0);
    /* An unknown author refuses the whole save. */
    int64_t ghost[] = {ann, 4242};
    in.author_ids = ghost;
    in.author_count = 2;
    in.headline = "Ghost";
    CHECK_INT(store_newsroom_save(st, id, 4, &in, writer, 1700000500, &conflict, err, sizeof err),
              STORE_INVALID);
    CHECK_INT(store_newsroom_article(st, a, id, &art), STORE_OK);
    CHECK_INT((int)art.version, 4);
    CHECK_STR(art.headline, "First, edited");
    CHECK_INT((int)count("SELECT count(*) FROM article_revisions"), 5); /* 4 + the second's */

    /* A placeholder slug becomes the headline's on the first save with one. */
    struct newsroom_article_input empty = input("", "");
    int64_t draft = 0;
    CHECK_INT(store_newsroom_create(st, &empty, writer, 1700000000, &draft, err, sizeof err),
              STORE_OK);
    struct newsroom_article_input named = input("Named Later", "x");
    CHECK_INT(
        store_newsroom_save(st, draft, 1, &named, writer, 1700000600, &conflict, err, sizeof err),
        STORE_OK);
    CHECK_INT(store_newsroom_article(st, a, draft, &art), STORE_OK);
    CHECK_STR(art.slug, "named-later");
    arena_free(a);
    done(st);
}

static void test_may(void)
{
    struct newsroom_article art = {.created_by = 7};
    for (int s = ARTICLE_DRAFT; s <= ARTICLE_UNPUBLISHED; s++) {
        art.state = (enum article_state)s;
        int draft = s == ARTICLE_DRAFT, review = s == ARTICLE_REVIEW;
        int published = s == ARTICLE_PUBLISHED;
        /* the writer who made it */
        CHECK_INT(store_newsroom_may(&art, 7, ROLE_WRITER, NEWSROOM_EDIT), draft || review);
        CHECK_INT(store_newsroom_may(&art, 7, ROLE_WRITER, NEWSROOM_SUBMIT), draft);
        CHECK_INT(store_newsroom_may(&art, 7, ROLE_WRITER, NEWSROOM_TO_DRAFT), review);
        CHECK_INT(store_newsroom_may(&art, 7, ROLE_WRITER, NEWSROOM_PUBLISH), 0);
        CHECK_INT(store_newsroom_may(&art, 7, ROLE_WRITER, NEWSROOM_SCHEDULE), 0);
        CHECK_INT(store_newsroom_may(&art, 7, ROLE_WRITER, NEWSROOM_UNPUBLISH), 0);
        CHECK_INT(store_newsroom_may(&art, 7, ROLE_WRITER, NEWSROOM_DELETE), 0);
        /* another writer, and a reader */
        CHECK_INT(store_newsroom_may(&art, 7, ROLE_WRITER, NEWSROOM_KILL), 0);
        for (int act = NEWSROOM_EDIT; act <= NEWSROOM_KILL; act++) {
            CHECK_INT(store_newsroom_may(&art, 8, ROLE_WRITER, (enum newsroom_action)act), 0);
            CHECK_INT(store_newsroom_may(&art, 7, ROLE_READER, (enum newsroom_action)act), 0);
        }
        /* editors and admins */
        for (int role = ROLE_EDITOR; role <= ROLE_ADMIN; role++) {
            CHECK_INT(store_newsroom_may(&art, 8, (enum role)role, NEWSROOM_EDIT), 1);
            CHECK_INT(store_newsroom_may(&art, 8, (enum role)role, NEWSROOM_SUBMIT), draft);
            CHECK_INT(store_newsroom_may(&art, 8, (enum role)role, NEWSROOM_PUBLISH), !published);
            CHECK_INT(store_newsroom_may(&art, 8, (enum role)role, NEWSROOM_SCHEDULE), !published);
            CHECK_INT(store_newsroom_may(&art, 8, (enum role)role, NEWSROOM_UNPUBLISH), published);
            CHECK_INT(store_newsroom_may(&art, 8, (enum role)role, NEWSROOM_TO_DRAFT),
                      review || s == ARTICLE_SCHEDULED || s == ARTICLE_UNPUBLISHED);
            CHECK_INT(store_newsroom_may(&art, 8, (enum role)role, NEWSROOM_DELETE),
                      draft || review || s == ARTICLE_UNPUBLISHED);
            CHECK_INT(store_newsroom_may(&art, 8, (enum role)role, NEWSROOM_KILL),
                      published || s == ARTICLE_SCHEDULED || s == ARTICLE_UNPUBLISHED);
        }
        /* killed (issue 13): nothing more, for anyone, its writer included */
        art.killed_at = 1400000000;
        for (int act = NEWSROOM_EDIT; act <= NEWSROOM_KILL; act++)
            for (int role = ROLE_READER; role <= ROLE_ADMIN; role++) {
                CHECK_INT(store_newsroom_may(&art, 7, (enum role)role, (enum newsroom_action)act),
                          0);
                CHECK_INT(store_newsroom_may(&art, 8, (enum role)role, (enum newsroom_action)act),
                          0);
            }
        art.killed_at = 0;
    }
    art.created_by = 0; /* an imported article: nobody's own */
    art.state = ARTICLE_DRAFT;
    CHECK_INT(store_newsroom_may(&art, 0, ROLE_WRITER, NEWSROOM_EDIT), 0);
}

static void test_transitions(void)
{
    struct store *st = fresh();
    if (!st)
        return;
    struct arena *a = arena_new(0);
    char err[256] = "";
    struct newsroom_article_input in = input("Moving", "x");
    int64_t id = 0;
    CHECK_INT(store_newsroom_create(st, &in, writer, 1700000000, &id, err, sizeof err), STORE_OK);
    struct newsroom_conflict conflict;
    struct newsroom_article art;
    struct article reader_view;
    /* draft → review */
    CHECK_INT(store_newsroom_submit(st, id, 1, writer, 1700000010, &conflict), STORE_OK);
    CHECK_INT(store_newsroom_submit(st, id, 2, writer, 1700000010, &conflict), STORE_CONFLICT);
    CHECK_INT(store_newsroom_article(st, a, id, &art), STORE_OK);
    CHECK_INT((int)art.state, ARTICLE_REVIEW);
    CHECK_INT((int)art.version, 2);
    /* review → published, visible to readers */
    CHECK_INT(store_newsroom_publish(st, id, 1, editor, 1700000020, &conflict), STORE_CONFLICT);
    CHECK_INT((int)conflict.version, 2);
    CHECK_STR(conflict.updated_by_name, "Wanda Writer");
    CHECK_INT(store_newsroom_publish(st, id, 2, editor, 1700000020, &conflict), STORE_OK);
    CHECK_INT(store_article_by_slug(st, a, "moving", &reader_view), STORE_OK);
    CHECK_INT((int)reader_view.published_at, 1700000020);
    /* a published article is never deleted */
    CHECK_INT(store_newsroom_delete(st, id, 3, editor, 1700000030, &conflict), STORE_CONFLICT);
    /* its slug change leaves a redirect, and moving back drops it */
    CHECK_INT(store_newsroom_article(st, a, id, &art), STORE_OK);
    in = input("Moving", "x");
    in.slug = "moved";
    CHECK_INT(store_newsroom_save(st, id, 3, &in, editor, 1700000040, &conflict, err, sizeof err),
              STORE_OK);
    char out[128];
    char want[64];
    snprintf(want, sizeof want, "/articles/moving|%lld", (long long)id);
    CHECK_STR(tdb_text(&db, "SELECT path || '|' || article_id FROM redirects", out, sizeof out),
              want);
    CHECK_INT(store_article_by_slug(st, a, "moved", &reader_view), STORE_OK); /* live at once */
    in.slug = "moving";
    CHECK_INT(store_newsroom_save(st, id, 4, &in, editor, 1700000050, &conflict, err, sizeof err),
              STORE_OK);
    snprintf(want, sizeof want, "/articles/moved|%lld", (long long)id);
    CHECK_STR(tdb_text(&db, "SELECT path || '|' || article_id FROM redirects", out, sizeof out),
              want);
    /* published → unpublished → draft */
    CHECK_INT(store_newsroom_unpublish(st, id, 5, editor, 1700000060, &conflict), STORE_OK);
    CHECK_INT(store_article_by_slug(st, a, "moving", &reader_view), STORE_NOT_FOUND);
    CHECK_INT(store_newsroom_to_draft(st, id, 6, editor, 1700000070, &conflict), STORE_OK);
    CHECK_INT(store_newsroom_article(st, a, id, &art), STORE_OK);
    CHECK_INT((int)art.state, ARTICLE_DRAFT);
    CHECK_INT((int)art.published_at, 1700000020); /* it keeps the date it was first out */
    /* scheduling: only into the future */
    CHECK_INT(store_newsroom_schedule(st, id, 7, editor, 1700000080, 1700000080, &conflict),
              STORE_INVALID);
    CHECK_INT(store_newsroom_schedule(st, id, 7, editor, 1700000080, 1700000500, &conflict),
              STORE_OK);
    CHECK_INT(store_newsroom_article(st, a, id, &art), STORE_OK);
    CHECK_INT((int)art.state, ARTICLE_SCHEDULED);
    CHECK_INT((int)art.published_at, 1700000500);
    CHECK_INT(store_article_by_slug(st, a, "moving", &reader_view), STORE_NOT_FOUND);
    /* scheduled → draft forgets the time; then deleted */
    CHECK_INT(store_newsroom_delete(st, id, 8, editor, 1700000090, &conflict), STORE_CONFLICT);
    CHECK_INT(store_newsroom_to_draft(st, id, 8, editor, 1700000090, &conflict), STORE_OK);
    CHECK_INT(store_newsroom_article(st, a, id, &art), STORE_OK);
    CHECK_INT((int)art.published_at, 0);
    CHECK_INT(store_newsroom_delete(st, id, 9, editor, 1700000100, &conflict), STORE_OK);
    CHECK_INT(store_newsroom_article(st, a, id, &art), STORE_NOT_FOUND);
    /* every change has a revision (until the delete) and an audit entry, which outlives it */
    CHECK_INT((int)count("SELECT count(*) FROM article_revisions"), 0);
    snprintf(out, sizeof out, "%lld", (long long)id);
    CHECK_INT((int)count("SELECT count(*) FROM audit_log WHERE action IN ('article.create', "
                         "'article.submit', 'article.publish', 'article.save', "
                         "'article.unpublish', 'article.draft', 'article.schedule', "
                         "'article.delete')"),
              10);
    CHECK_INT(store_newsroom_submit(st, id, 10, writer, 1700000110, &conflict), STORE_NOT_FOUND);
    arena_free(a);
    done(st);
}

static void test_publish_due(void)
{
    struct store *st = fresh();
    if (!st)
        return;
    struct arena *a = arena_new(0);
    char err[256] = "";
    int64_t ids[2];
    for (int i = 0; i < 2; i++) {
        struct newsroom_article_input in = input(i ? "Later" : "Sooner", "x");
        CHECK_INT(store_newsroom_create(st, &in, writer, 1700000000, &ids[i], err, sizeof err),
                  STORE_OK);
        CHECK_INT(
            store_newsroom_schedule(st, ids[i], 1, editor, 1700000000, 1700000100 + i * 100, NULL),
            STORE_OK);
    }
    int n = -1;
    CHECK_INT(store_articles_publish_due(st, 1700000099, &n), STORE_OK);
    CHECK_INT(n, 0);
    long long seq = count("SELECT value FROM meta WHERE key = 'change_seq'");
    CHECK_INT(store_articles_publish_due(st, 1700000100, &n), STORE_OK);
    CHECK_INT(n, 1);
    CHECK(count("SELECT value FROM meta WHERE key = 'change_seq'") > seq); /* pages follow */
    struct article reader_view;
    CHECK_INT(store_article_by_slug(st, a, "sooner", &reader_view), STORE_OK);
    CHECK_INT((int)reader_view.published_at, 1700000100);
    CHECK_INT(store_article_by_slug(st, a, "later", &reader_view), STORE_NOT_FOUND);
    /* again: nothing more (idempotent) */
    CHECK_INT(store_articles_publish_due(st, 1700000150, &n), STORE_OK);
    CHECK_INT(n, 0);
    /* a restart long after: the next call catches up */
    CHECK_INT(store_articles_publish_due(st, 1800000000, &n), STORE_OK);
    CHECK_INT(n, 1);
    CHECK_INT(store_article_by_slug(st, a, "later", &reader_view), STORE_OK);
    CHECK_INT((int)reader_view.published_at, 1700000200); /* its time, though published late */
    CHECK_INT((int)reader_view.updated_at, 1700000200);   /* … and not "updated" since */
    char out[128];
    CHECK_STR(tdb_text(&db,
                       "SELECT count(*) || '|' || min(user_name) FROM audit_log WHERE action = "
                       "'article.publish'",
                       out, sizeof out),
              "2|Ed Itor");
    CHECK_INT((int)count("SELECT count(*) FROM article_revisions WHERE state = 'published'"), 2);
    arena_free(a);
    done(st);
}

static void test_list(void)
{
    struct store *st = fresh();
    if (!st)
        return;
    struct arena *a = arena_new(0);
    char err[256] = "";
    struct section business = {.slug = "business", .name = "Business", .position = 2};
    CHECK_INT(store_section_save(st, &business, err, sizeof err), STORE_OK);
    /* 25 articles: writer's 0…14 (drafts, 10…14 in review), other's 15…24 (published) */
    for (int i = 0; i < 25; i++) {
        char headline[64];
        snprintf(headline, sizeof headline, "%s story %02d", i % 2 ? "Odd" : "Even", i);
        struct newsroom_article_input in = input(headline, "x");
        in.section_id = i % 5 == 0 ? 2 : 1;
        int64_t id;
        CHECK_INT(store_newsroom_create(st, &in, i < 15 ? writer : other_writer, 1700000000 + i,
                                        &id, err, sizeof err),
                  STORE_OK);
        if (i >= 10 && i < 15)
            CHECK_INT(store_newsroom_submit(st, id, 1, writer, 1700000000 + i, NULL), STORE_OK);
        if (i >= 15)
            CHECK_INT(store_newsroom_publish(st, id, 1, editor, 1700001000 - i, NULL), STORE_OK);
    }
    struct newsroom_query q = {.state = -1, .limit = 10};
    struct newsroom_article *list;
    size_t n;
    int more, keyset;
    /* every article, last changed first, keyset paging */
    int seen = 0;
    int64_t last_key = INT64_MAX;
    for (int page = 0; page < 5; page++) {
        CHECK_INT(store_newsroom_articles(st, a, &q, &list, &n, &more, &keyset), STORE_OK);
        CHECK_INT(keyset, 1);
        for (size_t i = 0; i < n; i++) {
            CHECK(list[i].updated_at <= last_key);
            last_key = list[i].updated_at;
            CHECK_STR(list[i].body_markdown, "");
        }
        seen += (int)n;
        if (!more)
            break;
        q.after_key = list[n - 1].updated_at;
        q.after_id = list[n - 1].id;
    }
    CHECK_INT(seen, 25);
    /* by state */
    q = (struct newsroom_query){.state = ARTICLE_REVIEW, .limit = 50};
    CHECK_INT(store_newsroom_articles(st, a, &q, &list, &n, &more, &keyset), STORE_OK);
    CHECK_INT((int)n, 5);
    CHECK_INT((int)list[0].state, ARTICLE_REVIEW);
    q.state = ARTICLE_DRAFT;
    q.section_id = 2;
    CHECK_INT(store_newsroom_articles(st, a, &q, &list, &n, &more, &keyset), STORE_OK);
    CHECK_INT((int)n, 2); /* 0 and 5 */
    /* by author, with words (case-insensitive, wildcards literal) */
    q = (struct newsroom_query){
        .state = -1, .created_by = other_writer, .words = "ODD", .limit = 50};
    CHECK_INT(store_newsroom_articles(st, a, &q, &list, &n, &more, &keyset), STORE_OK);
    CHECK_INT((int)n, 5); /* 15 17 19 21 23 */
    CHECK_STR(list[0].created_by_name, "o@example.com");
    q.words = "%";
    CHECK_INT(store_newsroom_articles(st, a, &q, &list, &n, &more, &keyset), STORE_OK);
    CHECK_INT((int)n, 0);
    /* published, by publication time (keyset over articles_latest) */
    q = (struct newsroom_query){
        .state = ARTICLE_PUBLISHED, .sort = NEWSROOM_SORT_PUBLISHED, .limit = 4};
    CHECK_INT(store_newsroom_articles(st, a, &q, &list, &n, &more, &keyset), STORE_OK);
    CHECK_INT(keyset, 1);
    CHECK_INT((int)n, 4);
    CHECK(more);
    CHECK_STR(list[0].headline, "Odd story 15"); /* published at 1700001000 - 15: the latest */
    /* by headline: offset paging, capped */
    q = (struct newsroom_query){.state = -1, .sort = NEWSROOM_SORT_HEADLINE, .limit = 3};
    CHECK_INT(store_newsroom_articles(st, a, &q, &list, &n, &more, &keyset), STORE_OK);
    CHECK_INT(keyset, 0);
    CHECK_STR(list[0].headline, "Even story 00");
    CHECK_STR(list[2].headline, "Even story 04");
    q.offset = 24;
    CHECK_INT(store_newsroom_articles(st, a, &q, &list, &n, &more, &keyset), STORE_OK);
    CHECK_INT((int)n, 1);
    CHECK(!more);
    CHECK_STR(list[0].headline, "Odd story 23");
    q.offset = NEWSROOM_OFFSET_MAX + 1;
    CHECK_INT(store_newsroom_articles(st, a, &q, &list, &n, &more, &keyset), STORE_INVALID);
    /* the counters */
    int64_t mine = -1, waiting = -1;
    CHECK_INT(store_newsroom_counts(st, writer, &mine, &waiting), STORE_OK);
    CHECK_INT((int)mine, 10);
    CHECK_INT((int)waiting, 5);
    CHECK_INT(store_newsroom_counts(st, other_writer, &mine, &waiting), STORE_OK);
    CHECK_INT((int)mine, 0);
    /* the authors to choose from */
    struct author_choice *choices;
    CHECK_INT(store_newsroom_author_choices(st, a, &choices, &n), STORE_OK);
    CHECK_INT((int)n, 2);
    CHECK_STR(choices[0].name, "Ann");
    arena_free(a);
    done(st);
}

static void test_autosave(void)
{
    struct store *st = fresh();
    if (!st)
        return;
    struct arena *a = arena_new(0);
    char err[256] = "";
    struct newsroom_article_input in = input("Auto", "x");
    int64_t id = 0;
    CHECK_INT(store_newsroom_create(st, &in, writer, 1700000000, &id, err, sizeof err), STORE_OK);
    struct autosave as;
    CHECK_INT(store_autosave_get(st, a, id, writer, &as), STORE_NOT_FOUND);
    CHECK_INT(store_autosave_put(st, id, writer, 1, 1700000010, "{\"headline\":\"A\"}"), STORE_OK);
    CHECK_INT(store_autosave_put(st, id, writer, 1, 1700000020, "{\"headline\":\"B\"}"), STORE_OK);
    CHECK_INT(store_autosave_put(st, id, editor, 1, 1700000030, "{\"headline\":\"E\"}"), STORE_OK);
    CHECK_INT(store_autosave_get(st, a, id, writer, &as), STORE_OK);
    CHECK_STR(as.fields, "{\"headline\":\"B\"}");
    CHECK_INT((int)as.saved_at, 1700000020);
    CHECK_INT((int)as.base_version, 1);
    /* the article is untouched */
    struct newsroom_article art;
    CHECK_INT(store_newsroom_article(st, a, id, &art), STORE_OK);
    CHECK_STR(art.headline, "Auto");
    CHECK_INT((int)art.version, 1);
    CHECK_INT(store_autosave_delete(st, id, writer), STORE_OK);
    CHECK_INT(store_autosave_delete(st, id, writer), STORE_OK);
    CHECK_INT(store_autosave_get(st, a, id, writer, &as), STORE_NOT_FOUND);
    CHECK_INT(store_autosave_get(st, a, id, editor, &as), STORE_OK);
    arena_free(a);
    done(st);
}

/* A tag renamed in the newsroom keeps its slug; the editor shows it by its new name, and the
 * article's next save keeps that tag rather than making a new one from the new name. */
static void test_renamed_tag(void)
{
    struct store *st = fresh();
    if (!st)
        return;
    struct arena *a = arena_new(0);
    char err[256] = "";
    struct newsroom_article_input in = input("Tagged", "One.");
    in.tags = "Politics, Senate";
    int64_t id = 0;
    CHECK_INT(store_newsroom_create(st, &in, writer, 1700000000, &id, err, sizeof err), STORE_OK);
    int64_t politics = count("SELECT id FROM tags WHERE slug = 'politics'");
    CHECK(politics > 0);
    CHECK_INT(store_tag_save(st, politics, "US politics", "politics", editor, NULL), STORE_OK);
    struct newsroom_article art;
    CHECK_INT(store_newsroom_article(st, a, id, &art), STORE_OK);
    CHECK_STR(art.tags, "US politics, Senate");
    in.tags = art.tags;
    struct newsroom_conflict conflict;
    CHECK_INT(store_newsroom_save(st, id, 1, &in, writer, 1700000100, &conflict, err, sizeof err),
              STORE_OK);
    CHECK_INT(store_newsroom_article(st, a, id, &art), STORE_OK);
    CHECK_STR(art.tags, "US politics, Senate");
    CHECK_INT((int)art.tag_count, 2);
    CHECK(art.tag_ids[0] == politics);
    CHECK_INT((int)count("SELECT count(*) FROM tags"), 2);
    /* A new article typing the new name gets a tag of its own slug ("us-politics"): the name
     * is matched on the article's own tags only. */
    arena_free(a);
    done(st);
}

void suite_newsroom_articles(void)
{
    RUN(test_slugify);
    RUN(test_may);
    RUN(test_create);
    RUN(test_save);
    RUN(test_renamed_tag);
    RUN(test_transitions);
    RUN(test_publish_due);
    RUN(test_list);
    RUN(test_autosave);
}
