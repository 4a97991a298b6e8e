/*
 * test_import.c: tests of src/import.c and src/demo.c. Parsing: a good file yields every field,
 * slugs derive from headlines, and every mistake an editor can make is reported with the file
 * and the right line. Importing: a batch is all or nothing (one broken file, or one naming an
 * unknown publication, imports nothing), and a second import updates in place. Demo seeding:
 * the fixture newsroom loads, seeding twice changes nothing, and a broken newsroom.json or
 * article leaves the database empty. Default access: a file without `access:` gets its section's
 * default, else its publication's, else metered, read at import (a later change reaches an
 * article only when its file is imported again); a file's own `access:` wins; newsroom.json's
 * "default_access" is applied before its articles and checked. Archive-sized imports
 * (import_run): a directory's files are checked as one set (a slug used in two directories is
 * refused, naming both files), more than a chunk of files is written whole, --batch commits as
 * it goes and says where to resume after a failure, --skip resumes there, a file edited between
 * the checking and the writing stops the import, and the progress line reads as documented.
 * Fixtures are in tests/unit/fixtures/ (run from the repository root, as `make` does).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "check.h"
#include "demo.h"
#include "import.h"
#include "store.h"
#include "test_support.h"
#include "util.h"

#define FIXTURES "tests/unit/fixtures"

/* A temporary directory holding a database and, for the demo tests, files to seed from. */
struct tmpdir {
    struct tmpdb tdb; /* the directory and the database (test_support.h) */
    char *dir;        /* tdb.dir */
    char *db;         /* tdb.path: a file in dir, or a PostgreSQL database's URL */
};

/* Makes a fresh temporary directory and database. Returns 0 or -1. */
static int tmpdir_make(struct tmpdir *t)
{
    if (tmpdb_make(&t->tdb, "import") < 0)
        return -1;
    t->dir = t->tdb.dir;
    t->db = t->tdb.path;
    return 0;
}

/* Removes the directory, the database and everything the tests put in it (two levels at
 * most). */
static void tmpdir_remove(struct tmpdir *t)
{
    static const char *const files[] = {"newsroom.json", "articles/a.md", "articles/b.md",
                                        "articles/c.md"};
    char path[256];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", t->dir, files[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/articles", t->dir);
    rmdir(path);
    tmpdb_remove(&t->tdb);
}

