/*
 * test_newsroom_people.c: authors and tags in the store (store_people.c) and their fields'
 * checks (people.c): saving with a made or typed slug, a taken slug or account refused with
 * nothing changed, every change audited in its transaction, deletions refused while an article
 * of any state names them (with the count), the newsroom's keyset pages by slug; readers'
 * lists of an author's and a tag's published articles in keyset pages with their cursors, and
 * an article's authors and tags in order (none for a draft).
 *
 * Runs on SQLite, and on PostgreSQL when BROADSHEET_TEST_STORE_PG names a server.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "people.h"
#include "slug.h"
#include "store.h"
#include "test_support.h"

static struct tmpdb db;

/* A publication, a section and n published articles "a0".."a{n-1}" (ids 1..n, a{i} published
 * at 1700000000 + i * 10, so the newest has the highest id), and a draft "draft" (id n + 1). */
static struct store *seeded(int n)
{
    struct store *st = open_store(&db);
    if (!st)
        return NULL;
    struct publication p = {.slug = "nj", .name = "National Journal", .is_host = 1};
    struct section s = {.slug = "world", .name = "World", .position = 1};
    char err[256] = "";
    CHECK_INT(store_publication_save(st, &p, err, sizeof err), STORE_OK);
    CHECK_INT(store_section_save(st, &s, err, sizeof err), STORE_OK);
    for (int i = 0; i < n; i++) {
        char slug[16];
        snprintf(slug, sizeof slug, "a%d", i);
        struct article_input in = {.slug = slug,
                                   .headline = slug,
                                   .publication_slug = "nj",
                                   .section_slug = "world",
                                   .body_markdown = "Body.",
                                   .body_html = "<p>Body.</p>",
                                   .published_at = 1700000000 + i * 10,
                                   .access = ACCESS_FREE};
        CHECK_INT(store_articles_save(st, &in, 1, err, sizeof err), STORE_OK);
    }
    CHECK_INT(tdb_exec(&db, "INSERT INTO articles (slug, publication_id, section_id, "
                            "published_at, updated_at, headline, body_markdown, body_html, state) "
                            "VALUES ('draft', 1, 1, 1900000000, 1, 'Draft', 'x', '<p>x</p>', "
                            "'draft')"),
              0);
    return st;
}

/* The slug rule authors and tags are held to. */
static int slug_valid_person(const char *s)
{
    return slug_valid(s, PEOPLE_SLUG_MAX);
}

static void test_checks(void)
{
    struct arena *a = arena_new(0);
    char slug[PEOPLE_SLUG_MAX + 1];
    slug_make("Jane Q. Doe", slug, sizeof slug);
    CHECK_STR(slug, "jane-q-doe");
    slug_make("  Ünïcode -- Name!  ", slug, sizeof slug);
    CHECK_STR(slug, "unicode-name");
    slug_make("***", slug, sizeof slug);
    CHECK_STR(slug, "");
    char long_name[100];
    memset(long_name, 'a', 79);
    strcpy(long_name + 79, " b"); /* no room for "-b" after 79 letters: cut before the '-' */
    slug_make(long_name, slug, sizeof slug);
    CHECK_INT((int)strlen(slug), PEOPLE_SLUG_MAX - 1);
    long_name[79] = 'a';
    slug_make(long_name, slug, sizeof slug);
    CHECK_INT((int)strlen(slug), PEOPLE_SLUG_MAX);
    CHECK(slug_valid_person("jane-doe"));
    CHECK(!slug_valid_person("Jane"));
    CHECK(!slug_valid_person("jane--doe"));
    CHECK(!slug_valid_person("-jane"));
    CHECK(!slug_valid_person(""));
    CHECK(people_name_problem("Jane") == NULL);
    CHECK(people_name_problem("") != NULL);
    CHECK(people_name_problem("Tab\there") != NULL);
    CHECK(people_name_problem("Bad\xff") != NULL);
    CHECK(people_name_problem("Next\xc2\x85line") != NULL); /* a C1 control, U+0085 */
    CHECK(people_bio_problem("Fine *bio*") == NULL);
    CHECK(people_bio_problem("Bad\xff") != NULL);
    const char *clean = NULL;
    CHECK(people_links_check(a, " https://a.example/x \r\n\n http://b.example ", &clean) == NULL);
    CHECK_STR(clean, "https://a.example/x\nhttp://b.example");
    CHECK(people_links_check(a, "", &clean) == NULL);
    CHECK_STR(clean, "");
    const char *bad[] = {"javascript:alert(1)",
                         "ftp://x.example",
                         "https://",
                         "https:///path",
                         "https://a b.example",
                         "HTTPS://@evil",
                         "https://ok.example/\xc3\xa9",
                         "mailto:a@b.example"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *problem = people_links_check(a, bad[i], &clean);
        CHECK(problem != NULL);
        if (problem)
            CHECK(strstr(problem, "Line 1") != NULL);
    }
    const char *problem = people_links_check(a, "https://ok.example\n\njavascript:x", &clean);
    CHECK(problem && strstr(problem, "Line 3"));
    CHECK(people_links_check(a,
                             "https://1.example\nhttps://2.example\nhttps://3.example\n"
                             "https://4.example\nhttps://5.example\nhttps://6.example\n"
                             "https://7.example\nhttps://8.example\nhttps://9.example\n"
                             "https://10.example\nhttps://11.example",
                             &clean) != NULL);
    arena_free(a);
}

