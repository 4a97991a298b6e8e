/*
 * test_search.c: the readers' search. The query parser (src/search_query.c): words, phrases,
 * prefixes, exclusions, its caps, and text that is engine syntax or not text at all. The store
 * (src/store_search.c, migration 014): every write path that changes an article's text or
 * access rewrites its index row in the same transaction (import, the newsroom's create and
 * save, a restored revision), so a test per path searches for a word only the write brought;
 * the paywall's split (a word only in a withheld paragraph neither matches nor shows for a
 * reader who is not entitled, and does for one who is); publishing and taking down need no
 * index write; filters; a rebuild when preview_paragraphs changes or rows are missing.
 *
 * Runs on SQLite, and on PostgreSQL when BROADSHEET_TEST_STORE_PG names a server.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "search_query.h"
#include "store.h"
#include "test_support.h"

static struct tmpdb db;

/* Parses text (NUL-terminated) into q and returns its included count. */
static size_t parse(const char *text, struct search_query *q)
{
    return search_query_parse(text, strlen(text), q);
}

static void test_parse_terms(void)
{
    struct search_query q;
    CHECK_INT((int)parse("Nuclear  talks", &q), 2);
    CHECK_INT((int)q.count, 2);
    CHECK_STR(q.terms[0].text, "Nuclear");
    CHECK_STR(q.terms[1].text, "talks");
    CHECK(!q.terms[0].phrase && !q.terms[0].prefix && !q.terms[0].exclude);

    CHECK_INT((int)parse("\"nuclear, security summit\" -iran nucl* -\"hague talks\"", &q), 2);
    CHECK_INT((int)q.count, 4);
    CHECK_STR(q.terms[0].text, "nuclear security summit");
    CHECK(q.terms[0].phrase && !q.terms[0].exclude);
    CHECK_STR(q.terms[1].text, "iran");
    CHECK(q.terms[1].exclude && !q.terms[1].phrase);
    CHECK_STR(q.terms[2].text, "nucl");
    CHECK(q.terms[2].prefix);
    CHECK_STR(q.terms[3].text, "hague talks");
    CHECK(q.terms[3].phrase && q.terms[3].exclude);

    /* Typographic quotes are quotes; a one-word phrase is a word; "a*" is too short a prefix. */
    CHECK_INT((int)parse("\xe2\x80\x9c"
                         "caf\xc3\xa9 society\xe2\x80\x9d \"alone\" a*",
                         &q),
              3);
    CHECK_STR(q.terms[0].text, "caf\xc3\xa9 society");
    CHECK(q.terms[0].phrase);
    CHECK_STR(q.terms[1].text, "alone");
    CHECK(!q.terms[1].phrase);
    CHECK_STR(q.terms[2].text, "a");
    CHECK(!q.terms[2].prefix);
    /* Three letters are still a word, four a prefix. */
    CHECK_INT((int)parse("pro* prop*", &q), 2);
    CHECK_STR(q.terms[0].text, "pro");
    CHECK(!q.terms[0].prefix);
    CHECK_STR(q.terms[1].text, "prop");
    CHECK(q.terms[1].prefix);
}

static void test_parse_hostile(void)
{
    struct search_query q;
    /* Nothing to look for: the page shows the form with a message. */
    const char *unusable[] = {"",
                              "\"",
                              "*",
                              "-",
                              "- -",
                              "\"\"",
                              "-iran",
                              "-\"a b\"",
                              "((:))",
                              "\xff\xfe\xc0\xaf",
                              "\xe2\x80\x9c\xe2\x80\x9d",
                              "\xc2\xab \xc2\xbb"};
    for (size_t i = 0; i < sizeof unusable / sizeof unusable[0]; i++)
        CHECK_INT((int)parse(unusable[i], &q), 0);
    /* Engine syntax is only separators and words: NEAR, AND, OR, NOT are words. */
    CHECK_INT((int)parse("NEAR(a b, 2) AND {headline}: x^y OR 'z' & !w | v:* \\u", &q), 12);
    for (size_t i = 0; i < q.count; i++)
        CHECK(strpbrk(q.terms[i].text, "\"'(){}:^*&|!\\-,") == NULL);
    CHECK_STR(q.terms[0].text, "NEAR");
    CHECK_STR(q.terms[4].text, "AND");
    /* A NUL byte separates like any control character. */
    CHECK_INT((int)search_query_parse("iran\0talks", 10, &q), 2);
    CHECK_STR(q.terms[1].text, "talks");
    /* An invalid byte inside a word splits it. */
    CHECK_INT((int)parse("ab\xffq", &q), 2);
    CHECK_STR(q.terms[0].text, "ab");
}