/* Writes text to DIR/name (creating DIR/articles when name is under it). */
static void write_file(const struct tmpdir *t, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/articles", t->dir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/%s", t->dir, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* Opens a store on t->db with publication "gsn" and section "security", as the import tests
 * expect. NULL (test failed) if it cannot. */
static struct store *open_newsroom(struct tmpdir *t)
{
    char err[256] = "";
    struct store *st = store_open(t->db, err, sizeof err);
    CHECK(st != NULL);
    if (!st)
        return NULL;
    struct publication gsn = {.slug = "gsn", .name = "Global Security Newswire"};
    struct section security = {.slug = "security", .name = "Security", .position = 1};
    CHECK_INT(store_publication_save(st, &gsn, err, sizeof err), STORE_OK);
    CHECK_INT(store_section_save(st, &security, err, sizeof err), STORE_OK);
    return st;
}

/* The number of articles in st. */
static size_t article_count(struct store *st)
{
    struct arena *a = arena_new(0);
    struct article *list;
    size_t n = 0;
    struct article_query q = {.limit = 1000};
    CHECK_INT(store_articles_latest(st, a, &q, &list, &n), STORE_OK);
    arena_free(a);
    return n;
}

/* Parses text as file "a.md"; returns import_parse's result with the error in err. */
static int parse(const char *text, struct arena *a, struct article_input *out, char *err,
                 size_t errlen)
{
    err[0] = '\0';
    return import_parse("a.md", text, strlen(text), a, out, err, errlen);
}

static void test_parse_good_file(void)
{
    struct arena *a = arena_new(0);
    struct article_input in;
    char err[512] = "";
    size_t len;
    char *text = util_read_file(FIXTURES "/import/good.md", &len);
    CHECK(text != NULL);
    if (!text)
        goto out;
    CHECK_INT(import_parse(FIXTURES "/import/good.md", text, len, a, &in, err, sizeof err), 0);
    CHECK_STR(err, "");
    CHECK_STR(in.headline, "Tehran Could Help U.S. Combat Militants in Iraq: Iranian Official");
    CHECK_STR(in.slug, "tehran-could-help-u-s-combat-militants-in-iraq-iranian-official");
    CHECK_STR(in.dek, "Iran is so worried about the advance of Sunni militants in Iraq that it "
                      "could work with the United States, a senior official said.");
    CHECK_STR(in.publication_slug, "gsn");
    CHECK_STR(in.section_slug, "security");
    CHECK_STR(in.byline, "Global Security Newswire Staff");
    CHECK_INT(in.published_at, 1402655400); /* 2014-06-13T10:30:00Z */
    CHECK_INT(in.access, ACCESS_SUBSCRIBERS);
    CHECK(strncmp(in.body_markdown, "Iran is so worried about the advance of *Sunni", 46) == 0);
    CHECK(strstr(in.body_html, "<p>Iran is so worried about the advance of <em>Sunni "
                               "militants</em>") == in.body_html);
    CHECK(strstr(in.body_html, "<a href=\"https://www.reuters.com/\">Reuters</a>") != NULL);
    CHECK(strstr(in.body_html, "<p>The New York Times reported") != NULL);
    free(text);
out:
    arena_free(a);
}

static void test_parse_defaults_and_forms(void)
{
    struct arena *a = arena_new(0);
    struct article_input in;
    char err[512];

    /* Only the required keys: dek and byline "", access metered, date-only time is midnight. */
    CHECK_INT(parse("---\nheadline: Short\npublication: gsn\nsection: security\n"
                    "published: 2014-06-13\n---\nBody.\n",
                    a, &in, err, sizeof err),
              0);
    CHECK_STR(err, "");
    CHECK_STR(in.dek, "");
    CHECK_STR(in.byline, "");
    CHECK_INT(in.access, ACCESS_METERED);
    CHECK_INT(in.published_at, 1402617600);
    CHECK_STR(in.body_markdown, "Body.\n");
    CHECK_STR(in.body_html, "<p>Body.</p>\n");

    /* CRLF line ends, a byte-order mark, blank lines, spaces, quotes, ':' inside a value. */
    CHECK_INT(parse("\xEF\xBB\xBF---\r\nheadline :  \"Iran: A View\"  \r\n\r\n"
                    "dek: \"quoted\" inside\r\npublication: gsn\r\nsection: security\r\n"
                    "published: 2014-06-13T23:59:59Z\r\naccess: free\r\nslug: iran-view\r\n"
                    "---\r\n\r\nBody.\r\n",
                    a, &in, err, sizeof err),
              0);
    CHECK_STR(err, "");
    CHECK_STR(in.headline, "Iran: A View");
    CHECK_STR(in.dek, "\"quoted\" inside");
    CHECK_STR(in.slug, "iran-view");
    CHECK_INT(in.access, ACCESS_FREE);
    CHECK_INT(in.published_at, 1402617600 + 86399);
    CHECK_STR(in.body_html, "<p>Body.</p>\n");
    arena_free(a);
}

static void test_slug_derivation(void)
{
    static const struct {
        const char *headline, *slug;
    } cases[] = {
        {"Tehran Could Help U.S. Combat Militants in Iraq: Iranian Official",
         "tehran-could-help-u-s-combat-militants-in-iraq-iranian-official"},
        {"--Hello,   World!--", "hello-world"},
        {"Caf\xc3\xa9 Society", "caf-society"},
        {"2014: The Year in Review", "2014-the-year-in-review"},
        {"Iran's \"Red Lines\"", "iran-s-red-lines"},
        /* Cut at 80 characters, never ending on '-'. */
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "a"
         "aaaaaaaaaa",
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bc",
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bc",
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-b"},
    };
    struct arena *a = arena_new(0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct article_input in;
        char err[512];
        const char *text = arena_printf(a,
                                        "---\nheadline: %s\npublication: gsn\nsection: security\n"
                                        "published: 2014-06-13\n---\nBody.\n",
                                        cases[i].headline);
        CHECK_INT(parse(text, a, &in, err, sizeof err), 0);
        CHECK_STR(in.slug, cases[i].slug);
        CHECK(strlen(in.slug) <= 80);
    }
    arena_free(a);
}

static void test_parse_errors(void)
{
    /* Each case: a file named a.md and the exact error it must produce. */
    static const struct {
        const char *text, *err;
    } cases[] = {
        {"headline: No Fence\n---\nBody.\n", "a.md:1: missing front matter (a first line '---')"},
        {"", "a.md:1: missing front matter (a first line '---')"},
        {"---\nheadline: Never Closed\npublication: gsn\n",
         "a.md:1: front matter not closed (no second '---' line)"},
        {"---\nheadline: X\npublication: gsn\nfoo: bar\n---\nBody.\n", "a.md:4: unknown key 'foo'"},
        {"---\nheadline: X\nHeadline: Y\n---\nBody.\n", "a.md:3: unknown key 'Headline'"},
        {"---\nheadline: X\njust some words\n---\nBody.\n",
         "a.md:3: expected 'key: value', got 'just some words'"},
        {"---\nheadline: X\nheadline: Y\n---\nBody.\n",
         "a.md:3: duplicate key 'headline' (first on line 2)"},
        {"---\npublication: gsn\nsection: security\npublished: 2014-06-13\n---\nBody.\n",
         "a.md:5: missing headline"},
        {"---\nheadline:\npublication: gsn\nsection: security\npublished: 2014-06-13\n---\nB\n",
         "a.md:2: missing headline"},
        {"---\nheadline: \"\"\npublication: gsn\nsection: security\npublished: "
         "2014-06-13\n---\nB\n",
         "a.md:2: missing headline"},
        {"---\nheadline: X\nsection: security\npublished: 2014-06-13\n---\nBody.\n",
         "a.md:5: missing publication"},
        {"---\nheadline: X\npublication: gsn\npublished: 2014-06-13\n---\nBody.\n",
         "a.md:5: missing section"},
        {"---\nheadline: X\npublication: gsn\nsection: security\n---\nBody.\n",
         "a.md:5: missing published time"},
        {"---\nheadline: X\npublication: gsn\nsection: security\npublished: 2014-13-01\n---\nB\n",
         "a.md:5: invalid published time '2014-13-01' (2014-06-13T10:30:00Z or 2014-06-13, UTC)"},
        {"---\nheadline: X\npublication: gsn\nsection: security\npublished: 2014-02-30\n---\nB\n",
         "a.md:5: invalid published time '2014-02-30' (2014-06-13T10:30:00Z or 2014-06-13, UTC)"},
        {"---\nheadline: X\npublished: 2014-06-13T10:30:00\npublication: gsn\nsection: s\n---\nB\n",
         "a.md:3: invalid published time '2014-06-13T10:30:00' (2014-06-13T10:30:00Z or "
         "2014-06-13, UTC)"},
        {"---\nheadline: X\npublished: June 13, 2014\npublication: gsn\nsection: s\n---\nB\n",
         "a.md:3: invalid published time 'June 13, 2014' (2014-06-13T10:30:00Z or 2014-06-13, "
         "UTC)"},
        {"---\nheadline: X\npublished: 2014-06-13T24:00:00Z\npublication: gsn\nsection: "
         "s\n---\nB\n",
         "a.md:3: invalid published time '2014-06-13T24:00:00Z' (2014-06-13T10:30:00Z or "
         "2014-06-13, UTC)"},
        {"---\nheadline: X\npublication: gsn\nsection: security\npublished: 2014-06-13\n"
         "access: premium\n---\nBody.\n",
         "a.md:6: invalid access level 'premium' (free, metered or subscribers)"},
        {"---\nheadline: X\npublication: gsn\nsection: security\npublished: 2014-06-13\n"
         "slug: Not A Slug\n---\nBody.\n",
         "a.md:6: invalid slug 'Not A Slug' (lowercase letters and digits, single '-' between "
         "them, at most 80 characters)"},
        {"---\nheadline: \xe6\x97\xa5\xe6\x9c\xac\npublication: gsn\nsection: security\n"
         "published: 2014-06-13\n---\nBody.\n",
         "a.md:2: no slug can be made from this headline (no ASCII letter or digit): add a "
         "'slug:' line"},
        {"---\nheadline: X\npublication: gsn\nsection: security\npublished: 2014-06-13\n---\n",
         "a.md:6: empty body (nothing after the front matter)"},
        {"---\nheadline: X\npublication: gsn\nsection: security\npublished: 2014-06-13\n---\n"
         "\n   \n\t\n",
         "a.md:6: empty body (nothing after the front matter)"},
        {"---\nheadline: X\npublication: gsn\nsection: security\npublished: 2014-06-13\n---\n"
         "Caf\xe9 in Latin-1.\n",
         "a.md:7: not valid UTF-8"},
        {"---\nheadline: Caf\xc3\n---\n", "a.md:2: not valid UTF-8"},
    };
    struct arena *a = arena_new(0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct article_input in;
        char err[512];
        CHECK_INT(parse(cases[i].text, a, &in, err, sizeof err), -1);
        CHECK_STR(err, cases[i].err);
    }
    /* A NUL byte would cut the stored text short. */
    struct article_input in;
    char err[512] = "";
    static const char with_nul[] = "---\nheadline: X\n\0\n---\n";
    CHECK_INT(import_parse("a.md", with_nul, sizeof with_nul - 1, a, &in, err, sizeof err), -1);
    CHECK_STR(err, "a.md:3: contains a NUL byte");
    arena_free(a);
}

static void test_import_files(void)
{
    struct tmpdir t;
    struct arena *a = arena_new(0);
    struct article art;
    char err[512] = "";
    CHECK(tmpdir_make(&t) == 0);
    struct store *st = open_newsroom(&t);
    if (!st)
        goto out;
    char *paths[] = {FIXTURES "/import/good.md", FIXTURES "/import/second.md"};
    CHECK_INT(import_files(st, paths, 2, err, sizeof err), 0);
    CHECK_STR(err, "");
    CHECK_INT(article_count(st), 2);
    CHECK_INT(store_article_by_slug(
                  st, a, "tehran-could-help-u-s-combat-militants-in-iraq-iranian-official", &art),
              STORE_OK);
    CHECK_STR(art.publication.slug, "gsn");
    CHECK_INT(art.access, ACCESS_SUBSCRIBERS);
    int64_t id = art.id;
    CHECK_INT(store_article_by_slug(st, a, "senate-panel-backs-nuclear-security-budget", &art),
              STORE_OK);
    CHECK_INT(art.published_at, 1402531200);

    /* Importing the same files again updates them in place. */
    CHECK_INT(import_files(st, paths, 2, err, sizeof err), 0);
    CHECK_INT(article_count(st), 2);
    CHECK_INT(store_article_by_slug(
                  st, a, "tehran-could-help-u-s-combat-militants-in-iraq-iranian-official", &art),
              STORE_OK);
    CHECK_INT(art.id, id);
    CHECK_INT(import_files(st, paths, 0, err, sizeof err), 0);
    store_close(st);
out:
    arena_free(a);
    tmpdir_remove(&t);
}

/* The stored access level of article slug in st (-1 if it cannot be read). */
static int access_of(struct store *st, const char *slug)
{
    struct arena *a = arena_new(0);
    struct article art;
    int level = store_article_by_slug(st, a, slug, &art) == STORE_OK ? (int)art.access : -1;
    arena_free(a);
    return level;
}

/* Files without `access:` get the section's default, else the publication's, else metered; a
 * file's own level wins; a default is read at import, so changing it changes no article until
 * its file is imported again. */
static void test_import_default_access(void)
{
    struct tmpdir t;
    char err[512] = "", path_a[128], path_b[128], path_c[128];
    CHECK(tmpdir_make(&t) == 0);
    struct store *st = open_newsroom(&t);
    if (!st)
        goto out;
    struct section politics = {.slug = "politics", .name = "Politics", .position = 2};
    CHECK_INT(store_section_save(st, &politics, err, sizeof err), STORE_OK);
    /* a: no access, in security; b: its own metered, in security; c: no access, in politics. */
    write_file(&t, "articles/a.md",
               "---\nheadline: A\nslug: a\npublication: gsn\nsection: security\n"
               "published: 2014-06-13\n---\nBody.\n");
    write_file(&t, "articles/b.md",
               "---\nheadline: B\nslug: b\npublication: gsn\nsection: security\n"
               "published: 2014-06-13\naccess: metered\n---\nBody.\n");
    write_file(&t, "articles/c.md",
               "---\nheadline: C\nslug: c\npublication: gsn\nsection: politics\n"
               "published: 2014-06-13\n---\nBody.\n");
    snprintf(path_a, sizeof path_a, "%s/articles/a.md", t.dir);
    snprintf(path_b, sizeof path_b, "%s/articles/b.md", t.dir);
    snprintf(path_c, sizeof path_c, "%s/articles/c.md", t.dir);
    char *paths[] = {path_a, path_b, path_c};

    /* No default anywhere: inherit falls through to metered. */
    CHECK_INT(import_files(st, paths, 3, err, sizeof err), 0);
    CHECK_STR(err, "");
    CHECK_INT(access_of(st, "a"), ACCESS_METERED);
    CHECK_INT(access_of(st, "b"), ACCESS_METERED);
    CHECK_INT(access_of(st, "c"), ACCESS_METERED);

    /* Changing the defaults changes no imported article... */
    CHECK_INT(store_publication_set_default_access(st, "gsn", "subscribers"), STORE_OK);
    CHECK_INT(store_section_set_default_access(st, "security", "free"), STORE_OK);
    CHECK_INT(access_of(st, "a"), ACCESS_METERED);
    CHECK_INT(access_of(st, "c"), ACCESS_METERED);
    /* ...until the files are imported again: the section's default wins over the
     * publication's, the publication's applies where the section inherits, and a file's own
     * level wins over both. */
    CHECK_INT(import_files(st, paths, 3, err, sizeof err), 0);
    CHECK_STR(err, "");
    CHECK_INT(access_of(st, "a"), ACCESS_FREE);
    CHECK_INT(access_of(st, "b"), ACCESS_METERED);
    CHECK_INT(access_of(st, "c"), ACCESS_SUBSCRIBERS);

    /* A section default of subscribers under a free publication. */
    CHECK_INT(store_publication_set_default_access(st, "gsn", "free"), STORE_OK);
    CHECK_INT(store_section_set_default_access(st, "security", "subscribers"), STORE_OK);
    CHECK_INT(import_files(st, paths, 3, err, sizeof err), 0);
    CHECK_INT(access_of(st, "a"), ACCESS_SUBSCRIBERS);
    CHECK_INT(access_of(st, "b"), ACCESS_METERED);
    CHECK_INT(access_of(st, "c"), ACCESS_FREE);

    /* Both back to inherit: metered again. */
    CHECK_INT(store_publication_set_default_access(st, "gsn", ""), STORE_OK);
    CHECK_INT(store_section_set_default_access(st, "security", ""), STORE_OK);
    CHECK_INT(import_files(st, paths, 3, err, sizeof err), 0);
    CHECK_INT(access_of(st, "a"), ACCESS_METERED);
    CHECK_INT(access_of(st, "c"), ACCESS_METERED);
    store_close(st);
out:
    tmpdir_remove(&t);
}

static void test_import_batch_all_or_nothing(void)
{
    static const struct {
        const char *second, *err;
    } cases[] = {
        {FIXTURES "/import/bad-access.md",
         FIXTURES "/import/bad-access.md:6: invalid access level 'premium' (free, metered or "
                  "subscribers)"},
        {FIXTURES "/import/not-utf8.md", FIXTURES "/import/not-utf8.md:7: not valid UTF-8"},
        {FIXTURES "/import/unknown-publication.md",
         FIXTURES "/import/unknown-publication.md:4: unknown publication 'daily-planet'"},
        {FIXTURES "/import/unknown-section.md",
         FIXTURES "/import/unknown-section.md:4: unknown section 'sports'"},
        {FIXTURES "/import/missing.md",
         FIXTURES "/import/missing.md: cannot read: No such file or directory"},
        {FIXTURES "/import/good.md",
         FIXTURES "/import/good.md:2: slug "
                  "'tehran-could-help-u-s-combat-militants-in-iraq-iranian-official' is already "
                  "used by " FIXTURES "/import/good.md"},
    };
    struct tmpdir t;
    int64_t before, after;
    CHECK(tmpdir_make(&t) == 0);
    struct store *st = open_newsroom(&t);
    if (!st)
        goto out;
    CHECK_INT(store_change_seq(st, &before), STORE_OK);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *paths[] = {FIXTURES "/import/good.md", (char *)cases[i].second};
        char err[512] = "";
        CHECK_INT(import_files(st, paths, 2, err, sizeof err), -1);
        CHECK_STR(err, cases[i].err);
        CHECK_INT(article_count(st), 0);
    }
    CHECK_INT(store_change_seq(st, &after), STORE_OK);
    CHECK_INT(after, before);
    store_close(st);
out:
    tmpdir_remove(&t);
}