static void test_authors(void)
{
    struct store *st = seeded(2);
    if (!st)
        return;
    struct arena *a = arena_new(0);
    int64_t uid = 0, reader_id = 0;
    CHECK_INT(store_user_create(st, "ed@example.com", "Ed Itor", "", ROLE_EDITOR, &uid), STORE_OK);
    CHECK_INT(store_user_create(st, "w@example.com", "W", "", ROLE_WRITER, &reader_id), STORE_OK);
    struct author_input in = {.slug = "jane-doe",
                              .name = "Jane Doe",
                              .bio = "*Hi*",
                              .bio_html = "<p><em>Hi</em></p>\n",
                              .links = "https://a.example",
                              .user_id = reader_id};
    int64_t id = 0;
    const char *taken = "unset";
    CHECK_INT(store_author_save(st, 0, &in, uid, &id, &taken), STORE_OK);
    CHECK(id > 0);
    CHECK(taken == NULL);
    struct author au;
    CHECK_INT(store_author_by_slug(st, a, "jane-doe", &au), STORE_OK);
    CHECK_INT((int)au.id, (int)id);
    CHECK_STR(au.name, "Jane Doe");
    CHECK_STR(au.bio_html, "<p><em>Hi</em></p>\n");
    CHECK_STR(au.links, "https://a.example");
    CHECK_INT((int)au.user_id, (int)reader_id);
    CHECK_STR(au.user_email, "w@example.com");
    CHECK_INT(store_author_by_id(st, a, id, &au), STORE_OK);
    CHECK_STR(au.slug, "jane-doe");
    CHECK_INT(store_author_by_slug(st, a, "nobody", &au), STORE_NOT_FOUND);
    char out[256];
    CHECK_STR(tdb_text(&db,
                       "SELECT user_name || '|' || action || '|' || subject || '|' || detail "
                       "FROM audit_log",
                       out, sizeof out),
              "Ed Itor|author.create|author jane-doe|Jane Doe");

    /* A taken slug, a taken account: refused, nothing written, not even the audit entry. */
    struct author_input other = {.slug = "jane-doe", .name = "Other"};
    CHECK_INT(store_author_save(st, 0, &other, uid, NULL, &taken), STORE_CONFLICT);
    CHECK_STR(taken, "slug");
    other.slug = "other";
    other.user_id = reader_id;
    CHECK_INT(store_author_save(st, 0, &other, uid, NULL, &taken), STORE_CONFLICT);
    CHECK_STR(taken, "user");
    other.user_id = 999999;
    CHECK_INT(store_author_save(st, 0, &other, uid, NULL, &taken), STORE_NOT_FOUND);
    other.user_id = 0;
    other.slug = "Not A Slug";
    CHECK_INT(store_author_save(st, 0, &other, uid, NULL, &taken), STORE_ERROR);
    CHECK_INT((int)tdb_int(&db, "SELECT count(*) FROM authors"), 1);
    CHECK_INT((int)tdb_int(&db, "SELECT count(*) FROM audit_log"), 1);

    /* An edit: a second author, then renamed onto the first one's slug (refused), then for
     * real; a missing author is STORE_NOT_FOUND. */
    other.slug = "other";
    int64_t id2 = 0;
    CHECK_INT(store_author_save(st, 0, &other, uid, &id2, &taken), STORE_OK);
    struct author_input edit = {.slug = "jane-doe", .name = "Renamed"};
    CHECK_INT(store_author_save(st, id2, &edit, uid, NULL, &taken), STORE_CONFLICT);
    CHECK_STR(taken, "slug");
    edit.slug = "renamed";
    CHECK_INT(store_author_save(st, id2, &edit, uid, NULL, &taken), STORE_OK);
    CHECK_INT(store_author_by_id(st, a, id2, &au), STORE_OK);
    CHECK_STR(au.slug, "renamed");
    CHECK_INT(store_author_save(st, 999999, &edit, uid, NULL, &taken), STORE_NOT_FOUND);
    CHECK_INT((int)tdb_int(&db, "SELECT count(*) FROM audit_log WHERE action = 'author.edit'"), 1);
    /* The rename noted the author's cache tag. */
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM changes WHERE tag = 'author:%lld'",
             (long long)id2);
    CHECK_INT((int)tdb_int(&db, sql), 1);

    /* The newsroom's list, by slug, in keyset pages. */
    struct author *list;
    size_t n;
    int more;
    CHECK_INT(store_authors(st, a, NULL, 1, &list, &n, &more), STORE_OK);
    CHECK_INT((int)n, 1);
    CHECK(more);
    CHECK_STR(list[0].slug, "jane-doe");
    CHECK_INT(store_authors(st, a, list[0].slug, 1, &list, &n, &more), STORE_OK);
    CHECK_INT((int)n, 1);
    CHECK(!more);
    CHECK_STR(list[0].slug, "renamed");
    CHECK_INT(store_authors(st, a, "renamed", 10, &list, &n, &more), STORE_OK);
    CHECK_INT((int)n, 0);
    CHECK(list == NULL);

    /* Deletion: refused while an article names the author (a draft counts), with the count. */
    snprintf(sql, sizeof sql,
             "INSERT INTO article_authors (article_id, author_id) VALUES (1, %lld), (3, %lld)",
             (long long)id, (long long)id);
    CHECK_INT(tdb_exec(&db, sql), 0);
    int64_t uses = -1;
    CHECK_INT(store_author_delete(st, id, uid, &uses), STORE_CONFLICT);
    CHECK_INT((int)uses, 2);
    CHECK_INT((int)tdb_int(&db, "SELECT count(*) FROM authors"), 2);
    CHECK_INT(store_author_delete(st, id2, uid, &uses), STORE_OK);
    CHECK_INT((int)uses, 0);
    CHECK_INT(store_author_delete(st, id2, uid, &uses), STORE_NOT_FOUND);
    CHECK_STR(tdb_text(&db,
                       "SELECT subject || '|' || detail FROM audit_log WHERE action = "
                       "'author.delete'",
                       out, sizeof out),
              "author renamed|Renamed");
    arena_free(a);
    store_close(st);
}

