/*
 * test_store.c: tests of src/store.c against store.h, each on a fresh database in its own
 * temporary directory: opening and migrating (and refusing a database from a newer binary),
 * saving and reading back every record kind, article lists (order, filters, limit and offset),
 * upserts by slug, all-or-none article batches, the content version seen from a second store on
 * the same file (as the server sees an import run by another process), and several threads
 * reading and writing one store at once.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "check.h"
#include "migrations.h"
#include "store.h"
#include "test_support.h"
#include "util.h"

/* Saves the test newsroom: publications "nj" (host) and "gsn", sections "politics" (1) and
 * "security" (2). */
static void save_newsroom(struct store *st)
{
    char err[256] = "";
    struct publication nj = {.slug = "nj", .name = "National Journal", .is_host = 1};
    struct publication gsn = {.slug = "gsn",
                              .name = "Global Security Newswire",
                              .description = "Daily news on nuclear, biological and chemical "
                                             "weapons.",
                              .producer = "National Journal Group",
                              .partner = "Nuclear Threat Initiative",
                              .partner_short = "NTI",
                              .partner_url = "https://www.nti.org/",
                              .partner_description = "NTI is a nonprofit, nonpartisan group."};
    struct section politics = {.slug = "politics", .name = "Politics", .position = 1};
    struct section security = {.slug = "security", .name = "Security", .position = 2};
    CHECK_INT(store_publication_save(st, &nj, err, sizeof err), STORE_OK);
    CHECK_INT(store_publication_save(st, &gsn, err, sizeof err), STORE_OK);
    CHECK_INT(store_section_save(st, &politics, err, sizeof err), STORE_OK);
    CHECK_INT(store_section_save(st, &security, err, sizeof err), STORE_OK);
}

/* An article input with the given slug, publication, section and time; the rest filled in. */
static struct article_input article(const char *slug, const char *publication, const char *section,
                                    int64_t published_at)
{
    struct article_input in = {.slug = slug,
                               .headline = "A headline",
                               .dek = "A dek",
                               .byline = "A. Reporter",
                               .publication_slug = publication,
                               .section_slug = section,
                               .body_markdown = "Body *text*.",
                               .body_html = "<p>Body <em>text</em>.</p>\n",
                               .published_at = published_at,
                               .access = ACCESS_METERED};
    return in;
}

/* Saves one article, checking it succeeds. */
static void save_one(struct store *st, struct article_input in)
{
    char err[256] = "";
    int rc = store_articles_save(st, &in, 1, err, sizeof err);
    if (rc != STORE_OK)
        fprintf(stderr, "    store_articles_save: %s\n", err);
    CHECK_INT(rc, STORE_OK);
}

static void test_access_names(void)
{
    CHECK_STR(store_access_name(ACCESS_FREE), "free");
    CHECK_STR(store_access_name(ACCESS_METERED), "metered");
    CHECK_STR(store_access_name(ACCESS_SUBSCRIBERS), "subscribers");
    CHECK_INT(store_access_parse("free"), ACCESS_FREE);
    CHECK_INT(store_access_parse("metered"), ACCESS_METERED);
    CHECK_INT(store_access_parse("subscribers"), ACCESS_SUBSCRIBERS);
    CHECK_INT(store_access_parse("Free"), -1);
    CHECK_INT(store_access_parse(""), -1);
    CHECK_INT(store_access_parse(NULL), -1);
}