/* An article file's text with this headline and slug. */
static char *article_text(char *buf, size_t len, const char *headline, const char *slug)
{
    snprintf(buf, len,
             "---\nheadline: %s\npublication: gsn\nsection: security\npublished: 2014-06-13\n"
             "slug: %s\n---\nThe body of %s.\n",
             headline, slug, slug);
    return buf;
}

/* Writes n article files DIR/NNN/story-I.md (ten to a directory), slugs story-0…, into a fresh
 * temporary directory, written into dir. */
static void write_archive(char *dir, size_t dir_len, int n)
{
    char name[64], slug[32], text[256];
    snprintf(dir, dir_len, "/tmp/broadsheet-archive-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%03d/story-%04d.md", i / 10, i);
        snprintf(slug, sizeof slug, "story-%d", i);
        tree_write(dir, name, article_text(text, sizeof text, "A story", slug));
    }
}

/* Imports directory dir with options o into st. Returns import_run's result. */
static int import_dir(struct store *st, const char *dir, const struct import_options *o,
                      struct import_result *r, char *err, size_t errlen)
{
    struct import_list *l = import_list_new(err, errlen);
    CHECK(l != NULL);
    if (!l)
        return -1;
    int rc = import_list_add(l, dir, err, errlen);
    if (rc == 0)
        rc = import_run(st, l, o, r, err, errlen);
    import_list_free(l);
    return rc;
}