static void test_tags(void)
{
    struct store *st = seeded(1);
    if (!st)
        return;
    struct arena *a = arena_new(0);
    int64_t id = 0, id2 = 0;
    CHECK_INT(store_tag_save(st, 0, "Energy", "energy", 0, &id), STORE_OK);
    CHECK_INT(store_tag_save(st, 0, "Energy!", "energy", 0, &id2), STORE_CONFLICT);
    CHECK_INT(store_tag_save(st, 0, "", "x", 0, &id2), STORE_ERROR);
    CHECK_INT(store_tag_save(st, 0, "Oil", "oil", 0, &id2), STORE_OK);
    CHECK_INT(store_tag_save(st, id2, "Oil and Gas", "energy", 0, NULL), STORE_CONFLICT);
    CHECK_INT(store_tag_save(st, id2, "Oil and Gas", "oil-and-gas", 0, NULL), STORE_OK);
    CHECK_INT(store_tag_save(st, 999999, "X", "x", 0, NULL), STORE_NOT_FOUND);
    struct tag t;
    CHECK_INT(store_tag_by_slug(st, a, "oil-and-gas", &t), STORE_OK);
    CHECK_STR(t.name, "Oil and Gas");
    CHECK_INT(store_tag_by_id(st, a, id, &t), STORE_OK);
    CHECK_STR(t.slug, "energy");
    char out[256];
    CHECK_STR(tdb_text(&db,
                       "SELECT user_name || '|' || subject || '|' || detail FROM audit_log "
                       "WHERE action = 'tag.edit'",
                       out, sizeof out),
              "broadsheet (command line)|tag oil-and-gas|Oil \xE2\x86\x92 Oil and Gas");
    struct tag *list;
    size_t n;
    int more;
    CHECK_INT(store_tags(st, a, "", 10, &list, &n, &more), STORE_OK);
    CHECK_INT((int)n, 2);
    CHECK(!more);
    CHECK_STR(list[0].slug, "energy");
    CHECK_STR(list[1].slug, "oil-and-gas");
    char sql[128];
    snprintf(sql, sizeof sql, "INSERT INTO article_tags (article_id, tag_id) VALUES (1, %lld)",
             (long long)id);
    CHECK_INT(tdb_exec(&db, sql), 0);
    int64_t uses = -1;
    CHECK_INT(store_tag_delete(st, id, 0, &uses), STORE_CONFLICT);
    CHECK_INT((int)uses, 1);
    CHECK_INT(store_tag_delete(st, id2, 0, &uses), STORE_OK);
    CHECK_INT((int)tdb_int(&db, "SELECT count(*) FROM tags"), 1);
    CHECK_INT((int)tdb_int(&db, "SELECT count(*) FROM audit_log WHERE action LIKE 'tag.%'"), 4);
    arena_free(a);
    store_close(st);
}