static void test_open_migrate_reopen(void)
{
    struct tmpdb t;
    char value[64];
    int64_t v1 = -1, v2 = -2;
    CHECK(tmpdb_make(&t, "store") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    CHECK_INT(store_is_empty(st), 1);
    CHECK_INT(store_change_seq(st, &v1), STORE_OK);
    CHECK_INT(v1, 0);
    store_close(st);

    long long want =
        (long long)(tmpdb_is_pg(&t) ? migrations_pgsql_count : migrations_sqlite_count);
    CHECK_INT(tdb_version(&t), want);
    if (!tmpdb_is_pg(&t)) /* SQLite's journal: a property of the file */
        CHECK_STR(tdb_text(&t, "PRAGMA journal_mode", value, sizeof value), "wal");

    /* Opening again applies nothing and keeps the data. */
    st = open_store(&t);
    if (!st)
        goto out;
    CHECK_INT(store_change_seq(st, &v2), STORE_OK);
    CHECK_INT(v2, v1);
    store_close(st);
    CHECK_INT(tdb_version(&t), want);
out:
    tmpdb_remove(&t);
}

static void test_newer_schema_refused(void)
{
    struct tmpdb t;
    char err[256] = "";
    CHECK(tmpdb_make(&t, "store") == 0);
    CHECK_INT(tdb_set_version(&t, 999), 0);
    struct store *st = store_open(t.path, err, sizeof err);
    CHECK(st == NULL);
    CHECK(strstr(err, "newer") != NULL);
    store_close(st);
    tmpdb_remove(&t);
}

static void test_open_failure(void)
{
    char err[256] = "";
    struct store *st = store_open("/nonexistent-dir/broadsheet/test.db", err, sizeof err);
    CHECK(st == NULL);
    CHECK(err[0] != '\0');
}

static void test_save_and_lookup(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    struct publication p;
    struct section s;
    struct article art;
    CHECK(tmpdb_make(&t, "store") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    save_newsroom(st);
    CHECK_INT(store_is_empty(st), 0);

    CHECK_INT(store_publication_by_slug(st, a, "gsn", &p), STORE_OK);
    CHECK(p.id > 0);
    CHECK_STR(p.slug, "gsn");
    CHECK_STR(p.name, "Global Security Newswire");
    CHECK_STR(p.producer, "National Journal Group");
    CHECK_STR(p.partner, "Nuclear Threat Initiative");
    CHECK_STR(p.partner_short, "NTI");
    CHECK_STR(p.partner_url, "https://www.nti.org/");
    CHECK_STR(p.partner_description, "NTI is a nonprofit, nonpartisan group.");
    CHECK_INT(p.is_host, 0);
    CHECK_INT(store_publication_by_slug(st, a, "nj", &p), STORE_OK);
    CHECK_INT(p.is_host, 1);
    CHECK_STR(p.partner, ""); /* unset optional fields read back as "" */

    CHECK_INT(store_section_by_slug(st, a, "security", &s), STORE_OK);
    CHECK_STR(s.name, "Security");
    CHECK_INT(s.position, 2);

    struct publication *pubs;
    struct section *secs;
    size_t n;
    CHECK_INT(store_publications(st, a, &pubs, &n), STORE_OK);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(pubs[0].slug, "nj"); /* the host first */
        CHECK_STR(pubs[1].slug, "gsn");
    }
    CHECK_INT(store_sections(st, a, &secs, &n), STORE_OK);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(secs[0].slug, "politics");
        CHECK_STR(secs[1].slug, "security");
    }

    int64_t before = util_now();
    struct article_input in = article("iran-iraq", "gsn", "security", 1402655400);
    in.headline = "Tehran Could Help U.S. Combat Militants in Iraq";
    in.access = ACCESS_SUBSCRIBERS;
    save_one(st, in);
    CHECK_INT(store_article_by_slug(st, a, "iran-iraq", &art), STORE_OK);
    CHECK(art.id > 0);
    CHECK_STR(art.slug, "iran-iraq");
    CHECK_STR(art.headline, "Tehran Could Help U.S. Combat Militants in Iraq");
    CHECK_STR(art.dek, "A dek");
    CHECK_STR(art.byline, "A. Reporter");
    CHECK_STR(art.body_markdown, "Body *text*.");
    CHECK_STR(art.body_html, "<p>Body <em>text</em>.</p>\n");
    CHECK_INT(art.published_at, 1402655400);
    CHECK(art.updated_at >= before && art.updated_at <= before + 5);
    CHECK_INT(art.access, ACCESS_SUBSCRIBERS);
    CHECK_STR(art.publication.slug, "gsn");
    CHECK_STR(art.publication.partner_short, "NTI");
    CHECK_STR(art.section.slug, "security");
    CHECK_STR(art.section.name, "Security");
    CHECK_INT(art.section.position, 2);
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

static void test_not_found(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    struct publication p;
    struct section s;
    struct article art;
    CHECK(tmpdb_make(&t, "store") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    CHECK_INT(store_publication_by_slug(st, a, "nope", &p), STORE_NOT_FOUND);
    CHECK_INT(store_section_by_slug(st, a, "nope", &s), STORE_NOT_FOUND);
    CHECK_INT(store_article_by_slug(st, a, "nope", &art), STORE_NOT_FOUND);
    struct article *list;
    size_t n = 99;
    struct article_query q = {0};
    CHECK_INT(store_articles_latest(st, a, &q, &list, &n), STORE_OK);
    CHECK_INT(n, 0);
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

static void test_latest(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    struct article *list;
    size_t n;
    struct publication nj, gsn;
    struct section security;
    CHECK(tmpdb_make(&t, "store") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    save_newsroom(st);
    /* e and f share a time: the later id (f) comes first. */
    struct article_input batch[] = {
        article("a", "nj", "politics", 1000), article("b", "gsn", "security", 3000),
        article("c", "nj", "security", 2000), article("d", "gsn", "politics", 5000),
        article("e", "nj", "politics", 4000), article("f", "gsn", "security", 4000),
    };
    char err[256] = "";
    CHECK_INT(store_articles_save(st, batch, 6, err, sizeof err), STORE_OK);
    CHECK_INT(store_publication_by_slug(st, a, "nj", &nj), STORE_OK);
    CHECK_INT(store_publication_by_slug(st, a, "gsn", &gsn), STORE_OK);
    CHECK_INT(store_section_by_slug(st, a, "security", &security), STORE_OK);

    static const struct {
        int by_nj, by_gsn, by_security, limit, offset;
        const char *want;
    } cases[] = {
        {0, 0, 0, 0, 0, "dfebca"}, {0, 0, 0, 2, 0, "df"},  {0, 0, 0, 2, 2, "eb"},
        {0, 0, 0, 10, 5, "a"},     {0, 0, 0, 10, 6, ""},   {1, 0, 0, 0, 0, "eca"},
        {0, 1, 0, 0, 0, "dfb"},    {0, 0, 1, 0, 0, "fbc"}, {0, 1, 1, 0, 0, "fb"},
        {1, 0, 1, 1, 0, "c"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct article_query q = {.publication_id = cases[i].by_nj    ? nj.id
                                                    : cases[i].by_gsn ? gsn.id
                                                                      : 0,
                                  .section_id = cases[i].by_security ? security.id : 0,
                                  .limit = cases[i].limit,
                                  .offset = cases[i].offset};
        char got[16] = "";
        CHECK_INT(store_articles_latest(st, a, &q, &list, &n), STORE_OK);
        for (size_t k = 0; k < n && k < sizeof got - 1; k++)
            got[k] = list[k].slug[0];
        CHECK_STR(got, cases[i].want);
    }

    /* Lists carry the joined records but not the bodies. */
    struct article_query all = {0};
    CHECK_INT(store_articles_latest(st, a, &all, &list, &n), STORE_OK);
    CHECK_INT(n, 6);
    if (n == 6) {
        CHECK_STR(list[0].body_html, "");
        CHECK_STR(list[0].body_markdown, "");
        CHECK_STR(list[0].headline, "A headline");
        CHECK_STR(list[0].publication.name, "Global Security Newswire");
        CHECK_STR(list[0].section.name, "Politics");
        CHECK_INT(list[0].published_at, 5000);
    }
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

/* Keyset pages (store_articles_page) walk every article once, in store_articles_latest's order,
 * across runs of equal times; an article published meanwhile shifts no later page; the count is
 * the whole table. */
static void test_articles_page(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    struct article *list, *page;
    size_t n, got;
    int more;
    int64_t count = -1;
    CHECK(tmpdb_make(&t, "store") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    save_newsroom(st);
    CHECK_INT(store_articles_count(st, &count), STORE_OK);
    CHECK_INT(count, 0);
    CHECK_INT(store_articles_page(st, a, NULL, 10, &page, &got, &more), STORE_OK);
    CHECK(got == 0 && !more);

    /* 25 articles at four times only, so that pages end inside runs of equal times. */
    char slugs[25][16];
    for (int i = 0; i < 25; i++) {
        snprintf(slugs[i], sizeof slugs[i], "s%02d", i);
        save_one(st, article(slugs[i], i % 2 ? "nj" : "gsn", "politics", 1000 * (i % 4)));
    }
    CHECK_INT(store_articles_count(st, &count), STORE_OK);
    CHECK_INT(count, 25);
    struct article_query all = {.limit = 100};
    CHECK_INT(store_articles_latest(st, a, &all, &list, &n), STORE_OK);
    CHECK_INT(n, 25);

    size_t seen = 0, pages = 0;
    struct article_cursor cursor, *after = NULL;
    do {
        CHECK_INT(store_articles_page(st, a, after, 7, &page, &got, &more), STORE_OK);
        pages++;
        CHECK(got == 7 || !more);
        for (size_t k = 0; k < got && seen < n; k++, seen++)
            CHECK_STR(page[k].slug, list[seen].slug);
        if (got) {
            cursor.published_at = page[got - 1].published_at;
            cursor.id = page[got - 1].id;
            after = &cursor;
        }
        CHECK_STR(got ? page[0].body_html : "", "");
        if (pages == 1) /* newer than every cursor from now on: on no later page */
            save_one(st, article("late", "nj", "politics", 9000));
    } while (more && pages < 10);
    CHECK_INT(seen, 25);
    CHECK_INT(pages, 4);
    CHECK_INT(store_articles_count(st, &count), STORE_OK);
    CHECK_INT(count, 26);

    /* The limit is clamped to 1 .. STORE_ARTICLE_PAGE_MAX. */
    CHECK_INT(store_articles_page(st, a, NULL, 0, &page, &got, &more), STORE_OK);
    CHECK(got == 1 && more);
    CHECK_STR(got ? page[0].slug : "", "late");
    CHECK_INT(store_articles_page(st, a, NULL, STORE_ARTICLE_PAGE_MAX + 5, &page, &got, &more),
              STORE_OK);
    CHECK(got == 26 && !more);
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

static void test_upsert_by_slug(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    struct article first, second;
    char err[256] = "";
    CHECK(tmpdb_make(&t, "store") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    save_newsroom(st);
    save_one(st, article("story", "nj", "politics", 1000));
    CHECK_INT(store_article_by_slug(st, a, "story", &first), STORE_OK);

    struct article_input changed = article("story", "gsn", "security", 2000);
    changed.headline = "A corrected headline";
    changed.access = ACCESS_FREE;
    save_one(st, changed);
    CHECK_INT(store_article_by_slug(st, a, "story", &second), STORE_OK);
    CHECK_INT(second.id, first.id);
    CHECK_STR(second.headline, "A corrected headline");
    CHECK_STR(second.publication.slug, "gsn");
    CHECK_STR(second.section.slug, "security");
    CHECK_INT(second.published_at, 2000);
    CHECK_INT(second.access, ACCESS_FREE);

    struct article *list;
    size_t n;
    struct article_query q = {0};
    CHECK_INT(store_articles_latest(st, a, &q, &list, &n), STORE_OK);
    CHECK_INT(n, 1);

    /* Publications and sections update in place too. */
    struct publication p, renamed = {.slug = "nj", .name = "National Journal Daily", .is_host = 1};
    CHECK_INT(store_publication_by_slug(st, a, "nj", &p), STORE_OK);
    int64_t nj_id = p.id;
    CHECK_INT(store_publication_save(st, &renamed, err, sizeof err), STORE_OK);
    CHECK_INT(store_publication_by_slug(st, a, "nj", &p), STORE_OK);
    CHECK_INT(p.id, nj_id);
    CHECK_STR(p.name, "National Journal Daily");
    struct section s, moved = {.slug = "politics", .name = "Politics", .position = 9};
    CHECK_INT(store_section_save(st, &moved, err, sizeof err), STORE_OK);
    CHECK_INT(store_section_by_slug(st, a, "politics", &s), STORE_OK);
    CHECK_INT(s.position, 9);
    struct section *secs;
    CHECK_INT(store_sections(st, a, &secs, &n), STORE_OK);
    CHECK_INT(n, 2);
    if (n == 2)
        CHECK_STR(secs[1].slug, "politics"); /* now ordered after security */
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

static void test_batch_all_or_none(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    struct article art;
    char err[256] = "";
    int64_t before, after;
    CHECK(tmpdb_make(&t, "store") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    save_newsroom(st);
    save_one(st, article("kept", "nj", "politics", 1000));
    CHECK_INT(store_change_seq(st, &before), STORE_OK);

    struct article_input bad_publication[] = {
        article("new-one", "nj", "politics", 2000),
        article("kept", "gsn", "security", 2000), /* would update "kept" */
        article("new-two", "nope", "politics", 2000),
    };
    CHECK_INT(store_articles_save(st, bad_publication, 3, err, sizeof err), STORE_ERROR);
    CHECK_STR(err, "article 2: unknown publication 'nope'");
    CHECK_INT(store_article_by_slug(st, a, "new-one", &art), STORE_NOT_FOUND);
    CHECK_INT(store_article_by_slug(st, a, "kept", &art), STORE_OK);
    CHECK_STR(art.publication.slug, "nj");

    struct article_input bad_section[] = {
        article("new-one", "nj", "politics", 2000),
        article("new-two", "nj", "sports", 2000),
    };
    CHECK_INT(store_articles_save(st, bad_section, 2, err, sizeof err), STORE_ERROR);
    CHECK_STR(err, "article 1: unknown section 'sports'");
    CHECK_INT(store_article_by_slug(st, a, "new-one", &art), STORE_NOT_FOUND);

    struct article_input no_headline[] = {article("x", "nj", "politics", 2000)};
    no_headline[0].headline = "";
    CHECK_INT(store_articles_save(st, no_headline, 1, err, sizeof err), STORE_ERROR);
    CHECK(strncmp(err, "article 0: ", 11) == 0);

    CHECK_INT(store_change_seq(st, &after), STORE_OK);
    CHECK_INT(after, before);

    /* The store still works after the rollbacks. */
    save_one(st, article("later", "nj", "politics", 3000));
    CHECK_INT(store_article_by_slug(st, a, "later", &art), STORE_OK);
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

/* Collects store_changes_since's tags as one "tag@seq tag@seq" string, oldest first. */
static void collect_change(void *ctx, const char *tag, int64_t seq)
{
    char *out = ctx;
    size_t len = strlen(out);
    snprintf(out + len, 1024 - len, "%s%s", len ? " " : "", tag);
    (void)seq;
}

static int compare_words(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts the space-separated words of s in place (the tags of one write share a sequence number,
 * in no particular order). */
static void sort_words(char *s)
{
    char copy[1024], *words[64];
    size_t n = 0;
    snprintf(copy, sizeof copy, "%s", s);
    for (char *w = strtok(copy, " "); w && n < 64; w = strtok(NULL, " "))
        words[n++] = w;
    qsort(words, n, sizeof *words, compare_words);
    s[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(s + strlen(s), 1024 - strlen(s), "%s%s", i ? " " : "", words[i]);
}

/* The tags changed since seq, as "tag tag …" sorted by name. */
static void changes_since(struct store *st, int64_t seq, char out[1024])
{
    out[0] = '\0';
    CHECK(store_changes_since(st, seq, 100, collect_change, out) >= 0);
    sort_words(out);
}

/* Every write records the cache tags it touches, seen by another connection (as by the server
 * while the CLI imports): an article's page and the lists that show it, before and after a
 * move; a section or publication touches "nav". Nothing else. */
static void test_change_log_across_stores(void)
{
    struct tmpdb t;
    int64_t v0 = 0, v1 = 0, v2 = 0, v3 = 0;
    char got[1024];
    CHECK(tmpdb_make(&t, "store") == 0);
    struct store *server = open_store(&t);
    struct store *importer = open_store(&t); /* as another process would */
    if (!server || !importer)
        goto out;
    CHECK_INT(store_change_seq(server, &v0), STORE_OK);
    CHECK_INT(v0, 0);
    save_newsroom(importer);
    CHECK_INT(store_change_seq(server, &v1), STORE_OK);
    CHECK(v1 > v0);
    changes_since(server, v0, got);
    CHECK_STR(got, "nav");
    save_one(importer, article("new", "nj", "politics", 1000));
    CHECK_INT(store_change_seq(server, &v2), STORE_OK);
    CHECK(v2 > v1);
    struct arena *a = arena_new(0);
    struct article art;
    CHECK_INT(store_article_by_slug(server, a, "new", &art), STORE_OK);
    char want[1024];
    snprintf(want, sizeof want, "article:%lld list:all list:section:%lld list:publication:%lld",
             (long long)art.id, (long long)art.section.id, (long long)art.publication.id);
    changes_since(server, v1, got);
    sort_words(want);
    CHECK_STR(got, want);
    int64_t old_section = art.section.id, old_publication = art.publication.id;
    save_one(importer, article("new", "gsn", "security", 2000)); /* an update, and a move */
    CHECK_INT(store_change_seq(server, &v3), STORE_OK);
    CHECK(v3 > v2);
    CHECK_INT(store_article_by_slug(server, a, "new", &art), STORE_OK);
    snprintf(want, sizeof want,
             "article:%lld list:all list:section:%lld list:publication:%lld list:section:%lld "
             "list:publication:%lld",
             (long long)art.id, (long long)art.section.id, (long long)art.publication.id,
             (long long)old_section, (long long)old_publication);
    changes_since(server, v2, got);
    sort_words(want);
    CHECK_STR(got, want);
    changes_since(server, v3, got);
    CHECK_STR(got, "");                                                    /* nothing since */
    CHECK_INT(store_changes_since(server, v0, 2, collect_change, got), 2); /* max is kept */
    arena_free(a);
out:
    store_close(importer);
    store_close(server);
    tmpdb_remove(&t);
}

#define THREADS 4
#define PER_THREAD 25

struct worker {
    struct store *st;
    int index;
    int failures; /* CHECK is not thread-safe: workers count, the test checks */
};

/* Saves PER_THREAD articles one by one, reading lists and the version between writes. */
static void *worker_run(void *arg)
{
    struct worker *w = arg;
    struct arena *a = arena_new(0);
    char slug[32], err[256];
    for (int i = 0; i < PER_THREAD; i++) {
        snprintf(slug, sizeof slug, "t%d-%d", w->index, i);
        struct article_input in =
            article(slug, w->index % 2 ? "nj" : "gsn", "politics", (int64_t)(w->index * 1000 + i));
        if (store_articles_save(w->st, &in, 1, err, sizeof err) != STORE_OK)
            w->failures++;
        struct article art;
        if (store_article_by_slug(w->st, a, slug, &art) != STORE_OK)
            w->failures++;
        struct article *list;
        size_t n;
        struct article_query q = {.limit = 10};
        int64_t version;
        if (store_articles_latest(w->st, a, &q, &list, &n) != STORE_OK || n == 0)
            w->failures++;
        if (store_change_seq(w->st, &version) != STORE_OK)
            w->failures++;
        arena_reset(a);
    }
    store_thread_done(w->st);
    arena_free(a);
    return NULL;
}

static void test_threads(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    pthread_t threads[THREADS];
    struct worker workers[THREADS];
    CHECK(tmpdb_make(&t, "store") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    save_newsroom(st);
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (struct worker){.st = st, .index = i};
        CHECK(pthread_create(&threads[i], NULL, worker_run, &workers[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        CHECK_INT(workers[i].failures, 0);
    }
    struct article *list;
    size_t n;
    struct article_query q = {.limit = 1000};
    CHECK_INT(store_articles_latest(st, a, &q, &list, &n), STORE_OK);
    CHECK_INT(n, THREADS * PER_THREAD);
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

/* A thread that uses the store and exits without store_thread_done: its connection must still
 * be closed (by the key's destructor), which the leak checker would otherwise report. */
static void *forgetful_run(void *arg)
{
    int64_t version;
    store_change_seq(arg, &version);
    return NULL;
}

static void test_thread_exit_without_done(void)
{
    struct tmpdb t;
    pthread_t thread;
    CHECK(tmpdb_make(&t, "store") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    CHECK(pthread_create(&thread, NULL, forgetful_run, st) == 0);
    pthread_join(thread, NULL);
    store_close(st);
out:
    tmpdb_remove(&t);
}

/* store_begin … store_commit keeps every write; store_rollback keeps none; a store function
 * with a transaction of its own (store_token_consume) composes into the caller's, and a nested
 * store_begin is a savepoint that rolls back alone. */
static void test_transactions(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    struct user u;
    char hash[65];
    int64_t id = 0, owner = 0;
    CHECK(tmpdb_make(&t, "tx") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;

    /* Rolled back: the user and its token are gone, and the address is free again. */
    CHECK_INT(store_begin(st), STORE_OK);
    CHECK_INT(store_user_create(st, "a@example.com", "A", "", ROLE_READER, &id), STORE_OK);
    snprintf(hash, sizeof hash, "%064d", 1);
    CHECK_INT(store_token_create(st, id, "verify", hash, "", 100, 200), STORE_OK);
    store_rollback(st);
    CHECK_INT(store_user_by_email(st, a, "a@example.com", &u), STORE_NOT_FOUND);

    /* Committed, with a nested level rolled back alone and a store function's own transaction
     * (token consume) inside. */
    CHECK_INT(store_begin(st), STORE_OK);
    CHECK_INT(store_user_create(st, "a@example.com", "A", "", ROLE_READER, &id), STORE_OK);
    CHECK_INT(store_token_create(st, id, "verify", hash, "", 100, 200), STORE_OK);
    CHECK_INT(store_begin(st), STORE_OK);
    CHECK_INT(store_user_create(st, "b@example.com", "B", "", ROLE_READER, NULL), STORE_OK);
    store_rollback(st); /* b only */
    CHECK_INT(store_token_consume(st, a, "verify", hash, 150, &owner, NULL), TOKEN_VALID);
    CHECK_INT(owner, id);
    CHECK_INT(store_commit(st), STORE_OK);
    CHECK_INT(store_user_by_email(st, a, "a@example.com", &u), STORE_OK);
    CHECK_INT(store_user_by_email(st, a, "b@example.com", &u), STORE_NOT_FOUND);
    CHECK_INT(store_token_consume(st, a, "verify", hash, 150, NULL, NULL), TOKEN_USED);

    /* A failure inside (a duplicate address) leaves the caller's transaction usable. */
    CHECK_INT(store_begin(st), STORE_OK);
    CHECK_INT(store_user_create(st, "a@example.com", "Again", "", ROLE_READER, NULL),
              STORE_CONFLICT);
    CHECK_INT(store_user_create(st, "c@example.com", "C", "", ROLE_READER, NULL), STORE_OK);
    CHECK_INT(store_commit(st), STORE_OK);
    CHECK_INT(store_user_by_email(st, a, "c@example.com", &u), STORE_OK);

    /* Unmatched ends are refused, not crashes. */
    CHECK_INT(store_commit(st), STORE_ERROR);
    store_rollback(st);
    store_close(st);
out:
    tmpdb_remove(&t);
    arena_free(a);
}

/* Migration 009 rebuilds the articles table on SQLite (hot columns first) and adds the change
 * log's triggers on both backends. Rows that refer to articles (meter reads, ON DELETE CASCADE)
 * must survive it: SQLite's rebuild drops the old table, which with foreign keys enforced would
 * cascade. Built at schema 8 by hand, then opened. */
static void test_rebuild_keeps_references(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    CHECK(tmpdb_make(&t, "store") == 0);
    CHECK_INT(tdb_migrate_to(&t, 8), 0);
    CHECK_INT(tdb_exec(&t, "INSERT INTO publications (id, slug, name) VALUES (1, 'nj', 'NJ');"
                           "INSERT INTO sections (id, slug, name) VALUES (1, 'politics', 'P');"
                           "INSERT INTO articles (id, slug, publication_id, section_id, headline, "
                           "body_markdown, body_html, published_at, updated_at, access) VALUES "
                           "(7, 'kept', 1, 1, 'Kept', 'b', '<p>b</p>', 100, 200, 'free');"
                           "INSERT INTO users (id, email, created_at, updated_at) "
                           "VALUES (1, 'r@example.com', 1, 1);"
                           "INSERT INTO meter_reads VALUES (1, 7, 300);"),
              0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    char value[32];
    CHECK_INT(tdb_int(&t, "SELECT count(*) FROM meter_reads WHERE article_id = 7"), 1);
    struct article art;
    CHECK_INT(store_article_by_slug(st, a, "kept", &art), STORE_OK);
    CHECK_INT(art.id, 7);
    CHECK_INT(art.published_at, 100);
    CHECK_INT(art.updated_at, 200);
    CHECK_STR(art.headline, "Kept");
    CHECK_STR(art.body_html, "<p>b</p>");
    CHECK_INT(art.access, ACCESS_FREE);
    if (!tmpdb_is_pg(&t)) /* PostgreSQL checks every row as it is written */
        CHECK_STR(tdb_text(&t, "PRAGMA foreign_key_check", value, sizeof value), "(none)");
    /* enforcement is back on for the store's connections: deleting the reader cascades */
    CHECK_INT(store_user_delete(st, 1), STORE_OK);
    CHECK_INT(tdb_int(&t, "SELECT count(*) FROM meter_reads"), 0);
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

void suite_store(void)
{
    RUN(test_rebuild_keeps_references);
    RUN(test_access_names);
    RUN(test_open_migrate_reopen);
    RUN(test_newer_schema_refused);
    RUN(test_open_failure);
    RUN(test_save_and_lookup);
    RUN(test_not_found);
    RUN(test_latest);
    RUN(test_articles_page);
    RUN(test_upsert_by_slug);
    RUN(test_batch_all_or_none);
    RUN(test_change_log_across_stores);
    RUN(test_threads);
    RUN(test_thread_exit_without_done);
    RUN(test_transactions);
}
