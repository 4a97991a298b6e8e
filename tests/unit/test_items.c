/*
 * test_items.c: the item log (store.h, "The item log"; migration 021) on a fresh database
 * (SQLite, or PostgreSQL under BROADSHEET_TEST_STORE_PG): which versions are noted and with
 * what status (imports, a draft's life through publish, save, correction, unpublish, embargo,
 * the scheduler, kill), that readers never see an embargoed or killed article, that a killed
 * one can no longer change, a partner's product and paging (store_items_after), a version's
 * content as it was (store_item_get), also an imported version replaced since (kept).
 */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "check.h"
#include "partner.h"
#include "store.h"
#include "test_support.h"

#define T0 1700000000

/* A newsroom: publications nj and gsn, sections politics and security. */
static struct store *open_items(struct tmpdb *t)
{
    char err[256] = "";
    if (tmpdb_make(t, "items") != 0)
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
    return st;
}

/* Imports (or re-imports) slug into publication pub, section security; its id. */
static int64_t import_one(struct store *st, const char *slug, const char *pub, const char *headline)
{
    char err[256] = "";
    struct article_input in = {.slug = slug,
                               .headline = headline,
                               .dek = "",
                               .byline = "",
                               .publication_slug = pub,
                               .section_slug = "security",
                               .body_markdown = "Body.",
                               .body_html = "<p>Body.</p>\n",
                               .published_at = T0,
                               .access = ACCESS_METERED};
    CHECK_INT(store_articles_save(st, &in, 1, err, sizeof err), STORE_OK);
    struct arena *a = arena_new(0);
    struct article art = {0};
    CHECK_INT(store_article_by_slug(st, a, slug, &art), STORE_OK);
    arena_free(a);
    return art.id;
}

static int64_t id_of(struct store *st, const char *slug, int section)
{
    struct arena *a = arena_new(0);
    struct publication p = {0};
    struct section s = {0};
    CHECK_INT(section ? store_section_by_slug(st, a, slug, &s)
                      : store_publication_by_slug(st, a, slug, &p),
              STORE_OK);
    arena_free(a);
    return section ? s.id : p.id;
}

/* Every version in the log (any partner's), into items (n of them). */
static size_t log_all(struct store *st, struct arena *a, struct item_version **items)
{
    size_t n = 0;
    int more = 0;
    int64_t next = 0;
    CHECK_INT(store_items_after(st, a, 0, 0, ITEMS_PAGE_MAX, items, &n, &next, &more), STORE_OK);
    CHECK_INT(more, 0);
    return n;
}

/* The latest version noted for article id (any partner). */
static struct item_version latest(struct store *st, struct arena *a, int64_t id)
{
    struct item_version v = {0};
    CHECK_INT(store_item_get(st, a, 0, id, 0, &v), STORE_OK);
    return v;
}