/* Links author (or tag) key to every published article a0..a{n-1} and to the draft. */
static void link_all(const char *table, const char *column, int64_t key, int n)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO %s (article_id, %s, position) SELECT id, %lld, 0 FROM articles "
             "WHERE id <= %d",
             table, column, (long long)key, n + 1);
    CHECK_INT(tdb_exec(&db, sql), 0);
}

static void test_reader_lists(void)
{
    const int n = 25;
    struct store *st = seeded(n);
    if (!st)
        return;
    struct arena *a = arena_new(0);
    struct author_input in = {.slug = "prolific", .name = "Prolific"};
    int64_t author = 0, tag = 0, lonely = 0;
    CHECK_INT(store_author_save(st, 0, &in, 0, &author, NULL), STORE_OK);
    in.slug = "lonely";
    CHECK_INT(store_author_save(st, 0, &in, 0, &lonely, NULL), STORE_OK);
    CHECK_INT(store_tag_save(st, 0, "Topic", "topic", 0, &tag), STORE_OK);
    link_all("article_authors", "author_id", author, n);
    link_all("article_tags", "tag_id", tag, n);
    for (int kind = 0; kind < 2; kind++) {
        struct article *list;
        size_t got;
        int more;
        int64_t key = kind ? tag : author;
        int (*page)(struct store *, struct arena *, int64_t, const struct article_cursor *, int,
                    struct article **, size_t *, int *) =
            kind ? store_tag_articles : store_author_articles;
        int (*cursor_of)(struct store *, int64_t, int64_t, struct article_cursor *) =
            kind ? store_tag_article_cursor : store_author_article_cursor;
        CHECK_INT(page(st, a, key, NULL, 20, &list, &got, &more), STORE_OK);
        CHECK_INT((int)got, 20);
        CHECK(more);
        /* newest first, and never the draft (id n + 1, the newest of all) */
        CHECK_INT((int)list[0].id, n);
        CHECK_INT((int)list[19].id, n - 19);
        CHECK_STR(list[0].body_html, "");
        struct article_cursor c;
        CHECK_INT(cursor_of(st, key, list[19].id, &c), STORE_OK);
        CHECK_INT((int)c.id, n - 19);
        CHECK_INT((int)c.published_at, 1700000000 + (n - 20) * 10);
        CHECK_INT(cursor_of(st, key, n + 1, &c), STORE_NOT_FOUND); /* the draft */
        CHECK_INT(cursor_of(st, kind ? 999 : lonely, 1, &c), STORE_NOT_FOUND);
        CHECK_INT(cursor_of(st, key, list[19].id, &c), STORE_OK);
        CHECK_INT(page(st, a, key, &c, 20, &list, &got, &more), STORE_OK);
        CHECK_INT((int)got, 5);
        CHECK(!more);
        CHECK_INT((int)list[0].id, 5);
        CHECK_INT((int)list[4].id, 1);
        CHECK_INT(cursor_of(st, key, 1, &c), STORE_OK);
        CHECK_INT(page(st, a, key, &c, 20, &list, &got, &more), STORE_OK);
        CHECK_INT((int)got, 0);
        CHECK(list == NULL);
    }
    struct article *list;
    size_t got;
    int more;
    CHECK_INT(store_author_articles(st, a, lonely, NULL, 20, &list, &got, &more), STORE_OK);
    CHECK_INT((int)got, 0);
    arena_free(a);
    store_close(st);
}