static void test_import_directory_as_one_set(void)
{
    struct tmpdir t;
    char dir[64], err[512] = "", want[512], text[256];
    struct import_result r;
    int64_t before, after;
    CHECK(tmpdir_make(&t) == 0);
    struct store *st = open_newsroom(&t);
    if (!st)
        goto out;
    /* 600 files: more than two chunks of 256, all written. */
    write_archive(dir, sizeof dir, 600);
    CHECK_INT(import_dir(st, dir, NULL, &r, err, sizeof err), 0);
    CHECK_STR(err, "");
    CHECK_INT(r.checked, 600);
    CHECK_INT(r.imported, 600);
    struct arena *a = arena_new(0);
    struct article art;
    CHECK_INT(store_article_by_slug(st, a, "story-599", &art), STORE_OK);
    CHECK_STR(art.body_html, "<p>The body of story-599.</p>\n");
    arena_free(a);

    /* A slug used in two directories: nothing is written, and both files are named. */
    tree_write(dir, "059/zzz.md", article_text(text, sizeof text, "Again", "story-new"));
    tree_write(dir, "100/again.md", article_text(text, sizeof text, "Again", "story-new"));
    CHECK_INT(store_change_seq(st, &before), STORE_OK);
    CHECK_INT(import_dir(st, dir, NULL, &r, err, sizeof err), -1);
    snprintf(want, sizeof want,
             "%s/100/again.md:6: slug 'story-new' is already used by %s/059/zzz.md", dir, dir);
    CHECK_STR(err, want);
    CHECK_INT(r.imported, 0);
    CHECK_INT(r.resume_at, 0);
    CHECK_INT(store_change_seq(st, &after), STORE_OK);
    CHECK_INT(after, before);
    CHECK_INT(store_article_by_slug(st, a = arena_new(0), "story-new", &art), STORE_NOT_FOUND);
    arena_free(a);
    store_close(st);
    tree_remove(dir);
out:
    tmpdir_remove(&t);
}

