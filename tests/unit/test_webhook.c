/*
 * test_webhook.c: tests of webhook.h (the signing secret's shape; the signature against
 * Python's hmac; the addresses refused without webhook_allow_private, IPv4, IPv6, mapped and
 * NAT64; the URL checks at registration; the retry delays) and of the webhooks part of store.h
 * on a fresh database (SQLite, or PostgreSQL under BROADSHEET_TEST_STORE_PG): a webhook starts
 * at the log's end, is claimed only with something past its cursor and by one owner at a time,
 * records deliveries and failures only under its lease, never moves its cursor back, keeps its
 * delivery log newest first and pruned, and its lookups are index searches.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "check.h"
#include "partner.h"
#include "store.h"
#include "test_support.h"
#include "webhook.h"

/* ---- the secret and the signature ----------------------------------------------------------- */

static void test_secret_shape(void)
{
    char a[WEBHOOK_SECRET_LEN + 1], b[WEBHOOK_SECRET_LEN + 1];
    CHECK_INT(webhook_secret_new(a), 0);
    CHECK_INT(webhook_secret_new(b), 0);
    CHECK_INT((int)strlen(a), 47);
    CHECK(strncmp(a, "bsw_", 4) == 0);
    CHECK(strspn(a + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 43);
    CHECK(strcmp(a, b) != 0);
}

static void test_signature(void)
{
    char sig[WEBHOOK_SIGNATURE_MAX];
    /* Python: hmac.new(b'bsw_test-secret', b'1700000000.{"a":1}', hashlib.sha256).hexdigest() */
    webhook_signature("bsw_test-secret", 1700000000, "{\"a\":1}", 7, sig);
    CHECK_STR(sig,
              "t=1700000000,v1=30dfbf5d2fd61cc7f3d252066debb39d534022c710c9f09e52545fe1f2c99ab9");
    /* Each part counts: the secret, the time and the body. */
    char other[WEBHOOK_SIGNATURE_MAX];
    webhook_signature("bsw_test-secreT", 1700000000, "{\"a\":1}", 7, other);
    CHECK(strcmp(sig + 16, other + 16) != 0);
    webhook_signature("bsw_test-secret", 1700000001, "{\"a\":1}", 7, other);
    CHECK(strcmp(sig + 16, other + 16) != 0);
    webhook_signature("bsw_test-secret", 1700000000, "{\"a\":2}", 7, other);
    CHECK(strcmp(sig + 16, other + 16) != 0);
    /* The body's length is what is signed, not up to a NUL. */
    webhook_signature("bsw_test-secret", 1700000000, "{\"a\":1}trailing", 7, other);
    CHECK_STR(other, sig);
}

/* ---- addresses and URLs --------------------------------------------------------------------- */

/* webhook_address_refused for an address as text, "(ok)" when allowed. */
static const char *refused(const char *text)
{
    struct sockaddr_in in = {.sin_family = AF_INET};
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
    const char *why;
    if (inet_pton(AF_INET, text, &in.sin_addr) == 1)
        why = webhook_address_refused((const struct sockaddr *)&in);
    else if (inet_pton(AF_INET6, text, &in6.sin6_addr) == 1)
        why = webhook_address_refused((const struct sockaddr *)&in6);
    else
        return "(not an address)";
    return why ? why : "(ok)";
}

static void test_addresses(void)
{
    static const struct {
        const char *address, *want;
    } cases[] = {
        {"93.184.215.14", "(ok)"},
        {"8.8.8.8", "(ok)"},
        {"2606:2800:21f:cb07:6820:80da:af6b:8b2c", "(ok)"},
        {"127.0.0.1", "loopback"},
        {"127.255.255.254", "loopback"},
        {"0.0.0.0", "unspecified"},
        {"10.0.0.1", "private"},
        {"10.255.255.255", "private"},
        {"172.15.255.255", "(ok)"},
        {"172.16.0.1", "private"},
        {"172.31.255.255", "private"},
        {"172.32.0.0", "(ok)"},
        {"192.168.1.1", "private"},
        {"100.64.0.1", "private"},
        {"100.127.255.255", "private"},
        {"100.128.0.0", "(ok)"},
        {"169.254.169.254", "link-local"}, /* the cloud metadata service */
        {"224.0.0.1", "multicast"},
        {"255.255.255.255", "reserved"},
        {"::", "unspecified"},
        {"::1", "loopback"},
        {"fe80::1", "link-local"},
        {"febf:ffff::1", "link-local"},
        {"fc00::1", "unique-local"},
        {"fd12:3456::1", "unique-local"},
        {"ff02::1", "multicast"},
        {"::ffff:127.0.0.1", "loopback"}, /* IPv4-mapped */
        {"::ffff:10.1.2.3", "private"},
        {"::ffff:169.254.169.254", "link-local"},
        {"::ffff:8.8.8.8", "(ok)"},
        {"64:ff9b::7f00:1", "loopback"}, /* NAT64 of 127.0.0.1 */
        {"64:ff9b::a9fe:a9fe", "link-local"},
        {"64:ff9b::808:808", "(ok)"},
        {"::127.0.0.1", "reserved"}, /* IPv4-compatible, deprecated */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *got = refused(cases[i].address);
        if (strcmp(got, cases[i].want) != 0)
            fprintf(stderr, "    %s\n", cases[i].address);
        CHECK_STR(got, cases[i].want);
    }
    struct sockaddr other = {.sa_family = AF_UNIX};
    CHECK_STR(webhook_address_refused(&other), "not an IP address");
}

static void test_urls(void)
{
    static const struct {
        const char *url;
        int allow_private, ok;
        const char *says; /* in the problem */
    } cases[] = {
        {"https://hooks.example.com/broadsheet", 0, 1, NULL},
        {"http://hooks.example.com:8080/x?y=1", 0, 1, NULL},
        {"HTTPS://Hooks.Example.com/", 0, 1, NULL},
        {"https://93.184.215.14/", 0, 1, NULL},
        {"http://127.0.0.1:9000/", 0, 0, "loopback"},
        {"http://127.0.0.1:9000/", 1, 1, NULL},
        {"http://localhost/", 0, 0, "loopback"},
        {"http://api.localhost/", 0, 0, "loopback"},
        {"http://[::1]/", 0, 0, "loopback"},
        {"http://[::ffff:192.168.0.1]/", 0, 0, "private"},
        {"http://[fe80::1%25eth0]/", 0, 0, "link-local"},
        {"http://169.254.169.254/latest/meta-data/", 0, 0, "link-local"},
        {"http://2130706433/", 0, 0, "loopback"}, /* 127.0.0.1 as one number */
        {"http://0x7f.1/", 0, 0, "loopback"},
        {"ftp://hooks.example.com/", 0, 0, "http or https"},
        {"file:///etc/passwd", 0, 0, "http or https"},
        {"gopher://hooks.example.com/", 1, 0, "http or https"},
        {"https://user:pw@hooks.example.com/", 0, 0, "user name or password"},
        {"https://user@hooks.example.com/", 0, 0, "user name or password"},
        {"hooks.example.com/x", 0, 0, "not an absolute URL"},
        {"http:/hooks.example.com/x", 0, 0, "not an absolute URL"}, /* curl would take it */
        {"http:hooks.example.com/x", 0, 0, "not an absolute URL"},
        {"", 0, 0, "empty"},
        {"https://hooks.example.com/a b", 0, 0, "space"},
        {"https://hooks.example.com/\n", 0, 0, "control"},
        {"https://hooks.example.com/caf\xc3\xa9", 0, 0, "outside ASCII"},
        {"https://", 0, 0, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char why[256] = "";
        int rc = webhook_url_check(cases[i].url, cases[i].allow_private, why, sizeof why);
        if ((rc == 0) != cases[i].ok || (cases[i].says && !strstr(why, cases[i].says)))
            fprintf(stderr, "    %s: %d %s\n", cases[i].url, rc, why);
        CHECK_INT(rc == 0, cases[i].ok);
        if (cases[i].says)
            CHECK(strstr(why, cases[i].says) != NULL);
    }
    char long_url[WEBHOOK_URL_MAX + 64], why[256];
    int n = snprintf(long_url, sizeof long_url, "https://hooks.example.com/");
    memset(long_url + n, 'a', WEBHOOK_URL_MAX - (size_t)n);
    long_url[WEBHOOK_URL_MAX] = '\0';
    CHECK_INT(webhook_url_check(long_url, 0, why, sizeof why), 0); /* 2000 bytes exactly */
    strcat(long_url, "a");
    CHECK_INT(webhook_url_check(long_url, 0, why, sizeof why), -1);
    CHECK(strstr(why, "longer than 2000") != NULL);
}

static void test_retry_delay(void)
{
    /* No jitter (random 0): base, doubling, capped at an hour. */
    CHECK_INT(webhook_retry_delay(1, 10, 0), 10);
    CHECK_INT(webhook_retry_delay(2, 10, 0), 20);
    CHECK_INT(webhook_retry_delay(3, 10, 0), 40);
    CHECK_INT(webhook_retry_delay(9, 10, 0), 2560);
    CHECK_INT(webhook_retry_delay(10, 10, 0), 3600);
    CHECK_INT(webhook_retry_delay(1000, 10, 0), 3600);
    CHECK_INT(webhook_retry_delay(1, 1, 0), 1);
    CHECK_INT(webhook_retry_delay(1, 1, 12345), 1); /* never below 1 */
    /* The retry's second is rounded up: never sooner than the delay. */
    CHECK_INT(webhook_retry_at(12000, 1), 13);
    CHECK_INT(webhook_retry_at(12001, 1), 14);
    CHECK_INT(webhook_retry_at(12999, 10), 23);
    /* Jitter takes at most a quarter off, and does take some. */
    int64_t least = 3600;
    for (uint32_t r = 0; r < 5000; r += 7) {
        int64_t d = webhook_retry_delay(3, 10, r);
        CHECK(d >= 30 && d <= 40);
        if (d < least)
            least = d;
        CHECK(webhook_retry_delay(20, 10, r * 2654435761u) >= 2700);
    }
    CHECK_INT(least, 30);
}

/* ---- the store ------------------------------------------------------------------------------ */

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

/* Saves an article slug of publication gsn (section security) into st: its id. */
static int64_t add_article(struct store *st, const char *slug, int64_t published_at)
{
    char err[256] = "";
    struct article_input in = {.slug = slug,
                               .headline = "A headline",
                               .dek = "",
                               .byline = "",
                               .publication_slug = "gsn",
                               .section_slug = "security",
                               .body_markdown = "Body.",
                               .body_html = "<p>Body.</p>\n",
                               .published_at = published_at,
                               .access = ACCESS_FREE};
    CHECK_INT(store_articles_save(st, &in, 1, err, sizeof err), STORE_OK);
    struct arena *a = arena_new(0);
    struct article art = {0};
    CHECK_INT(store_article_by_slug(st, a, slug, &art), STORE_OK);
    arena_free(a);
    return art.id;
}

static int64_t log_end(struct store *st)
{
    int64_t last = -1;
    CHECK_INT(store_item_log_last(st, &last), STORE_OK);
    return last;
}

static void test_store_webhooks(void)
{
    struct tmpdb t;
    char err[256] = "";
    if (tmpdb_make(&t, "webhooks") != 0)
        return;
    struct store *st = store_open(t.path, err, sizeof err);
    CHECK(st != NULL);
    if (!st)
        return;
    struct arena *a = arena_new(0);
    struct publication gsn = {.slug = "gsn", .name = "Global Security Newswire"};
    struct publication nj = {.slug = "nj", .name = "National Journal", .is_host = 1};
    struct section security = {.slug = "security", .name = "Security", .position = 1};
    CHECK_INT(store_publication_save(st, &gsn, err, sizeof err), STORE_OK);
    CHECK_INT(store_publication_save(st, &nj, err, sizeof err), STORE_OK);
    CHECK_INT(store_section_save(st, &security, err, sizeof err), STORE_OK);
    add_article(st, "before-the-webhook", 1700000000);
    CHECK_INT(store_publication_by_slug(st, a, "gsn", &gsn), STORE_OK);
    char key[PARTNER_KEY_LEN + 1];
    CHECK_INT(partner_key_new(key), 0);
    struct partner nti = {.slug = "nti", .name = "NTI", .content = "full"};
    int64_t pid = 0;
    CHECK_INT(store_partner_add(st, &nti, key, &gsn.id, 1, NULL, 0, &pid), STORE_OK);

    /* A new webhook starts at the log's end; a second is refused; a missing partner's too. */
    int64_t end = log_end(st);
    CHECK(end > 0);
    CHECK_INT(store_webhook_add(st, pid, "https://hooks.example.com/a", "bsw_one", 1000), STORE_OK);
    CHECK_INT(store_webhook_add(st, pid, "https://hooks.example.com/b", "bsw_two", 1000),
              STORE_CONFLICT);
    CHECK_INT(store_webhook_add(st, pid + 999, "https://hooks.example.com/b", "bsw_two", 1000),
              STORE_NOT_FOUND);
    struct partner_webhook w;
    CHECK_INT(store_webhook_get(st, a, pid, &w), STORE_OK);
    CHECK_STR(w.url, "https://hooks.example.com/a");
    CHECK_STR(w.secret, "bsw_one");
    CHECK_STR(w.partner_slug, "nti");
    CHECK_STR(w.content, "full");
    CHECK_INT(w.cursor, end);
    CHECK_INT(w.attempts, 0);
    CHECK_INT(store_webhook_get(st, a, pid + 999, &w), STORE_NOT_FOUND);

    /* Nothing past the cursor: nothing to claim. */
    struct partner_webhook *list;
    size_t n;
    CHECK_INT(store_webhooks_claim(st, a, "worker-a", 2000, 2100, 8, &list, &n), STORE_OK);
    CHECK_INT(n, 0);
    /* A new version: claimed by one worker, not by a second while leased. */
    int64_t art = add_article(st, "after-the-webhook", 1700000100);
    int64_t seq = log_end(st);
    CHECK(seq > end);
    CHECK_INT(store_webhooks_claim(st, a, "worker-a", 2000, 2100, 8, &list, &n), STORE_OK);
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK_INT(list[0].partner_id, pid);
        CHECK_STR(list[0].lease_owner, "worker-a");
        CHECK_INT(list[0].lease_until, 2100);
        CHECK_INT(list[0].cursor, end);
    }
    CHECK_INT(store_webhooks_claim(st, a, "worker-b", 2001, 2101, 8, &list, &n), STORE_OK);
    CHECK_INT(n, 0);
    /* The item the worker reads next is the new article's. */
    struct item_version *items;
    int more;
    int64_t next;
    CHECK_INT(store_items_after(st, a, pid, end, 1, &items, &n, &next, &more), STORE_OK);
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK_INT(items[0].article_id, art);
        CHECK_INT(items[0].seq, seq);
    }

    /* Only the owner records; a delivery moves the cursor, never back. */
    CHECK_INT(store_webhook_delivered(st, pid, "worker-b", seq, 200, 2200), STORE_NOT_FOUND);
    CHECK_INT(store_webhook_get(st, a, pid, &w), STORE_OK);
    CHECK_INT(w.cursor, end);
    CHECK_INT(store_webhook_delivered(st, pid, "worker-a", seq, 204, 2200), STORE_OK);
    CHECK_INT(store_webhook_delivered(st, pid, "worker-a", end, 200, 2200), STORE_OK);
    CHECK_INT(store_webhook_get(st, a, pid, &w), STORE_OK);
    CHECK_INT(w.cursor, seq);
    CHECK_INT(w.lease_until, 2200);
    CHECK_INT(w.last_status, 200);

    /* A failure ends the lease and waits; the next attempt is claimable only when due. */
    int64_t art2 = add_article(st, "a-third", 1700000200);
    int64_t seq2 = log_end(st);
    CHECK_INT(store_webhook_failed(st, pid, "worker-b", 2500, 500, "HTTP status 500"),
              STORE_NOT_FOUND);
    CHECK_INT(store_webhook_failed(st, pid, "worker-a", 2500, 500, "HTTP status 500"), STORE_OK);
    CHECK_INT(store_webhook_get(st, a, pid, &w), STORE_OK);
    CHECK_INT(w.attempts, 1);
    CHECK_INT(w.next_attempt_at, 2500);
    CHECK_STR(w.lease_owner, "");
    CHECK_STR(w.last_error, "HTTP status 500");
    CHECK_INT(w.cursor, seq);
    CHECK_INT(store_webhooks_claim(st, a, "worker-b", 2499, 2600, 8, &list, &n), STORE_OK);
    CHECK_INT(n, 0);
    CHECK_INT(store_webhooks_claim(st, a, "worker-b", 2500, 2600, 8, &list, &n), STORE_OK);
    CHECK_INT(n, 1);
    if (n == 1)
        CHECK_INT(list[0].attempts, 1);
    /* A lease that ran out is anyone's: worker-a takes it from worker-b. */
    CHECK_INT(store_webhooks_claim(st, a, "worker-a", 2600, 2700, 8, &list, &n), STORE_OK);
    CHECK_INT(n, 1);
    CHECK_INT(store_webhook_delivered(st, pid, "worker-b", seq2, 200, 2800), STORE_NOT_FOUND);
    /* Released with a cursor past versions outside the product; never back. */
    CHECK_INT(store_webhook_release(st, pid, "worker-a", seq2), STORE_OK);
    CHECK_INT(store_webhook_release(st, pid, "worker-a", seq2), STORE_NOT_FOUND);
    CHECK_INT(store_webhook_get(st, a, pid, &w), STORE_OK);
    CHECK_INT(w.cursor, seq2);
    CHECK_STR(w.lease_owner, "");
    (void)art2;

    /* The delivery log: newest first, pruned to the newest few. */
    for (int i = 1; i <= 5; i++) {
        struct webhook_delivery d = {.seq = seq2,
                                     .article_id = art2,
                                     .version = 1,
                                     .attempt = i,
                                     .status = i == 5 ? 200 : 0,
                                     .error = i == 5 ? "" : "no answer",
                                     .duration_ms = 10 * i,
                                     .at = 3000 + i};
        CHECK_INT(store_webhook_log(st, pid, &d), STORE_OK);
    }
    struct webhook_delivery *log;
    CHECK_INT(store_webhook_deliveries(st, a, pid, 3, &log, &n), STORE_OK);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_INT(log[0].attempt, 5);
        CHECK_INT(log[0].status, 200);
        CHECK_STR(log[0].error, "");
        CHECK_INT(log[2].attempt, 3);
        CHECK_STR(log[2].error, "no answer");
        CHECK_INT(log[2].duration_ms, 30);
        CHECK_INT(log[2].at, 3003);
        CHECK_INT(log[2].article_id, art2);
    }
    CHECK_INT(store_webhook_deliveries(st, a, pid, 0, &log, &n), STORE_ERROR);
    CHECK_INT(store_webhook_prune(st, 2), STORE_OK);
    CHECK_INT(store_webhook_deliveries(st, a, pid, 10, &log, &n), STORE_OK);
    CHECK_INT(n, 2);
    if (n == 2)
        CHECK_INT(log[1].attempt, 4);
    CHECK_INT(store_webhook_prune(st, 2), STORE_OK); /* nothing more to do */
    CHECK_INT(tdb_int(&t, "SELECT count(*) FROM webhook_deliveries"), 2);

    /* URL and secret changes; removal; the partner's removal takes the log. */
    CHECK_INT(store_webhook_set_url(st, pid, "https://hooks.example.com/c"), STORE_OK);
    CHECK_INT(store_webhook_set_secret(st, pid, "bsw_three"), STORE_OK);
    CHECK_INT(store_webhook_get(st, a, pid, &w), STORE_OK);
    CHECK_STR(w.url, "https://hooks.example.com/c");
    CHECK_STR(w.secret, "bsw_three");
    CHECK_INT(w.attempts, 0);
    CHECK_INT(w.cursor, seq2);
    CHECK_INT(store_webhook_remove(st, pid), STORE_OK);
    CHECK_INT(store_webhook_remove(st, pid), STORE_NOT_FOUND);
    CHECK_INT(store_webhook_set_url(st, pid, "https://x.example/"), STORE_NOT_FOUND);
    CHECK_INT(store_webhook_set_secret(st, pid, "bsw_x"), STORE_NOT_FOUND);
    CHECK_INT(tdb_int(&t, "SELECT count(*) FROM webhook_deliveries"), 2);
    CHECK_INT(store_partner_remove(st, "nti"), STORE_OK);
    CHECK_INT(tdb_int(&t, "SELECT count(*) FROM webhook_deliveries"), 0);

    /* The worker's lookups are index searches (SQLite's plans; PostgreSQL has the same
     * indexes, scripts/check-pgsql-schema). */
    store_close(st);
    if (!tmpdb_is_pg(&t)) {
        char plan[512];
        sqlite_plan(&t,
                    "SELECT partner_id FROM partner_webhooks WHERE next_attempt_at <= 5 AND "
                    "lease_until <= 5 AND cursor_seq < 9 ORDER BY next_attempt_at, partner_id "
                    "LIMIT 8",
                    plan, sizeof plan);
        CHECK(strstr(plan, "partner_webhooks_due") != NULL && !strstr(plan, "TEMP B-TREE"));
        sqlite_plan(&t,
                    "SELECT id FROM webhook_deliveries WHERE partner_id = 1 ORDER BY id DESC "
                    "LIMIT 20 OFFSET 5",
                    plan, sizeof plan);
        CHECK(strstr(plan, "webhook_deliveries_partner") != NULL && !strstr(plan, "TEMP B-TREE"));
        sqlite_plan(&t, "DELETE FROM webhook_deliveries WHERE partner_id = 1 AND id <= 9", plan,
                    sizeof plan);
        CHECK(strstr(plan, "webhook_deliveries_partner") != NULL);
    }
    arena_free(a);
    tmpdb_remove(&t);
}

void suite_webhook(void)
{
    RUN(test_secret_shape);
    RUN(test_signature);
    RUN(test_addresses);
    RUN(test_urls);
    RUN(test_retry_delay);
    RUN(test_store_webhooks);
}