static void test_parse_caps(void)
{
    struct search_query q;
    CHECK_INT((int)parse("a b c d e f g h i j k l m n o", &q), SEARCH_QUERY_MAX_TERMS);
    CHECK_STR(q.terms[SEARCH_QUERY_MAX_TERMS - 1].text, "l");
    CHECK_INT((int)parse("\"a b c d e f g h i j\"", &q), 1);
    CHECK_STR(q.terms[0].text, "a b c d e f g h");
    /* 2,000 bytes: the first 200 are read, and the word the window cuts is dropped. */
    char text[2001];
    memset(text, 'x', 2000);
    text[2000] = '\0';
    CHECK_INT((int)parse(text, &q), 0);
    memcpy(text, "iran ", 5);
    CHECK_INT((int)parse(text, &q), 1);
    CHECK_STR(q.terms[0].text, "iran");
    /* A word that ends exactly at the window's end and the text there is kept. */
    memset(text, ' ', SEARCH_QUERY_MAX_BYTES);
    memcpy(text + SEARCH_QUERY_MAX_BYTES - 4, "talk", 4);
    CHECK_INT((int)search_query_parse(text, SEARCH_QUERY_MAX_BYTES, &q), 1);
    CHECK_STR(q.terms[0].text, "talk");
}

/* A store with a publication, two sections and these imported articles (all published):
 *   free-one     free, section world, 2014-06-02: "Reactor" in the headline, "uranium" in the
 *                second paragraph (a free article is visible whole)
 *   metered-one  metered, world, 2014-06-09: "centrifuge" in the first paragraph (the
 *                preview), "zanzibarite" only in the third (withheld)
 *   locked-one   subscribers, politics, 2014-07-01: "zanzibarite" nowhere visible either, and
 *                "<Tom> & Jerry" in its headline */
static struct store *seeded(void)
{
    struct store *st = open_store(&db);
    if (!st)
        return NULL;
    store_search_configure(st, 1);
    struct publication p = {.slug = "nj", .name = "National Journal", .is_host = 1};
    struct section world = {.slug = "world", .name = "World", .position = 1};
    struct section politics = {.slug = "politics", .name = "Politics", .position = 2};
    char err[256] = "";
    CHECK_INT(store_publication_save(st, &p, err, sizeof err), STORE_OK);
    CHECK_INT(store_section_save(st, &world, err, sizeof err), STORE_OK);
    CHECK_INT(store_section_save(st, &politics, err, sizeof err), STORE_OK);
    struct article_input in[] = {
        {.slug = "free-one",
         .headline = "Reactor restarts",
         .publication_slug = "nj",
         .section_slug = "world",
         .body_markdown = "The plant opened.\n\nIt burns uranium again.",
         .body_html = "-",
         .published_at = 1401700000,
         .access = ACCESS_FREE},
        {.slug = "metered-one",
         .headline = "Talks resume",
         .dek = "Diplomats meet",
         .publication_slug = "nj",
         .section_slug = "world",
         .body_markdown = "A new centrifuge hall was shown.\n\nSecond part.\n\nThe zanzibarite "
                          "deposit is the secret.",
         .body_html = "-",
         .published_at = 1402300000,
         .access = ACCESS_METERED},
        {.slug = "locked-one",
         .headline = "<Tom> & Jerry",
         .publication_slug = "nj",
         .section_slug = "politics",
         .body_markdown = "Opening words.\n\nMore zanzibarite *here*.",
         .body_html = "-",
         .published_at = 1404200000,
         .access = ACCESS_SUBSCRIBERS},
    };
    CHECK_INT(store_articles_save(st, in, 3, err, sizeof err), STORE_OK);
    return st;
}