/* Runs one SQL text on t's database through a connection of its own (a trigger that makes the
 * store fail where the test wants): sqlite, or pgsql on PostgreSQL. */
static void sql_exec(const struct tmpdir *t, const char *sqlite, const char *pgsql)
{
    CHECK_INT(tdb_exec(&t->tdb, tmpdb_is_pg(&t->tdb) ? pgsql : sqlite), 0);
}

static void test_import_batches_and_resume(void)
{
    struct tmpdir t;
    char dir[64], err[512] = "", want[512];
    struct import_result r;
    CHECK(tmpdir_make(&t) == 0);
    struct store *st = open_newsroom(&t);
    if (!st)
        goto out;
    write_archive(dir, sizeof dir, 25);
    /* The database refuses the 18th file (story-17): batches of 5 files commit 15; the fourth
     * batch is rolled back whole. */
    sql_exec(&t,
             "CREATE TRIGGER refuse BEFORE INSERT ON articles WHEN NEW.slug = 'story-17' "
             "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
             "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
             "$$BEGIN RAISE EXCEPTION 'refused by the test'; END$$; "
             "CREATE TRIGGER refuse BEFORE INSERT ON articles FOR EACH ROW "
             "WHEN (NEW.slug = 'story-17') EXECUTE FUNCTION refuse()");
    struct import_options o = {.batch = 5};
    CHECK_INT(import_dir(st, dir, &o, &r, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s/001/story-0017.md: refused by the test", dir);
    CHECK_STR(err, want);
    CHECK_INT(r.checked, 25);
    CHECK_INT(r.imported, 15);
    CHECK_INT(r.resume_at, 15);
    CHECK_INT(article_count(st), 15);

    /* Without --batch the same failure keeps nothing. */
    sql_exec(&t, "DELETE FROM articles", "DELETE FROM articles");
    CHECK_INT(import_dir(st, dir, NULL, &r, err, sizeof err), -1);
    CHECK_INT(r.imported, 0);
    CHECK_INT(r.resume_at, 0);
    CHECK_INT(article_count(st), 0);

    /* Resuming: --skip 15 writes the rest, and only the rest. */
    CHECK_INT(import_dir(st, dir, &o, &r, err, sizeof err), -1);
    CHECK_INT(r.resume_at, 15);
    sql_exec(&t,
             "DROP TRIGGER refuse; "
             "CREATE TRIGGER refuse BEFORE UPDATE ON articles BEGIN "
             "SELECT RAISE(ABORT, 'a skipped file was written again'); END",
             "DROP TRIGGER refuse ON articles; DROP FUNCTION refuse(); "
             "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
             "$$BEGIN RAISE EXCEPTION 'a skipped file was written again'; END$$; "
             "CREATE TRIGGER refuse BEFORE UPDATE ON articles FOR EACH ROW "
             "EXECUTE FUNCTION refuse()");
    o.skip = r.resume_at;
    err[0] = '\0';
    CHECK_INT(import_dir(st, dir, &o, &r, err, sizeof err), 0);
    CHECK_STR(err, "");
    CHECK_INT(r.checked, 10);
    CHECK_INT(r.imported, 10);
    CHECK_INT(r.resume_at, 25);
    CHECK_INT(article_count(st), 25);

    /* A skip that leaves nothing is refused. */
    o.skip = 25;
    CHECK_INT(import_dir(st, dir, &o, &r, err, sizeof err), -1);
    CHECK_STR(err, "import: --skip 25 leaves nothing: 25 files are listed");
    store_close(st);
    tree_remove(dir);
out:
    tmpdir_remove(&t);
}

/* The file the cookie stream below rewrites once the checking pass ends, and its new text. */
static const char *edit_path, *edit_text;

/* fopencookie write function for the progress stream: when the checking pass's last line
 * ("checked N files in…") goes out, rewrites edit_path, as an editor might between the passes. */
static ssize_t edit_after_check(void *cookie, const char *data, size_t size)
{
    (void)cookie;
    if (memmem(data, size, "\rchecked 3 files in", 19)) {
        FILE *f = fopen(edit_path, "w");
        CHECK(f != NULL);
        if (f) {
            fputs(edit_text, f);
            fclose(f);
        }
    }
    return (ssize_t)size;
}

static void test_import_file_edited_between_passes(void)
{
    struct tmpdir t;
    char dir[64], err[512] = "", want[800], path[600], text[256];
    struct import_result r;
    CHECK(tmpdir_make(&t) == 0);
    struct store *st = open_newsroom(&t);
    if (!st)
        goto out;
    write_archive(dir, sizeof dir, 3);
    snprintf(path, sizeof path, "%s/000/story-0001.md", dir);
    edit_path = path;
    edit_text = article_text(text, sizeof text, "A story", "story-0"); /* now a duplicate */
    FILE *progress = fopencookie(NULL, "w", (cookie_io_functions_t){.write = edit_after_check});
    CHECK(progress != NULL);
    setvbuf(progress, NULL, _IONBF, 0);
    struct import_options o = {.progress = progress};
    CHECK_INT(import_dir(st, dir, &o, &r, err, sizeof err), -1);
    snprintf(want, sizeof want,
             "%s:6: changed since it was checked: its slug was 'story-1', now 'story-0'", path);
    CHECK_STR(err, want);
    CHECK_INT(article_count(st), 0);
    fclose(progress);
    store_close(st);
    tree_remove(dir);
out:
    tmpdir_remove(&t);
}

/* fopencookie write function for the progress stream: interrupts the import (as Ctrl-C would)
 * when the checking pass's last line goes out. */
static ssize_t interrupt_after_check(void *cookie, const char *data, size_t size)
{
    (void)cookie;
    if (memmem(data, size, "\rchecked 4 files in", 19))
        raise(SIGINT);
    return (ssize_t)size;
}

static void test_import_interrupted(void)
{
    struct tmpdir t;
    char dir[64], err[512] = "";
    struct import_result r;
    struct sigaction before, after;
    CHECK(tmpdir_make(&t) == 0);
    struct store *st = open_newsroom(&t);
    if (!st)
        goto out;
    write_archive(dir, sizeof dir, 4);
    FILE *progress =
        fopencookie(NULL, "w", (cookie_io_functions_t){.write = interrupt_after_check});
    CHECK(progress != NULL);
    setvbuf(progress, NULL, _IONBF, 0);
    /* What the process does with SIGINT when the import starts (SIG_DFL, or SIG_IGN for a
     * command started in the background by a shell). */
    CHECK_INT(sigaction(SIGINT, NULL, &before), 0);
    /* The signal stops the import before its first write; the process goes on. */
    struct import_options o = {.batch = 1, .progress = progress, .interruptible = 1};
    CHECK_INT(import_dir(st, dir, &o, &r, err, sizeof err), -1);
    CHECK_STR(err, "import: interrupted");
    CHECK_INT(r.imported, 0);
    CHECK_INT(article_count(st), 0);
    /* The process's own handling of the signal is back. */
    CHECK_INT(sigaction(SIGINT, NULL, &after), 0);
    CHECK(after.sa_handler == before.sa_handler);
    fclose(progress);
    store_close(st);
    tree_remove(dir);
out:
    tmpdir_remove(&t);
}

static void test_progress_format(void)
{
    char line[160];
    import_progress_format(line, sizeof line, "checked", 0, 1000000, 0);
    CHECK_STR(line, "checked 0 of 1000000 files");
    import_progress_format(line, sizeof line, "checked", 1200, 10000, 3000);
    CHECK_STR(line, "checked 1200 of 10000 files (400/s, 0:22 left)");
    import_progress_format(line, sizeof line, "imported", 1000, 1000000, 1000);
    CHECK_STR(line, "imported 1000 of 1000000 files (1000/s, 16:39 left)");
    import_progress_format(line, sizeof line, "imported", 100, 1000000, 1000);
    CHECK_STR(line, "imported 100 of 1000000 files (100/s, 2:46:39 left)");
    import_progress_format(line, sizeof line, "imported", 10000, 10000, 25040);
    CHECK_STR(line, "imported 10000 files in 25.0 s (399/s)");
    import_progress_format(line, sizeof line, "checked", 1, 1, 0);
    CHECK_STR(line, "checked 1 file in 0.0 s (0/s)");
}

static void test_demo_seed(void)
{
    struct tmpdir t;
    struct arena *a = arena_new(0);
    char err[512] = "";
    struct publication *pubs;
    struct section *secs;
    struct article art;
    size_t n;
    CHECK(tmpdir_make(&t) == 0);
    struct store *st = store_open(t.db, err, sizeof err);
    CHECK(st != NULL);
    if (!st)
        goto out;
    CHECK_INT(store_is_empty(st), 1);
    for (int round = 0; round < 2; round++) { /* seeding twice changes nothing */
        CHECK_INT(demo_seed(st, FIXTURES "/demo", err, sizeof err), 0);
        CHECK_STR(err, "");
        CHECK_INT(store_is_empty(st), 0);
        CHECK_INT(store_publications(st, a, &pubs, &n), STORE_OK);
        CHECK_INT(n, 2);
        if (n == 2) {
            CHECK_STR(pubs[0].slug, "national-journal");
            CHECK_INT(pubs[0].is_host, 1);
            CHECK_STR(pubs[0].partner, "");
            CHECK_STR(pubs[1].partner_short, "NTI");
            CHECK_INT(pubs[1].is_host, 0);
        }
        CHECK_INT(store_sections(st, a, &secs, &n), STORE_OK);
        CHECK_INT(n, 2);
        CHECK_INT(article_count(st), 2);
    }
    CHECK_INT(store_article_by_slug(st, a, "house-passes-spending-bill", &art), STORE_OK);
    CHECK_STR(art.publication.name, "National Journal");
    CHECK_STR(art.section.slug, "politics");
    CHECK_INT(art.access, ACCESS_FREE);
    store_close(st);
out:
    arena_free(a);
    tmpdir_remove(&t);
}

/* Plans in newsroom.json: saved on offer, in order, benefits joined by "\n", currency defaulted;
 * seeding again changes nothing. */
static void test_demo_seed_plans(void)
{
    static const char json[] =
        "{\"publications\": [{\"slug\": \"gsn\", \"name\": \"GSN\", \"is_host\": true}],\n"
        " \"sections\": [{\"slug\": \"security\", \"name\": \"Security\"}],\n"
        " \"plans\": [{\"slug\": \"monthly\", \"name\": \"Digital\", \"period\": \"month\",\n"
        "             \"price_cents\": 1299, \"description\": \"Monthly.\",\n"
        "             \"benefits\": [\"Every article\", \"Cancel at any time\"], \"position\": "
        "1},\n"
        "            {\"slug\": \"institutional\", \"name\": \"Institutional\",\n"
        "             \"period\": \"contact\", \"position\": 2}]}\n";
    static const char article[] = "---\nheadline: Fine\npublication: gsn\nsection: security\n"
                                  "published: 2014-06-13\n---\nBody.\n";
    struct tmpdir t;
    struct arena *a = arena_new(0);
    char err[512] = "";
    struct plan *plans;
    size_t n;
    CHECK(tmpdir_make(&t) == 0);
    write_file(&t, "newsroom.json", json);
    write_file(&t, "articles/a.md", article);
    struct store *st = store_open(t.db, err, sizeof err);
    CHECK(st != NULL);
    if (!st)
        goto out;
    for (int round = 0; round < 2; round++) {
        CHECK_INT(demo_seed(st, t.dir, err, sizeof err), 0);
        CHECK_STR(err, "");
        CHECK_INT(store_plans(st, a, 0, &plans, &n), STORE_OK);
        CHECK_INT(n, 2);
        if (n != 2)
            break;
        CHECK_STR(plans[0].slug, "monthly");
        CHECK_STR(plans[0].period, "month");
        CHECK(plans[0].price_cents == 1299);
        CHECK_STR(plans[0].currency, "USD");
        CHECK_STR(plans[0].benefits, "Every article\nCancel at any time");
        CHECK_INT(plans[0].active, 1);
        CHECK_STR(plans[1].slug, "institutional");
        CHECK(plans[1].price_cents == 0);
        CHECK_STR(plans[1].benefits, "");
        CHECK_STR(plans[1].stripe_price_id, "");
    }
    store_close(st);
out:
    arena_free(a);
    tmpdir_remove(&t);
}

/* newsroom.json's "default_access" is set before the articles are imported, which then get
 * it; "inherit" is stored as "". */
static void test_demo_seed_default_access(void)
{
    static const char json[] =
        "{\"publications\": [{\"slug\": \"gsn\", \"name\": \"GSN\", \"is_host\": true,\n"
        "                   \"default_access\": \"subscribers\"}],\n"
        " \"sections\": [{\"slug\": \"security\", \"name\": \"Security\", \"position\": 1,\n"
        "               \"default_access\": \"inherit\"},\n"
        "              {\"slug\": \"energy\", \"name\": \"Energy\", \"position\": 2,\n"
        "               \"default_access\": \"free\"}]}\n";
    struct tmpdir t;
    struct arena *a = arena_new(0);
    char err[512] = "";
    struct publication p;
    struct section sec;
    CHECK(tmpdir_make(&t) == 0);
    write_file(&t, "newsroom.json", json);
    write_file(&t, "articles/a.md",
               "---\nheadline: A\nslug: a\npublication: gsn\nsection: security\n"
               "published: 2014-06-13\n---\nBody.\n");
    write_file(&t, "articles/b.md",
               "---\nheadline: B\nslug: b\npublication: gsn\nsection: energy\n"
               "published: 2014-06-13\n---\nBody.\n");
    write_file(&t, "articles/c.md",
               "---\nheadline: C\nslug: c\npublication: gsn\nsection: energy\n"
               "published: 2014-06-13\naccess: metered\n---\nBody.\n");
    struct store *st = store_open(t.db, err, sizeof err);
    CHECK(st != NULL);
    if (!st)
        goto out;
    CHECK_INT(demo_seed(st, t.dir, err, sizeof err), 0);
    CHECK_STR(err, "");
    CHECK_INT(store_publication_by_slug(st, a, "gsn", &p), STORE_OK);
    CHECK_STR(p.default_access, "subscribers");
    CHECK_INT(store_section_by_slug(st, a, "security", &sec), STORE_OK);
    CHECK_STR(sec.default_access, "");
    CHECK_INT(store_section_by_slug(st, a, "energy", &sec), STORE_OK);
    CHECK_STR(sec.default_access, "free");
    CHECK_INT(access_of(st, "a"), ACCESS_SUBSCRIBERS);
    CHECK_INT(access_of(st, "b"), ACCESS_FREE);
    CHECK_INT(access_of(st, "c"), ACCESS_METERED);
    store_close(st);
out:
    arena_free(a);
    tmpdir_remove(&t);
}

static void test_demo_seed_errors(void)
{
    static const char good_json[] =
        "{\"publications\": [{\"slug\": \"gsn\", \"name\": \"GSN\", \"is_host\": true}],\n"
        " \"sections\": [{\"slug\": \"security\", \"name\": \"Security\", \"position\": 1}]}\n";
    static const char good_article[] = "---\nheadline: Fine\npublication: gsn\nsection: security\n"
                                       "published: 2014-06-13\n---\nBody.\n";
    static const struct {
        const char *json, *article_b, *err; /* err after "DIR/" */
    } cases[] = {
        {"{\"publications\": [{\"slug\": \"gsn\", \"name\": 5}], \"sections\": []}", NULL,
         "newsroom.json: publications[0]: name: expected a string (without NUL)"},
        {"{\"publications\": [{\"slug\": \"gsn\"}], \"sections\": []}", NULL,
         "newsroom.json: publications[0]: missing name"},
        {"{\"publications\": [{\"slug\": \"gsn\", \"name\": \"G\", \"is_host\": 1}], "
         "\"sections\": []}",
         NULL, "newsroom.json: publications[0]: is_host: expected true or false"},
        {"{\"publications\": [{\"slug\": \"gsn\", \"name\": \"G\", \"logo\": \"x\"}], "
         "\"sections\": []}",
         NULL, "newsroom.json: publications[0]: unknown field 'logo'"},
        {"{\"publications\": [], \"sections\": [{\"slug\": \"s\", \"name\": \"S\", "
         "\"position\": \"1\"}]}",
         NULL, "newsroom.json: sections[0]: position: expected an integer"},
        {"{\"publications\": [{\"slug\": \"gsn\", \"name\": \"G\", \"default_access\": "
         "\"premium\"}], \"sections\": []}",
         NULL,
         "newsroom.json: publications[0]: default_access: expected \"free\", \"metered\", "
         "\"subscribers\" or \"inherit\""},
        {"{\"publications\": [], \"sections\": [{\"slug\": \"s\", \"name\": \"S\"}, "
         "{\"slug\": \"t\", \"name\": \"T\", \"default_access\": \"Free\"}]}",
         NULL,
         "newsroom.json: sections[1]: default_access: expected \"free\", \"metered\", "
         "\"subscribers\" or \"inherit\""},
        {"{\"publications\": [], \"sections\": [{\"slug\": \"s\", \"name\": \"S\", "
         "\"default_access\": 1}]}",
         NULL, "newsroom.json: sections[0]: default_access: expected a string (without NUL)"},
        {"{\"publications\": [], \"sections\": [7]}", NULL,
         "newsroom.json: sections[0]: expected an object"},
        {"{\"publications\": {}}", NULL, "newsroom.json: publications: expected an array"},
        {"{\"publications\": [], \"sections\": [], \"extra\": 1}", NULL,
         "newsroom.json: unknown field 'extra'"},
        {"{\"publications\": [],\n \"sections\": [,]}", NULL, "newsroom.json:2: "},
        {"{\"publications\": [], \"sections\": [], \"plans\": [{\"slug\": \"m\", \"name\": \"M\", "
         "\"period\": \"week\", \"price_cents\": 100}]}",
         NULL, "newsroom.json: plans[0]: period: expected \"month\", \"year\" or \"contact\""},
        {"{\"publications\": [], \"sections\": [], \"plans\": [{\"slug\": \"m\", \"name\": \"M\", "
         "\"period\": \"month\"}]}",
         NULL, "newsroom.json: plans[0]: missing price_cents (a month plan needs a price)"},
        {"{\"publications\": [], \"sections\": [], \"plans\": [{\"slug\": \"m\", \"name\": \"M\", "
         "\"period\": \"month\", \"price_cents\": 12.99}]}",
         NULL,
         "newsroom.json: plans[0]: price_cents: expected a whole number of cents, at least 0"},
        {"{\"publications\": [], \"sections\": [], \"plans\": [{\"slug\": \"i\", \"name\": \"I\", "
         "\"period\": \"contact\", \"price_cents\": 100}]}",
         NULL, "newsroom.json: plans[0]: price_cents: a contact plan has no price"},
        {"{\"publications\": [], \"sections\": [], \"plans\": [{\"slug\": \"i\", \"name\": \"I\", "
         "\"period\": \"contact\", \"benefits\": \"one\"}]}",
         NULL, "newsroom.json: plans[0]: benefits: expected an array of strings"},
        {"{\"publications\": [], \"sections\": [], \"plans\": [{\"slug\": \"i\", \"name\": \"I\", "
         "\"period\": \"contact\", \"benefits\": [\"a\", \"b\\nc\"]}]}",
         NULL, "newsroom.json: plans[0]: benefits[1]: expected a one-line string"},
        {"{\"publications\": [], \"sections\": [], \"plans\": [{\"slug\": \"i\", \"name\": \"I\", "
         "\"period\": \"contact\", \"price\": \"9\"}]}",
         NULL, "newsroom.json: plans[0]: unknown field 'price'"},
        {"{\"publications\": [], \"sections\": [], \"plans\": [{\"slug\": \"i\", \"name\": \"I\", "
         "\"period\": \"contact\"}, {\"slug\": \"i\", \"name\": \"J\", \"period\": \"contact\"}]}",
         NULL, "newsroom.json: plans[1]: slug 'i' is also plans[0]'s"},
        /* issue 13: the demo's partners */
        {"{\"publications\": [{\"slug\": \"gsn\", \"name\": \"G\"}], \"sections\": [], "
         "\"partners\": [{\"slug\": \"nti\", \"name\": \"NTI\", \"publications\": [\"nj\"]}]}",
         NULL,
         "newsroom.json: partners[0]: publications: expected an array of this file's publication "
         "slugs"},
        {"{\"publications\": [{\"slug\": \"gsn\", \"name\": \"G\"}], \"sections\": [], "
         "\"partners\": [{\"slug\": \"nti\", \"name\": \"NTI\", \"publications\": [\"gsn\"], "
         "\"content\": \"half\"}]}",
         NULL, "newsroom.json: partners[0]: content: expected full or preview"},
        {"{\"publications\": [{\"slug\": \"gsn\", \"name\": \"G\"}], \"sections\": [], "
         "\"partners\": [{\"slug\": \"nti\", \"name\": \"NTI\", \"publications\": [\"gsn\"], "
         "\"sections\": [\"sports\"]}]}",
         NULL,
         "newsroom.json: partners[0]: sections: expected an array of this file's section slugs"},
        {NULL,
         "---\nheadline: Elsewhere\npublication: gsn\nsection: sports\n"
         "published: 2014-06-13\n---\nBody.\n",
         "articles/b.md: unknown section 'sports' (not in newsroom.json)"},
        {NULL, "---\nheadline: Bad\npublication: gsn\nsection: security\n---\nBody.\n",
         "articles/b.md:5: missing published time"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tmpdir t;
        char err[512] = "", want[512];
        CHECK(tmpdir_make(&t) == 0);
        write_file(&t, "newsroom.json", cases[i].json ? cases[i].json : good_json);
        write_file(&t, "articles/a.md", good_article);
        write_file(&t, "articles/b.md", cases[i].article_b ? cases[i].article_b : good_article);
        struct store *st = store_open(t.db, err, sizeof err);
        CHECK(st != NULL);
        if (st) {
            CHECK_INT(demo_seed(st, t.dir, err, sizeof err), -1);
            snprintf(want, sizeof want, "%s/%s", t.dir, cases[i].err);
            if (strncmp(err, want, strlen(want)) != 0) /* the JSON syntax case is a prefix */
                CHECK_STR(err, want);
            CHECK_INT(store_is_empty(st), 1); /* nothing was written */
            store_close(st);
        }
        tmpdir_remove(&t);
    }

    /* No articles directory. */
    struct tmpdir t;
    char err[512] = "";
    CHECK(tmpdir_make(&t) == 0);
    struct store *st = store_open(t.db, err, sizeof err);
    CHECK(st != NULL);
    if (st) {
        CHECK_INT(demo_seed(st, t.dir, err, sizeof err), -1);
        CHECK(strstr(err, "newsroom.json") != NULL); /* no newsroom.json either */
        write_file(&t, "newsroom.json", good_json);
        char articles[128];
        snprintf(articles, sizeof articles, "%s/articles", t.dir);
        rmdir(articles);
        CHECK_INT(demo_seed(st, t.dir, err, sizeof err), -1);
        CHECK(strstr(err, "/articles: cannot open: No such file or directory") != NULL);
        CHECK_INT(store_is_empty(st), 1);
        store_close(st);
    }
    tmpdir_remove(&t);
}

void suite_import(void)
{
    RUN(test_parse_good_file);
    RUN(test_parse_defaults_and_forms);
    RUN(test_slug_derivation);
    RUN(test_parse_errors);
    RUN(test_import_files);
    RUN(test_import_default_access);
    RUN(test_import_batch_all_or_nothing);
    RUN(test_import_directory_as_one_set);
    RUN(test_import_batches_and_resume);
    RUN(test_import_file_edited_between_passes);
    RUN(test_import_interrupted);
    RUN(test_progress_format);
    RUN(test_demo_seed);
    RUN(test_demo_seed_plans);
    RUN(test_demo_seed_default_access);
    RUN(test_demo_seed_errors);
}