static void test_newsroom_life(void)
{
    struct tmpdb t;
    struct store *st = open_items(&t);
    if (!st)
        return;
    struct arena *a = arena_new(0);
    char err[256] = "";
    int64_t gsn = id_of(st, "gsn", 0), security = id_of(st, "security", 1);
    struct item_version *items, v;

    /* An import is noted: usable. */
    int64_t imported = import_one(st, "imported", "gsn", "Imported");
    CHECK_INT(log_all(st, a, &items), 1);
    CHECK_INT(items[0].article_id, imported);
    CHECK_INT(items[0].status, ITEM_USABLE);
    CHECK_STR(items[0].headline, "Imported");
    CHECK_STR(items[0].section_slug, "security");

    /* A draft is not; publishing it is, and so is each save of it while published. */
    struct newsroom_article_input in = {.headline = "First words",
                                        .dek = "A dek",
                                        .byline = "By Someone",
                                        .body_markdown = "One.\n\nTwo.",
                                        .body_html = "<p>One.</p>\n<p>Two.</p>\n",
                                        .slug = "",
                                        .publication_id = gsn,
                                        .section_id = security,
                                        .access = ACCESS_METERED,
                                        .seo_title = "",
                                        .seo_description = "",
                                        .editor_note = "",
                                        .original_url = "",
                                        .tags = "Iran, Vienna"};
    int64_t id = 0;
    CHECK_INT(store_newsroom_create(st, &in, 0, T0 + 10, &id, err, sizeof err), STORE_OK);
    CHECK_INT(store_newsroom_save(st, id, 1, &in, 0, T0 + 11, NULL, err, sizeof err), STORE_OK);
    CHECK_INT(log_all(st, a, &items), 1);
    CHECK_INT(store_item_get(st, a, 0, id, 0, &v), STORE_NOT_FOUND);
    CHECK_INT(store_newsroom_publish(st, id, 2, 0, T0 + 20, NULL), STORE_OK); /* version 3 */
    v = latest(st, a, id);
    CHECK_INT(v.version, 3);
    CHECK_INT(v.status, ITEM_USABLE);
    CHECK_INT(v.embargoed, 0);
    CHECK_STR(v.ednote, "");
    CHECK_STR(v.headline, "First words");
    CHECK_STR(v.dek, "A dek");
    CHECK_STR(v.summary, "A dek"); /* no search description: the dek */
    CHECK_INT((int)v.tag_count, 2);
    if (v.tag_count == 2) {
        CHECK_STR(v.tags[0].name, "Iran");
        CHECK_STR(v.tags[1].slug, "vienna");
    }
    CHECK_INT(v.noted_at, T0 + 20);
    in.headline = "Second words";
    in.tags = "Vienna";
    CHECK_INT(store_newsroom_save(st, id, 3, &in, 0, T0 + 30, NULL, err, sizeof err), STORE_OK);
    CHECK_INT(latest(st, a, id).version, 4);

    /* Version 3 is still there as it was, with its own tags. */
    CHECK_INT(store_item_get(st, a, 0, id, 3, &v), STORE_OK);
    CHECK_STR(v.headline, "First words");
    CHECK_INT((int)v.tag_count, 2);
    CHECK_INT(store_item_get(st, a, 0, id, 1, &v), STORE_NOT_FOUND); /* a draft's: never noted */
    CHECK_INT(store_item_get(st, a, 0, id, 99, &v), STORE_NOT_FOUND);

    /* A correction: a version with the correction as the editors' note. */
    int64_t corrected = 0;
    CHECK_INT(store_correction_add(st, id, 0, "The dek named the wrong city.", T0 + 40, &corrected),
              STORE_OK);
    v = latest(st, a, id);
    CHECK_INT(v.version, corrected);
    CHECK_STR(v.ednote, "Correction: The dek named the wrong city.");

    /* Unpublished: withheld, once; its later drafts are not noted. */
    CHECK_INT(store_newsroom_unpublish(st, id, corrected, 0, T0 + 50, NULL), STORE_OK);
    v = latest(st, a, id);
    CHECK_INT(v.status, ITEM_WITHHELD);
    CHECK(strstr(v.ednote, "Withheld") != NULL);
    int64_t withheld = v.version;
    CHECK_INT(store_newsroom_to_draft(st, id, withheld, 0, T0 + 60, NULL), STORE_OK);
    CHECK_INT(store_newsroom_save(st, id, withheld + 1, &in, 0, T0 + 61, NULL, err, sizeof err),
              STORE_OK);
    CHECK_INT(latest(st, a, id).version, withheld);

    /* Embargoed: partners have it now, readers do not, until the scheduler publishes it. */
    CHECK_INT(store_newsroom_embargo(st, id, withheld + 2, 0, T0 + 70, T0 + 70, NULL),
              STORE_INVALID); /* not in the future */
    CHECK_INT(store_newsroom_embargo(st, id, withheld + 2, 0, T0 + 70, T0 + 100, NULL), STORE_OK);
    v = latest(st, a, id);
    CHECK_INT(v.status, ITEM_USABLE);
    CHECK_INT(v.embargoed, T0 + 100);
    CHECK_INT(v.published_at, T0 + 100);
    struct newsroom_article na;
    CHECK_INT(store_newsroom_article(st, a, id, &na), STORE_OK);
    CHECK_INT(na.embargoed, 1);
    struct article art;
    CHECK_INT(store_article_by_slug(st, a, na.slug, &art), STORE_NOT_FOUND);
    int published = -1;
    CHECK_INT(store_articles_publish_due(st, T0 + 99, &published), STORE_OK);
    CHECK_INT(published, 0);
    CHECK_INT(store_articles_publish_due(st, T0 + 100, &published), STORE_OK);
    CHECK_INT(published, 1);
    v = latest(st, a, id);
    CHECK_INT(v.status, ITEM_USABLE);
    CHECK_INT(v.embargoed, 0);
    CHECK_INT(store_article_by_slug(st, a, na.slug, &art), STORE_OK);
    CHECK_INT(store_newsroom_article(st, a, id, &na), STORE_OK);
    CHECK_INT(na.embargoed, 0);

    /* A schedule without embargo is not noted for partners. */
    int64_t quiet = 0;
    in.headline = "Quiet";
    CHECK_INT(store_newsroom_create(st, &in, 0, T0 + 110, &quiet, err, sizeof err), STORE_OK);
    CHECK_INT(store_newsroom_schedule(st, quiet, 1, 0, T0 + 110, T0 + 500, NULL), STORE_OK);
    CHECK_INT(store_item_get(st, a, 0, quiet, 0, &v), STORE_NOT_FOUND);
    /* … nor can it be killed before anyone had it: a draft cannot be killed at all */
    CHECK_INT(store_newsroom_to_draft(st, quiet, 2, 0, T0 + 111, NULL), STORE_OK);
    CHECK_INT(store_newsroom_kill(st, quiet, 3, 0, T0 + 112, "why", NULL), STORE_INVALID);

    /* Killed: canceled with the reason, gone for readers, and it can no longer change. */
    CHECK_INT(store_newsroom_article(st, a, id, &na), STORE_OK);
    CHECK_INT(store_newsroom_kill(st, id, na.version, 0, T0 + 120, "", NULL), STORE_INVALID);
    CHECK_INT(store_newsroom_kill(st, id, na.version, 0, T0 + 120, " \t\r\n", NULL),
              STORE_INVALID); /* the page's rule is the store's: a reason has words */
    CHECK_INT(store_newsroom_kill(st, id, na.version, 0, T0 + 120, "\xff\xfe", NULL),
              STORE_INVALID);
    CHECK_INT(store_kill_note_check("a\0b", 3), KILL_NOTE_NOT_TEXT);
    CHECK_INT(store_kill_note_check(" x ", 3), KILL_NOTE_OK);
    CHECK_INT(store_newsroom_kill(st, id, na.version - 1, 0, T0 + 120, "Legal", NULL),
              STORE_CONFLICT);
    CHECK_INT(store_newsroom_kill(st, id, na.version, 0, T0 + 120, "A court order.", NULL),
              STORE_OK);
    v = latest(st, a, id);
    CHECK_INT(v.status, ITEM_CANCELED);
    CHECK_INT(v.version, na.version + 1);
    CHECK(strstr(v.ednote, "Do not use") != NULL);
    CHECK(strstr(v.ednote, "A court order.") != NULL);
    CHECK_INT(store_article_by_slug(st, a, na.slug, &art), STORE_NOT_FOUND);
    CHECK_INT(store_article_killed(st, na.slug), 1);
    CHECK_INT(store_article_killed(st, "imported"), 0);
    CHECK_INT(store_article_killed(st, "no-such-slug"), 0);
    int64_t k = na.version + 1;
    CHECK_INT(store_newsroom_save(st, id, k, &in, 0, T0 + 130, NULL, err, sizeof err),
              STORE_INVALID);
    CHECK_INT(store_newsroom_publish(st, id, k, 0, T0 + 130, NULL), STORE_CONFLICT);
    CHECK_INT(store_newsroom_to_draft(st, id, k, 0, T0 + 130, NULL), STORE_CONFLICT);
    CHECK_INT(store_newsroom_delete(st, id, k, 0, T0 + 130, NULL), STORE_CONFLICT);
    CHECK_INT(store_newsroom_kill(st, id, k, 0, T0 + 130, "again", NULL), STORE_INVALID);
    CHECK_INT(latest(st, a, id).version, k);
    /* … nor by an import of its slug, which leaves it as it is and says nothing to partners */
    struct article_input again = {.slug = na.slug,
                                  .headline = "Imported over a kill",
                                  .dek = "",
                                  .byline = "",
                                  .publication_slug = "gsn",
                                  .section_slug = "security",
                                  .body_markdown = "Body.",
                                  .body_html = "<p>Body.</p>\n",
                                  .published_at = T0,
                                  .access = ACCESS_FREE};
    CHECK_INT(store_articles_save(st, &again, 1, err, sizeof err), STORE_OK);
    CHECK_INT(store_newsroom_article(st, a, id, &na), STORE_OK);
    CHECK_INT(na.version, k);
    CHECK(strcmp(na.headline, "Imported over a kill") != 0);
    CHECK_INT(latest(st, a, id).version, k);

    /* The whole log, in order, every seq above the one before. */
    size_t n = log_all(st, a, &items);
    CHECK_INT((int)n, 8); /* imported; 3, 4, correction, withheld, embargoed, published, killed */
    for (size_t i = 1; i < n; i++)
        CHECK(items[i].seq > items[i - 1].seq);
    arena_free(a);
    store_close(st);
    tmpdb_remove(&t);
}