/* An author and a tag on 3,100 articles (every tenth a draft): past WALK_FROM, so their lists
 * walk the newest articles instead of sorting their own; the pages are the same. */
static void test_reader_lists_walk(void)
{
    struct store *st = seeded(0);
    if (!st)
        return;
    struct arena *a = arena_new(0);
    CHECK_INT(tdb_exec(&db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                            "WHERE i < 3100) INSERT INTO articles (slug, publication_id, "
                            "section_id, published_at, updated_at, headline, body_markdown, "
                            "body_html, state) SELECT 'w' || i, 1, 1, 1600000000 + (i % 50) * 100, "
                            "1, 'W', 'x', 'x', CASE WHEN i % 10 = 0 THEN 'draft' ELSE "
                            "'published' END FROM n"),
              0);
    CHECK_INT(tdb_exec(&db,
                       "INSERT INTO authors (slug, name, created_at) VALUES ('big', 'Big', 1); "
                       "INSERT INTO tags (slug, name, created_at) VALUES ('big', 'Big', 1); "
                       "INSERT INTO article_authors (article_id, author_id) SELECT a.id, "
                       "au.id FROM articles a, authors au WHERE a.slug LIKE 'w%'; "
                       "INSERT INTO article_tags (article_id, tag_id) SELECT a.id, t.id "
                       "FROM articles a, tags t WHERE a.slug LIKE 'w%'"),
              0);
    /* the expected order: published ones, newest (published_at, id) first */
    int64_t want_first = tdb_int(&db, "SELECT id FROM articles WHERE state = 'published' ORDER BY "
                                      "published_at DESC, id DESC LIMIT 1");
    int64_t want_41st = tdb_int(&db, "SELECT id FROM articles WHERE state = 'published' ORDER BY "
                                     "published_at DESC, id DESC LIMIT 1 OFFSET 40");
    int64_t want_last = tdb_int(&db, "SELECT id FROM articles WHERE state = 'published' ORDER BY "
                                     "published_at, id LIMIT 1");
    struct author au;
    struct tag t;
    CHECK_INT(store_author_by_slug(st, a, "big", &au), STORE_OK);
    CHECK_INT(store_tag_by_slug(st, a, "big", &t), STORE_OK);
    for (int kind = 0; kind < 2; kind++) {
        int64_t key = kind ? t.id : au.id;
        struct article *list;
        size_t got;
        int more;
        struct article_cursor c;
        int rc = kind ? store_tag_articles(st, a, key, NULL, 20, &list, &got, &more)
                      : store_author_articles(st, a, key, NULL, 20, &list, &got, &more);
        CHECK_INT(rc, STORE_OK);
        CHECK_INT((int)got, 20);
        CHECK(more);
        CHECK_INT((int)list[0].id, (int)want_first);
        /* two pages on: the 41st */
        for (int page = 0; page < 2; page++) {
            int64_t last = list[got - 1].id;
            rc = kind ? store_tag_article_cursor(st, key, last, &c)
                      : store_author_article_cursor(st, key, last, &c);
            CHECK_INT(rc, STORE_OK);
            rc = kind ? store_tag_articles(st, a, key, &c, 20, &list, &got, &more)
                      : store_author_articles(st, a, key, &c, 20, &list, &got, &more);
            CHECK_INT(rc, STORE_OK);
        }
        CHECK_INT((int)list[0].id, (int)want_41st);
        /* the whole list in one page: every published one, no draft */
        rc = kind ? store_tag_articles(st, a, key, NULL, 5000, &list, &got, &more)
                  : store_author_articles(st, a, key, NULL, 5000, &list, &got, &more);
        CHECK_INT(rc, STORE_OK);
        CHECK_INT((int)got, 2790);
        CHECK(!more);
        CHECK_INT((int)list[got - 1].id, (int)want_last);
    }
    arena_free(a);
    store_close(st);
}