/* The slugs store_search finds for text (entitled or not, filter f or none), comma-separated
 * in rank order, into out. */
static const char *found(struct store *st, const char *text, int entitled,
                         const struct search_filter *f, char *out, size_t outlen)
{
    struct search_query q;
    struct search_filter none = {0};
    search_query_parse(text, strlen(text), &q);
    struct arena *a = arena_new(0);
    struct search_hit *hits;
    size_t n = 0;
    out[0] = '\0';
    CHECK_INT(store_search(st, a, &q, f ? f : &none, entitled, 0, 20, &hits, &n), STORE_OK);
    size_t used = 0;
    for (size_t i = 0; i < n && used < outlen; i++)
        used +=
            (size_t)snprintf(out + used, outlen - used, "%s%s", i ? "," : "", hits[i].article.slug);
    int64_t count = -1;
    CHECK_INT(store_search_count(st, &q, f ? f : &none, entitled, 1000, &count), STORE_OK);
    CHECK_INT((int)count, (int)n);
    arena_free(a);
    return out;
}

/* The snippet of the first hit for text, into out ("" when none). */
static const char *first_snippet(struct store *st, const char *text, int entitled, char *out,
                                 size_t outlen)
{
    struct search_query q;
    struct search_filter none = {0};
    search_query_parse(text, strlen(text), &q);
    struct arena *a = arena_new(0);
    struct search_hit *hits;
    size_t n = 0;
    CHECK_INT(store_search(st, a, &q, &none, entitled, 0, 20, &hits, &n), STORE_OK);
    snprintf(out, outlen, "%s", n ? hits[0].snippet : "");
    arena_free(a);
    return out;
}

static void test_import_and_paywall(void)
{
    struct store *st = seeded();
    if (!st)
        return;
    char out[512];
    CHECK_STR(found(st, "uranium", 0, NULL, out, sizeof out), "free-one");
    CHECK_STR(found(st, "reactor", 0, NULL, out, sizeof out), "free-one");
    CHECK_STR(found(st, "centrifuges", 0, NULL, out, sizeof out), "metered-one"); /* stemmed */
    /* The withheld word: no match and no snippet for a reader who is not entitled… */
    CHECK_STR(found(st, "zanzibarite", 0, NULL, out, sizeof out), "");
    CHECK_STR(found(st, "centrifuge zanzibarite", 0, NULL, out, sizeof out), "");
    /* … nor does it exclude (that too would tell what the paragraph says). */
    CHECK_STR(found(st, "centrifuge -zanzibarite", 0, NULL, out, sizeof out), "metered-one");
    /* An entitled reader finds both, and sees the withheld paragraph's snippet. */
    CHECK_STR(found(st, "zanzibarite", 1, NULL, out, sizeof out), "locked-one,metered-one");
    CHECK_STR(found(st, "centrifuge -zanzibarite", 1, NULL, out, sizeof out), "");
    CHECK(strstr(first_snippet(st, "zanzibarite", 1, out, sizeof out), "\x02zanzibarite\x03") !=
          NULL);
    /* A reader who is not entitled sees only the preview, with the match marked. */
    first_snippet(st, "centrifuge", 0, out, sizeof out);
    CHECK(strstr(out, "\x02"
                      "centrifuge\x03") != NULL);
    CHECK(strstr(out, "zanzibarite") == NULL && strstr(out, "Second") == NULL);
    /* Phrases and prefixes. */
    CHECK_STR(found(st, "\"centrifuge hall\"", 0, NULL, out, sizeof out), "metered-one");
    CHECK_STR(found(st, "\"hall centrifuge\"", 0, NULL, out, sizeof out), "");
    CHECK_STR(found(st, "centri*", 0, NULL, out, sizeof out), "metered-one");
    CHECK_STR(found(st, "tom jerry", 0, NULL, out, sizeof out), "locked-one");
    store_close(st);
}