static void test_products_and_paging(void)
{
    struct tmpdb t;
    struct store *st = open_items(&t);
    if (!st)
        return;
    struct arena *a = arena_new(0);
    int64_t gsn = id_of(st, "gsn", 0), nj = id_of(st, "nj", 0);
    int64_t politics = id_of(st, "politics", 1);
    char key[PARTNER_KEY_LEN + 1], slug[32];
    int64_t ids[10];
    for (int i = 0; i < 10; i++) {
        snprintf(slug, sizeof slug, "story-%d", i);
        ids[i] = import_one(st, slug, i % 2 ? "nj" : "gsn", slug);
    }
    CHECK_INT(partner_key_new(key), 0);
    struct partner p = {.slug = "nti", .name = "NTI", .content = "full"};
    int64_t nti = 0, none = 0;
    CHECK_INT(store_partner_add(st, &p, key, &gsn, 1, NULL, 0, &nti), STORE_OK);
    CHECK_INT(partner_key_new(key), 0);
    struct partner q = {.slug = "pol", .name = "Politics", .content = "preview"};
    CHECK_INT(store_partner_add(st, &q, key, &nj, 1, &politics, 1, &none), STORE_OK);

    /* nti sees gsn's five, in pages of two, and nothing of nj's. */
    struct item_version *items;
    size_t n;
    int more;
    int64_t cursor = 0, seen = 0, next = 0;
    for (int page = 0; page < 3; page++) {
        CHECK_INT(store_items_after(st, a, nti, cursor, 2, &items, &n, &next, &more), STORE_OK);
        CHECK_INT((int)n, page < 2 ? 2 : 1);
        CHECK_INT(more, page < 2);
        for (size_t i = 0; i < n; i++) {
            CHECK_INT(items[i].publication_id, gsn);
            CHECK_INT(items[i].article_id, ids[seen * 2]);
            CHECK(items[i].seq > cursor);
            cursor = items[i].seq;
            seen++;
        }
    }
    CHECK_INT(seen, 5);
    CHECK_INT(store_items_after(st, a, nti, cursor, 2, &items, &n, &next, &more), STORE_OK);
    CHECK_INT((int)n, 0);
    struct item_version v;
    CHECK_INT(store_item_get(st, a, nti, ids[0], 0, &v), STORE_OK);
    CHECK_INT(store_item_get(st, a, nti, ids[1], 0, &v), STORE_NOT_FOUND); /* nj's */
    /* pol: nj's politics section only; these are all in security */
    CHECK_INT(store_items_after(st, a, none, 0, 10, &items, &n, &next, &more), STORE_OK);
    CHECK_INT((int)n, 0);
    CHECK_INT(store_item_get(st, a, none, ids[1], 0, &v), STORE_NOT_FOUND);
    /* bad limits */
    CHECK_INT(store_items_after(st, a, nti, 0, 0, &items, &n, &next, &more), STORE_ERROR);
    CHECK_INT(store_items_after(st, a, nti, 0, ITEMS_PAGE_MAX + 1, &items, &n, &next, &more),
              STORE_ERROR);

    /* A re-import: a new version, and the replaced one (an import's: no revision) is kept
     * before it is overwritten, so both are served, each as it was. */
    int64_t last = 0;
    CHECK_INT(store_item_log_last(st, &last), STORE_OK);
    CHECK(last >= cursor);
    import_one(st, "story-0", "gsn", "Story zero, again");
    CHECK_INT(store_items_after(st, a, nti, 0, 10, &items, &n, &next, &more), STORE_OK);
    CHECK_INT((int)n, 6);
    CHECK_INT(items[0].article_id, ids[0]);
    CHECK_STR(items[0].headline, "story-0");
    CHECK_INT(items[n - 1].article_id, ids[0]);
    CHECK_STR(items[n - 1].headline, "Story zero, again");
    CHECK_INT(items[n - 1].version, 2);
    CHECK_INT(store_item_get(st, a, nti, ids[0], 1, &v), STORE_OK);
    CHECK_STR(v.headline, "story-0");
    CHECK_INT(store_item_get(st, a, nti, ids[0], 2, &v), STORE_OK);
    CHECK_STR(v.headline, "Story zero, again");
    CHECK_INT(tdb_int(&t, "SELECT count(*) FROM article_revisions"), 1); /* only the kept one */
    int64_t end = 0;
    CHECK_INT(store_item_log_last(st, &end), STORE_OK);
    CHECK_INT(end, items[n - 1].seq);
    arena_free(a);
    store_close(st);
    tmpdb_remove(&t);
}

