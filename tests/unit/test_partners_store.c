/*
 * test_partners_store.c: tests of partner.h (API keys: their shape, their hash against
 * Python's hashlib.blake2b, the default content rule) and the partners part of store.h on a
 * fresh database (SQLite, or PostgreSQL under BROADSHEET_TEST_STORE_PG): a partner added with
 * its product, read by slug and by key, the key never stored in clear, a rotated key refused
 * at once, refusals that change nothing, the product rule (store_partner_sees) and removal.
 */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "check.h"
#include "partner.h"
#include "store.h"
#include "test_support.h"

/* ---- keys ----------------------------------------------------------------------------------- */

static void test_key_shape(void)
{
    char a[PARTNER_KEY_LEN + 1], b[PARTNER_KEY_LEN + 1];
    CHECK_INT(partner_key_new(a), 0);
    CHECK_INT(partner_key_new(b), 0);
    CHECK_INT((int)strlen(a), 47);
    CHECK(strncmp(a, "bsk_", 4) == 0);
    CHECK(strspn(a + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 43);
    CHECK(strcmp(a, b) != 0);
    CHECK(partner_key_valid(a));
    CHECK(partner_key_valid(b));
    /* Many keys: each valid (the last character's padding bits are 0), none twice. */
    for (int i = 0; i < 200; i++) {
        CHECK_INT(partner_key_new(b), 0);
        CHECK(partner_key_valid(b));
        CHECK(strcmp(a, b) != 0);
    }
}

static void test_key_valid(void)
{
    CHECK(partner_key_valid("bsk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    CHECK(!partner_key_valid(NULL));
    CHECK(!partner_key_valid(""));
    CHECK(!partner_key_valid("bsk_"));
    CHECK(!partner_key_valid("bsk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));   /* 42 */
    CHECK(!partner_key_valid("bsk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")); /* 44 */
    CHECK(!partner_key_valid("bsx_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    CHECK(!partner_key_valid("BSK_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    CHECK(!partner_key_valid("bsk_AAAAAAAAAAAAAAAAAAAAA+AAAAAAAAAAAAAAAAAAAAA")); /* not url-safe */
    CHECK(!partner_key_valid("bsk_AAAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAA"));
    CHECK(!partner_key_valid("bsk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB")); /* padding bits */
}

static void test_key_digest(void)
{
    char hash[PARTNER_KEY_HASH_LEN + 1], prefix[PARTNER_KEY_SHOWN_LEN + 1];
    /* The expected values are Python's hashlib.blake2b(key, digest_size=32).hexdigest(). */
    CHECK_INT(partner_key_digest("bsk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", hash, prefix),
              0);
    CHECK_STR(hash, "e1847384f54289bf24bbe4351cd205bd995f47da6b3bd0dd819f31436a13bc52");
    CHECK_STR(prefix, "bsk_AAAA");
    /* The bytes 0…31 in base64url: the key partner_key_new would make of them. */
    CHECK_INT(partner_key_digest("bsk_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", hash, prefix),
              0);
    CHECK_STR(hash, "f96133444724474a6574bcd8deac9d78f52ab1c7ec0e081fc49a9c00b16a02ee");
    CHECK_STR(prefix, "bsk_AAEC");
    CHECK_INT(partner_key_digest("bsk_short", hash, prefix), -1);
}

static void test_default_content(void)
{
    struct publication gsn = {
        .slug = "gsn", .partner = "Nuclear Threat Initiative", .partner_short = "NTI"};
    struct publication nj = {.slug = "nj", .partner = "", .partner_short = ""};
    struct publication other = {.slug = "other", .partner = "Someone Else", .partner_short = ""};
    struct publication both[] = {gsn, nj};
    struct publication gsns[] = {gsn, gsn};
    CHECK_STR(partner_default_content("Nuclear Threat Initiative", &gsn, 1), "full");
    CHECK_STR(partner_default_content("nuclear threat initiative", &gsn, 1), "full");
    CHECK_STR(partner_default_content("NTI", &gsn, 1), "full");
    CHECK_STR(partner_default_content("nti", &gsn, 1), "full");
    CHECK_STR(partner_default_content("Nuclear Threat Initiative", gsns, 2), "full");
    /* Not every publication is produced for it: a licensee. */
    CHECK_STR(partner_default_content("Nuclear Threat Initiative", both, 2), "preview");
    CHECK_STR(partner_default_content("Nuclear Threat", &gsn, 1), "preview");
    CHECK_STR(partner_default_content("Nuclear Threat Initiative", &other, 1), "preview");
    /* A publication with no partner is no one's: "" never matches. */
    CHECK_STR(partner_default_content("", &nj, 1), "preview");
    CHECK_STR(partner_default_content("Anyone", &nj, 1), "preview");
    CHECK_STR(partner_default_content("Nuclear Threat Initiative", NULL, 0), "preview");
}

/* ---- the store ------------------------------------------------------------------------------ */

/* A fresh store with publications nj and gsn, sections politics and security, and one article
 * in each of (gsn, security), (gsn, politics) and (nj, politics): their ids in ids[0..3). */
static struct store *open_newsroom(struct tmpdb *t, int64_t ids[3])
{
    char err[256] = "";
    if (tmpdb_make(t, "partners") != 0)
        return NULL;
    struct store *st = store_open(t->path, err, sizeof err);
    CHECK(st != NULL);
    if (!st)
        return NULL;
    struct publication nj = {.slug = "nj", .name = "National Journal", .is_host = 1};
    struct publication gsn = {.slug = "gsn",
                              .name = "Global Security Newswire",
                              .partner = "Nuclear Threat Initiative",
                              .partner_short = "NTI"};
    struct section politics = {.slug = "politics", .name = "Politics", .position = 1};
    struct section security = {.slug = "security", .name = "Security", .position = 2};
    CHECK_INT(store_publication_save(st, &nj, err, sizeof err), STORE_OK);
    CHECK_INT(store_publication_save(st, &gsn, err, sizeof err), STORE_OK);
    CHECK_INT(store_section_save(st, &politics, err, sizeof err), STORE_OK);
    CHECK_INT(store_section_save(st, &security, err, sizeof err), STORE_OK);
    static const char *const places[3][3] = {
        {"gsn-security", "gsn", "security"},
        {"gsn-politics", "gsn", "politics"},
        {"nj-politics", "nj", "politics"},
    };
    struct arena *a = arena_new(0);
    for (int i = 0; i < 3; i++) {
        struct article_input in = {.slug = places[i][0],
                                   .headline = "A headline",
                                   .dek = "",
                                   .byline = "",
                                   .publication_slug = places[i][1],
                                   .section_slug = places[i][2],
                                   .body_markdown = "Body.",
                                   .body_html = "<p>Body.</p>\n",
                                   .published_at = 1700000000 + i,
                                   .access = ACCESS_METERED};
        CHECK_INT(store_articles_save(st, &in, 1, err, sizeof err), STORE_OK);
        struct article art;
        CHECK_INT(store_article_by_slug(st, a, places[i][0], &art), STORE_OK);
        ids[i] = art.id;
    }
    arena_free(a);
    return st;
}

/* The id of publication or section slug (section: 1). */
static int64_t id_of(struct store *st, const char *slug, int section)
{
    struct arena *a = arena_new(0);
    struct publication p = {0};
    struct section s = {0};
    int rc = section ? store_section_by_slug(st, a, slug, &s)
                     : store_publication_by_slug(st, a, slug, &p);
    CHECK_INT(rc, STORE_OK);
    arena_free(a);
    return section ? s.id : p.id;
}

static void test_store_partners(void)
{
    struct tmpdb t;
    int64_t art[3];
    struct store *st = open_newsroom(&t, art);
    if (!st)
        return;
    struct arena *a = arena_new(0);
    int64_t gsn = id_of(st, "gsn", 0), nj = id_of(st, "nj", 0);
    int64_t security = id_of(st, "security", 1);
    char key[PARTNER_KEY_LEN + 1], key2[PARTNER_KEY_LEN + 1], out[128];
    CHECK_INT(partner_key_new(key), 0);

    /* nti: gsn, every section, in full. */
    struct partner nti = {.slug = "nti", .name = "Nuclear Threat Initiative", .content = "full"};
    int64_t nti_id = 0;
    CHECK_INT(store_partner_add(st, &nti, key, &gsn, 1, NULL, 0, &nti_id), STORE_OK);
    CHECK(nti_id > 0);
    struct partner p;
    CHECK_INT(store_partner_by_slug(st, a, "nti", &p), STORE_OK);
    CHECK_INT(p.id, nti_id);
    CHECK_STR(p.name, "Nuclear Threat Initiative");
    CHECK_STR(p.content, "full");
    CHECK(strncmp(p.key_prefix, key, 8) == 0 && strlen(p.key_prefix) == 8);
    CHECK(p.created_at > 0 && p.key_created_at == p.created_at);
    /* Only the hash is stored: the key itself nowhere in the row. */
    char hash[PARTNER_KEY_HASH_LEN + 1], prefix[PARTNER_KEY_SHOWN_LEN + 1];
    CHECK_INT(partner_key_digest(key, hash, prefix), 0);
    CHECK_STR(tdb_text(&t, "SELECT key_hash FROM partners WHERE slug = 'nti'", out, sizeof out),
              hash);
    CHECK_INT(tdb_int(&t, "SELECT count(*) FROM partners WHERE key_hash LIKE 'bsk_%' OR "
                          "name LIKE '%bsk_%' OR key_prefix <> substr(key_prefix, 1, 8)"),
              0);

    /* Found by its key; not by another, nor by anything shaped otherwise. */
    memset(&p, 0, sizeof p);
    CHECK_INT(store_partner_by_key(st, a, key, &p), STORE_OK);
    CHECK_STR(p.slug, "nti");
    CHECK_INT(partner_key_new(key2), 0);
    CHECK_INT(store_partner_by_key(st, a, key2, &p), STORE_NOT_FOUND);
    CHECK_INT(store_partner_by_key(st, a, hash, &p), STORE_NOT_FOUND); /* the hash is no key */
    CHECK_INT(store_partner_by_key(st, a, "", &p), STORE_NOT_FOUND);
    CHECK_INT(store_partner_by_key(st, a, NULL, &p), STORE_NOT_FOUND);

    /* lic: gsn and nj, security only, preview. */
    struct partner lic = {.slug = "lic", .name = "Licensee", .content = "preview"};
    int64_t both[2] = {gsn, nj}, lic_id = 0;
    CHECK_INT(store_partner_add(st, &lic, key2, both, 2, &security, 1, &lic_id), STORE_OK);
    struct partner_product pr;
    CHECK_INT(store_partner_product(st, a, lic_id, &pr), STORE_OK);
    CHECK_INT((int)pr.npublications, 2);
    CHECK_INT((int)pr.nsections, 1);
    if (pr.npublications == 2 && pr.nsections == 1) {
        CHECK_STR(pr.publications[0], "gsn");
        CHECK_STR(pr.publications[1], "nj");
        CHECK_STR(pr.sections[0], "security");
    }
    CHECK_INT(store_partner_product(st, a, nti_id, &pr), STORE_OK);
    CHECK_INT((int)pr.npublications, 1);
    CHECK_INT((int)pr.nsections, 0);

    /* The product rule. */
    CHECK_INT(store_partner_sees(st, nti_id, art[0]), STORE_OK);        /* gsn, security */
    CHECK_INT(store_partner_sees(st, nti_id, art[1]), STORE_OK);        /* gsn, politics */
    CHECK_INT(store_partner_sees(st, nti_id, art[2]), STORE_NOT_FOUND); /* nj */
    CHECK_INT(store_partner_sees(st, lic_id, art[0]), STORE_OK);
    CHECK_INT(store_partner_sees(st, lic_id, art[1]), STORE_NOT_FOUND); /* not its section */
    CHECK_INT(store_partner_sees(st, lic_id, art[2]), STORE_NOT_FOUND);
    CHECK_INT(store_partner_sees(st, nti_id, 999999), STORE_NOT_FOUND);
    CHECK_INT(store_partner_sees(st, 999999, art[0]), STORE_NOT_FOUND);

    /* Refusals change nothing: a taken slug, an unknown publication or section, a bad key or
     * content, no publication. */
    char key3[PARTNER_KEY_LEN + 1];
    CHECK_INT(partner_key_new(key3), 0);
    struct partner dup = {.slug = "nti", .name = "Again", .content = "full"};
    CHECK_INT(store_partner_add(st, &dup, key3, &nj, 1, NULL, 0, NULL), STORE_CONFLICT);
    struct partner fresh = {.slug = "fresh", .name = "Fresh", .content = "full"};
    int64_t missing = 424242;
    CHECK_INT(store_partner_add(st, &fresh, key3, &missing, 1, NULL, 0, NULL), STORE_NOT_FOUND);
    CHECK_INT(store_partner_add(st, &fresh, key3, &gsn, 1, &missing, 1, NULL), STORE_NOT_FOUND);
    CHECK_INT(store_partner_add(st, &fresh, "bsk_nope", &gsn, 1, NULL, 0, NULL), STORE_ERROR);
    CHECK_INT(store_partner_add(st, &fresh, key3, NULL, 0, NULL, 0, NULL), STORE_ERROR);
    struct partner half = {.slug = "fresh", .name = "Fresh", .content = "half"};
    CHECK_INT(store_partner_add(st, &half, key3, &gsn, 1, NULL, 0, NULL), STORE_ERROR);
    struct partner unnamed = {.slug = "fresh", .name = "", .content = "full"};
    CHECK_INT(store_partner_add(st, &unnamed, key3, &gsn, 1, NULL, 0, NULL), STORE_ERROR);
    /* The same key twice (never in practice): refused by the unique hash. */
    CHECK_INT(store_partner_add(st, &fresh, key, &gsn, 1, NULL, 0, NULL), STORE_CONFLICT);
    CHECK_INT(tdb_int(&t, "SELECT count(*) FROM partners"), 2);
    CHECK_INT(tdb_int(&t, "SELECT count(*) FROM partner_publications"), 3);
    CHECK_INT(tdb_int(&t, "SELECT count(*) FROM partner_sections"), 1);
    CHECK_INT(store_partner_by_slug(st, a, "fresh", &p), STORE_NOT_FOUND);

    struct partner *list;
    size_t n;
    CHECK_INT(store_partners(st, a, &list, &n), STORE_OK);
    CHECK_INT((int)n, 2);
    if (n == 2) {
        CHECK_STR(list[0].slug, "lic");
        CHECK_STR(list[1].slug, "nti");
    }

    /* Rotation: the new key works, the old one is refused at once. */
    CHECK_INT(store_partner_set_key(st, "nti", key3), STORE_OK);
    CHECK_INT(store_partner_by_key(st, a, key, &p), STORE_NOT_FOUND);
    CHECK_INT(store_partner_by_key(st, a, key3, &p), STORE_OK);
    CHECK_STR(p.slug, "nti");
    CHECK(strncmp(p.key_prefix, key3, 8) == 0);
    CHECK_INT(store_partner_set_key(st, "nobody", key), STORE_NOT_FOUND);
    CHECK_INT(store_partner_set_key(st, "lic", key3), STORE_CONFLICT); /* nti's key */
    CHECK_INT(store_partner_by_key(st, a, key2, &p), STORE_OK);        /* lic's, kept */
    CHECK_STR(p.slug, "lic");

    /* Removal: the partner, its product and its key go. */
    CHECK_INT(store_partner_remove(st, "nti"), STORE_OK);
    CHECK_INT(store_partner_remove(st, "nti"), STORE_NOT_FOUND);
    CHECK_INT(store_partner_by_key(st, a, key3, &p), STORE_NOT_FOUND);
    CHECK_INT(store_partner_sees(st, nti_id, art[0]), STORE_NOT_FOUND);
    CHECK_INT(tdb_int(&t, "SELECT count(*) FROM partner_publications WHERE partner_id NOT IN "
                          "(SELECT id FROM partners)"),
              0);
    CHECK_INT(store_partner_by_key(st, a, key2, &p), STORE_OK);

    arena_free(a);
    store_close(st);
    tmpdb_remove(&t);
}

/* The detail of SQLite's plan for sql on t's database, its steps joined by "; ", into out. */
static const char *sqlite_plan(const struct tmpdb *t, const char *sql, char *out, size_t outlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    char query[512];
    snprintf(out, outlen, "(none)");
    snprintf(query, sizeof query, "EXPLAIN QUERY PLAN %s", sql);
    if (sqlite3_open(t->path, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, query, -1, &s, NULL) == SQLITE_OK) {
        size_t used = 0;
        out[0] = '\0';
        while (sqlite3_step(s) == SQLITE_ROW && used < outlen)
            used += (size_t)snprintf(out + used, outlen - used, "%s; ",
                                     (const char *)sqlite3_column_text(s, 3));
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return out;
}

/* The lookups the API makes on every request, and the reverse lookups, are index searches,
 * never scans (SQLite's plans; PostgreSQL has the same indexes, scripts/check-pgsql-schema). */
static void test_store_partner_plans(void)
{
    struct tmpdb t;
    int64_t art[3];
    struct store *st = open_newsroom(&t, art);
    if (!st)
        return;
    store_close(st);
    if (!tmpdb_is_pg(&t)) {
        char plan[512];
        sqlite_plan(&t, "SELECT id FROM partners WHERE key_hash = 'x'", plan, sizeof plan);
        CHECK(strstr(plan, "SEARCH partners USING") && strstr(plan, "(key_hash=?)"));
        sqlite_plan(&t, "SELECT partner_id FROM partner_publications WHERE publication_id = 1",
                    plan, sizeof plan);
        CHECK(strstr(plan, "partner_publications_publication") != NULL);
        sqlite_plan(&t, "SELECT partner_id FROM partner_sections WHERE section_id = 1", plan,
                    sizeof plan);
        CHECK(strstr(plan, "partner_sections_section") != NULL);
        /* store_partner_sees: the article by its key, the product by primary keys. */
        sqlite_plan(&t,
                    "SELECT 1 FROM articles a WHERE a.id = 1 AND EXISTS (SELECT 1 FROM "
                    "partner_publications pp WHERE pp.partner_id = 1 AND pp.publication_id = "
                    "a.publication_id) AND (NOT EXISTS (SELECT 1 FROM partner_sections ps WHERE "
                    "ps.partner_id = 1) OR EXISTS (SELECT 1 FROM partner_sections ps WHERE "
                    "ps.partner_id = 1 AND ps.section_id = a.section_id))",
                    plan, sizeof plan);
        CHECK(strstr(plan, "SCAN") == NULL);
        if (strstr(plan, "SCAN"))
            fprintf(stderr, "    plan: %s\n", plan);
    }
    tmpdb_remove(&t);
}

void suite_partners_store(void)
{
    RUN(test_key_shape);
    RUN(test_key_valid);
    RUN(test_key_digest);
    RUN(test_default_content);
    RUN(test_store_partners);
    RUN(test_store_partner_plans);
}