static void test_filters(void)
{
    struct store *st = seeded();
    if (!st)
        return;
    char out[512];
    struct search_filter f = {0};
    CHECK_STR(found(st, "zanzibarite", 1, &f, out, sizeof out), "locked-one,metered-one");
    f.section_id = tdb_int(&db, "SELECT id FROM sections WHERE slug = 'politics'");
    CHECK_STR(found(st, "zanzibarite", 1, &f, out, sizeof out), "locked-one");
    f = (struct search_filter){.to = 1404199999};
    CHECK_STR(found(st, "zanzibarite", 1, &f, out, sizeof out), "metered-one");
    f = (struct search_filter){.from = 1404200000, .to = 1404200000};
    CHECK_STR(found(st, "zanzibarite", 1, &f, out, sizeof out), "locked-one");
    f = (struct search_filter){.publication_id = 999};
    CHECK_STR(found(st, "zanzibarite", 1, &f, out, sizeof out), "");
    /* Ranking: a match in the headline before one in the body; the newer first among equals. */
    CHECK(store_articles_save(st,
                              &(struct article_input){.slug = "body-reactor",
                                                      .headline = "Plant news",
                                                      .publication_slug = "nj",
                                                      .section_slug = "world",
                                                      .body_markdown = "A reactor, in the text.",
                                                      .body_html = "-",
                                                      .published_at = 1405000000,
                                                      .access = ACCESS_FREE},
                              1, NULL, 0) == STORE_OK);
    CHECK_STR(found(st, "reactor", 0, NULL, out, sizeof out), "free-one,body-reactor");
    store_close(st);
}

/* An article written by the newsroom: create (a draft: not found), publish (found, no index
 * write needed), save (the new word found at once, the old one gone), unpublish (gone), and a
 * restored revision brings the old text back to the index. */
static void test_newsroom_paths(void)
{
    struct store *st = seeded();
    if (!st)
        return;
    char out[512], err[256] = "";
    int64_t pub = tdb_int(&db, "SELECT id FROM publications WHERE slug = 'nj'");
    int64_t sec = tdb_int(&db, "SELECT id FROM sections WHERE slug = 'world'");
    struct newsroom_article_input in = {.headline = "Harbour report",
                                        .body_markdown = "The quokka landed.",
                                        .body_html = "<p>The quokka landed.</p>",
                                        .publication_id = pub,
                                        .section_id = sec,
                                        .access = ACCESS_FREE,
                                        .tags = ""};
    int64_t id = 0;
    CHECK_INT(store_newsroom_create(st, &in, 0, 1700000000, &id, err, sizeof err), STORE_OK);
    CHECK_STR(found(st, "quokka", 1, NULL, out, sizeof out), ""); /* a draft */
    CHECK_INT(store_newsroom_publish(st, id, 1, 0, 1700000100, NULL), STORE_OK);
    CHECK_STR(found(st, "quokka", 0, NULL, out, sizeof out), "harbour-report");
    in.body_markdown = "The wombat landed.";
    in.body_html = "<p>The wombat landed.</p>";
    struct newsroom_conflict conflict;
    CHECK_INT(store_newsroom_save(st, id, 2, &in, 0, 1700000200, &conflict, err, sizeof err),
              STORE_OK);
    CHECK_STR(found(st, "wombat", 0, NULL, out, sizeof out), "harbour-report");
    CHECK_STR(found(st, "quokka", 0, NULL, out, sizeof out), "");
    /* A save that makes it subscribers-only takes its body out of what others can match. */
    in.access = ACCESS_SUBSCRIBERS;
    in.body_markdown = "First.\n\nThe wombat left.";
    CHECK_INT(store_newsroom_save(st, id, 3, &in, 0, 1700000250, &conflict, err, sizeof err),
              STORE_OK);
    CHECK_STR(found(st, "wombat", 0, NULL, out, sizeof out), "");
    CHECK_STR(found(st, "wombat", 1, NULL, out, sizeof out), "harbour-report");
    /* Restoring version 1 (the quokka, free) rewrites the row in the restore's transaction. */
    struct revision_restore r = {.article_id = id,
                                 .version = 1,
                                 .seen_version = 4,
                                 .may_edit_any = 1,
                                 .body_html = "<p>The quokka landed.</p>",
                                 .now = 1700000300};
    int64_t version = 0;
    CHECK_INT(store_revision_restore(st, &r, &version), STORE_OK);
    CHECK_STR(found(st, "quokka", 0, NULL, out, sizeof out), "harbour-report");
    CHECK_STR(found(st, "wombat", 1, NULL, out, sizeof out), "");
    CHECK_INT(store_newsroom_unpublish(st, id, version, 0, 1700000400, NULL), STORE_OK);
    CHECK_STR(found(st, "quokka", 1, NULL, out, sizeof out), "");
    store_close(st);
}