/* A partner whose product is a sliver of a long log: each call looks at ITEMS_WINDOW rows at
 * most and says where to go on, so two calls find both of its versions among 5,200 others. */
static void test_window(void)
{
    struct tmpdb t;
    struct store *st = open_items(&t);
    if (!st)
        return;
    struct arena *a = arena_new(0);
    int64_t gsn = id_of(st, "gsn", 0);
    enum { OTHERS = ITEMS_WINDOW + 200 };
    int64_t first = import_one(st, "gsn-first", "gsn", "First");
    struct article_input *in = arena_alloc(a, OTHERS * sizeof *in);
    for (int i = 0; i < OTHERS; i++)
        in[i] = (struct article_input){.slug = arena_printf(a, "nj-%d", i),
                                       .headline = "Other",
                                       .dek = "",
                                       .byline = "",
                                       .publication_slug = "nj",
                                       .section_slug = "politics",
                                       .body_markdown = "Body.",
                                       .body_html = "<p>Body.</p>\n",
                                       .published_at = T0,
                                       .access = ACCESS_FREE};
    char err[256] = "";
    CHECK_INT(store_articles_save(st, in, OTHERS, err, sizeof err), STORE_OK);
    int64_t second = import_one(st, "gsn-second", "gsn", "Second");
    char key[PARTNER_KEY_LEN + 1];
    CHECK_INT(partner_key_new(key), 0);
    struct partner p = {.slug = "nti", .name = "NTI", .content = "full"};
    int64_t nti = 0;
    CHECK_INT(store_partner_add(st, &p, key, &gsn, 1, NULL, 0, &nti), STORE_OK);

    struct item_version *items;
    size_t n;
    int more;
    int64_t next = 0, last = 0;
    CHECK_INT(store_item_log_last(st, &last), STORE_OK);
    CHECK_INT(store_items_after(st, a, nti, 0, 10, &items, &n, &next, &more), STORE_OK);
    CHECK_INT((int)n, 1);
    CHECK_INT(n ? items[0].article_id : 0, first);
    CHECK_INT(more, 1);
    CHECK_INT(next, ITEMS_WINDOW); /* the window's end: the log's seqs here are 1, 2, 3 … */
    CHECK_INT(store_items_after(st, a, nti, next, 10, &items, &n, &next, &more), STORE_OK);
    CHECK_INT((int)n, 1);
    CHECK_INT(n ? items[0].article_id : 0, second);
    CHECK_INT(more, 0);
    CHECK_INT(next, last);
    /* nothing after the end, and the cursor stays */
    CHECK_INT(store_items_after(st, a, nti, next, 10, &items, &n, &next, &more), STORE_OK);
    CHECK_INT((int)n, 0);
    CHECK_INT(more, 0);
    CHECK_INT(next, last);
    arena_free(a);
    store_close(st);
    tmpdb_remove(&t);
}

void suite_items(void)
{
    RUN(test_newsroom_life);
    RUN(test_products_and_paging);
    RUN(test_window);
}