static void test_article_people(void)
{
    struct store *st = seeded(2);
    if (!st)
        return;
    struct arena *a = arena_new(0);
    CHECK_INT(tdb_exec(&db, "INSERT INTO authors (slug, name, created_at) VALUES ('c', 'Cleo', 1), "
                            "('a', 'Alice', 1), ('b', 'Bob', 1)"),
              0);
    CHECK_INT(tdb_exec(&db, "INSERT INTO tags (slug, name, created_at) VALUES ('z', 'Zeta', 1), "
                            "('y', 'Ypsilon', 1)"),
              0);
    /* article 1: Alice, Bob, Cleo by position; tags Ypsilon, Zeta by position */
    CHECK_INT(tdb_exec(&db, "INSERT INTO article_authors (article_id, author_id, position) "
                            "SELECT 1, id, CASE slug WHEN 'a' THEN 0 WHEN 'b' THEN 1 ELSE 2 END "
                            "FROM authors"),
              0);
    CHECK_INT(tdb_exec(&db, "INSERT INTO article_tags (article_id, tag_id, position) "
                            "SELECT 1, id, CASE slug WHEN 'y' THEN 0 ELSE 1 END FROM tags"),
              0);
    /* the draft (id 3) has an author: readers never get it */
    CHECK_INT(tdb_exec(&db, "INSERT INTO article_authors (article_id, author_id) SELECT 3, id "
                            "FROM authors WHERE slug = 'a'"),
              0);
    struct article_person *authors, *tags;
    size_t na = 9, nt = 9;
    CHECK_INT(store_article_people(st, a, 1, 0, &authors, &na, &tags, &nt), STORE_OK);
    CHECK_INT((int)na, 3);
    CHECK_INT((int)nt, 2);
    if (na == 3 && nt == 2) {
        CHECK_STR(authors[0].name, "Alice");
        CHECK_STR(authors[1].slug, "b");
        CHECK_STR(authors[2].name, "Cleo");
        CHECK_STR(tags[0].name, "Ypsilon");
        CHECK_STR(tags[1].slug, "z");
    }
    CHECK_INT(store_article_people(st, a, 2, 0, &authors, &na, &tags, &nt), STORE_OK);
    CHECK_INT((int)(na + nt), 0);
    CHECK(authors == NULL && tags == NULL);
    CHECK_INT(store_article_people(st, a, 3, 0, &authors, &na, &tags, &nt), STORE_OK);
    CHECK_INT((int)na, 0);
    /* … but the newsroom's preview of it does */
    CHECK_INT(store_article_people(st, a, 3, 1, &authors, &na, &tags, &nt), STORE_OK);
    CHECK_INT((int)na, 1);
    CHECK_INT((int)nt, 0);
    if (na == 1)
        CHECK_STR(authors[0].name, "Alice");
    CHECK_INT(store_article_people(st, a, 1, 1, &authors, &na, &tags, &nt), STORE_OK);
    CHECK_INT((int)(na * 10 + nt), 32);
    arena_free(a);
    store_close(st);
}

/* Runs a store test on a fresh database of its own. */
#define RUN_FRESH(fn)                                                                              \
    do {                                                                                           \
        if (tmpdb_make(&db, "people") != 0) {                                                      \
            CHECK(!"tmpdb_make");                                                                  \
            break;                                                                                 \
        }                                                                                          \
        RUN(fn);                                                                                   \
        tmpdb_remove(&db);                                                                         \
    } while (0)

void suite_newsroom_people(void)
{
    RUN(test_checks);
    RUN_FRESH(test_authors);
    RUN_FRESH(test_tags);
    RUN_FRESH(test_reader_lists);
    RUN_FRESH(test_reader_lists_walk);
    RUN_FRESH(test_article_people);
}