/* The index follows preview_paragraphs: a store configured with 3 finds the withheld word (in
 * the third paragraph and the second) for everyone once store_search_check has rebuilt; a
 * newest article without a row is rebuilt too. */
static void test_rebuild(void)
{
    struct store *st = seeded();
    if (!st)
        return;
    char out[512], err[256] = "";
    int64_t rebuilt = -1;
    CHECK_INT(store_search_reindex(st, &rebuilt, err, sizeof err), STORE_OK);
    CHECK_INT((int)rebuilt, 3);
    CHECK_INT(store_search_check(st, &rebuilt, err, sizeof err), STORE_OK);
    CHECK_INT((int)rebuilt, 0); /* built with 1, configured 1, no row missing */
    CHECK_STR(found(st, "zanzibarite", 0, NULL, out, sizeof out), "");
    store_search_configure(st, 3);
    CHECK_INT(store_search_check(st, &rebuilt, err, sizeof err), STORE_OK);
    CHECK_INT((int)rebuilt, 3);
    CHECK_STR(found(st, "zanzibarite", 0, NULL, out, sizeof out), "locked-one,metered-one");
    CHECK_INT((int)tdb_int(&db, "SELECT value FROM meta WHERE key = 'search_preview_paragraphs'"),
              3);
    /* An article written behind the store's back (by SQL) has no row: the check finds it. */
    CHECK_INT(tdb_exec(&db, "INSERT INTO articles (slug, publication_id, section_id, "
                            "published_at, updated_at, headline, body_markdown, body_html, "
                            "access) VALUES ('by-sql', 1, 1, 1400000000, 1400000000, "
                            "'Platypus', 'x', 'x', 'free')"),
              0);
    CHECK_STR(found(st, "platypus", 0, NULL, out, sizeof out), "");
    CHECK_INT(store_search_check(st, &rebuilt, err, sizeof err), STORE_OK);
    CHECK_INT((int)rebuilt, 4);
    CHECK_STR(found(st, "platypus", 0, NULL, out, sizeof out), "by-sql");
    /* A deleted article takes its row with it. */
    CHECK_INT(tdb_exec(&db, "DELETE FROM articles WHERE slug = 'by-sql'"), 0);
    CHECK_INT(store_search_check(st, &rebuilt, err, sizeof err), STORE_OK);
    CHECK_INT((int)rebuilt, 0);
    CHECK_INT((int)tdb_int(&db, tmpdb_is_pg(&db) ? "SELECT count(*) FROM search_docs"
                                                 : "SELECT count(*) FROM search_index"),
              3);
    store_close(st);
}

void suite_search(void)
{
    RUN(test_parse_terms);
    RUN(test_parse_hostile);
    RUN(test_parse_caps);
    const struct {
        const char *name;
        void (*fn)(void);
    } store_tests[] = {{"test_import_and_paywall", test_import_and_paywall},
                       {"test_filters", test_filters},
                       {"test_newsroom_paths", test_newsroom_paths},
                       {"test_rebuild", test_rebuild}};
    for (size_t i = 0; i < sizeof store_tests / sizeof store_tests[0]; i++) {
        if (tmpdb_make(&db, "search") != 0) {
            CHECK(!"tmpdb_make");
            return;
        }
        check_run(store_tests[i].name, store_tests[i].fn);
        tmpdb_remove(&db);
    }
}
