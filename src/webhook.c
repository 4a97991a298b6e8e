/*
 * webhook.c: the signature, the address rules and the delivery worker of partners' webhooks.
 * See webhook.h.
 *
 * The worker's loop (one thread, one curl multi handle):
 *
 *   1. Every WEBHOOK_CLAIM_MS, claim due partners (store_webhooks_claim), as many as there is
 *      room for beside the deliveries in flight; for each, start its next item.
 *   2. Starting a partner's next item: the first version of the partner's product after its
 *      cursor (store_items_after, limit 1, which looks at a window of the log at a time and
 *      says where to go on). None: the cursor moves past the rows looked at (all committed:
 *      seq follows commit order, so nothing of the product is skipped) and the lease is given
 *      up; an idle partner is then not claimed again until the log grows. One: make its ninjs
 *      as the API serves it (full or preview), sign it, and add the POST to the multi handle.
 *   3. Wait in curl_multi_poll for at most the time to the next claim (webhooks_stop wakes it).
 *   4. Each finished POST is logged (store_webhook_log) and recorded: a 2xx moves the cursor,
 *      extends the lease and starts the partner's next item at once (step 2); anything else
 *      counts a failure, ends the lease and sets the next attempt a growing delay ahead.
 *
 * A lease lasts WEBHOOK_LEASE_SLACK seconds plus twice webhook_timeout, and a POST ends after
 * webhook_timeout, so a lease only runs out under a live worker when the database refused the
 * outcome for that long; the partner is then delivered again by whoever claims it: at least
 * once, never lost. A database failure is logged once until the database answers again.
 *
 * The log names partners by slug and items by id, version and seq: never the secret, the URL's
 * query (it may hold a partner's token) or the body.
 */
#include "webhook.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "arena.h"
#include "cidr.h"
#include "ninjs.h"
#include "util.h"

#define WEBHOOK_CLAIM_MS 1000          /* how often due partners are looked for */
#define WEBHOOK_LEASE_SLACK 60         /* seconds of a lease beyond two timeouts */
#define WEBHOOK_PRUNE_SECONDS 3600     /* how often the delivery logs are pruned */
#define WEBHOOK_CONNECT_TIMEOUT_MAX 10 /* seconds, at most (webhook_timeout if shorter) */
#define WEBHOOK_OWNER_BYTES 96
#define WEBHOOK_WINDOWS 20 /* windows of the log (ITEMS_WINDOW rows) one look walks, at most */

/* ---- the signature ---------------------------------------------------------------------- */

int webhook_secret_new(char out[WEBHOOK_SECRET_LEN + 1])
{
    if (sodium_init() < 0)
        return -1;
    unsigned char random[32];
    randombytes_buf(random, sizeof random);
    memcpy(out, WEBHOOK_SECRET_PREFIX, sizeof WEBHOOK_SECRET_PREFIX - 1);
    /* 32 bytes are 43 characters; sodium_bin2base64 writes them and a NUL */
    sodium_bin2base64(out + sizeof WEBHOOK_SECRET_PREFIX - 1,
                      WEBHOOK_SECRET_LEN - (sizeof WEBHOOK_SECRET_PREFIX - 1) + 1, random,
                      sizeof random, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(random, sizeof random);
    return 0;
}

void webhook_signature(const char *secret, int64_t timestamp, const char *body, size_t len,
                       char out[WEBHOOK_SIGNATURE_MAX])
{
    char t[24];
    int tlen = snprintf(t, sizeof t, "%lld", (long long)timestamp);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state state;
    /* The key is the secret's whole text, prefix included, as Stripe's is: a partner's code
     * passes the string it was given, without decoding anything. */
    crypto_auth_hmacsha256_init(&state, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&state, (const unsigned char *)t, (unsigned long long)tlen);
    crypto_auth_hmacsha256_update(&state, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&state, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&state, mac);
    sodium_memzero(&state, sizeof state);
    char hex[2 * sizeof mac + 1];
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    snprintf(out, WEBHOOK_SIGNATURE_MAX, "t=%s,v1=%s", t, hex);
}

/* ---- the address rules ------------------------------------------------------------------ */

/* The ranges refused without webhook_allow_private, first match naming the reason. IPv4-mapped
 * addresses match the IPv4 ranges (cidr_contains); NAT64's are unwrapped before. */
static const struct {
    const char *range, *why;
} refused_ranges[] = {
    {"0.0.0.0/8", "unspecified"}, /* 0.0.0.0 reaches this host on Linux */
    {"127.0.0.0/8", "loopback"},
    {"10.0.0.0/8", "private"},
    {"172.16.0.0/12", "private"},
    {"192.168.0.0/16", "private"},
    {"100.64.0.0/10", "private"}, /* shared address space (carrier-grade NAT) */
    {"169.254.0.0/16", "link-local"},
    {"192.0.0.0/24", "reserved"},  /* IETF protocol assignments */
    {"198.18.0.0/15", "reserved"}, /* benchmarking, used inside networks */
    {"224.0.0.0/4", "multicast"},
    {"240.0.0.0/4", "reserved"}, /* and the broadcast address */
    {"::/128", "unspecified"},
    {"::1/128", "loopback"},
    {"fe80::/10", "link-local"},
    {"fec0::/10", "private"}, /* site-local, deprecated but routed by some */
    {"fc00::/7", "unique-local"},
    {"ff00::/8", "multicast"},
    {"::/96", "reserved"},    /* IPv4-compatible, deprecated */
    {"100::/64", "reserved"}, /* discard-only */
};

/* 1 if addr (16 bytes) is in the NAT64 prefixes 64:ff9b::/96 or 64:ff9b:1::/48 (RFC 6052, 8215),
 * which carry an IPv4 address in their last four bytes. */
static int is_nat64(const unsigned char addr[16])
{
    static const unsigned char well_known[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    static const unsigned char local_use[6] = {0, 0x64, 0xff, 0x9b, 0, 1};
    return !memcmp(addr, well_known, sizeof well_known) ||
           !memcmp(addr, local_use, sizeof local_use);
}

/* webhook_address_refused for an address as family and bytes (network order). */
static const char *address_refused(int family, const unsigned char *addr)
{
    char text[CIDR_IP_TEXT_MAX];
    if (family == AF_INET6 && is_nat64(addr))
        return address_refused(AF_INET, addr + 12);
    if (!inet_ntop(family, addr, text, sizeof text))
        return "not an IP address";
    for (size_t i = 0; i < sizeof refused_ranges / sizeof *refused_ranges; i++) {
        struct cidr range;
        if (cidr_parse(refused_ranges[i].range, &range) == 0 && cidr_contains(&range, text))
            return refused_ranges[i].why;
    }
    return NULL;
}

const char *webhook_address_refused(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        return address_refused(AF_INET, (const unsigned char *)&in->sin_addr);
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        return address_refused(AF_INET6, in6->sin6_addr.s6_addr);
    }
    return "not an IP address";
}

/* Writes why (printf) into the caller's buffer and returns -1. */
__attribute__((format(printf, 3, 4))) static int problem(char *why, size_t size, const char *fmt,
                                                         ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
    return -1;
}

int webhook_url_check(const char *url, int allow_private, char *why, size_t size)
{
    size_t len = url ? strlen(url) : 0;
    if (len == 0)
        return problem(why, size, "the URL is empty");
    if (len > WEBHOOK_URL_MAX)
        return problem(why, size, "the URL is longer than %d bytes", WEBHOOK_URL_MAX);
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= ' ' || *p >= 0x7f)
            return problem(why, size,
                           "the URL has a space, a control character or a byte outside ASCII "
                           "(percent-encode it)");
    CURLU *u = curl_url();
    char *scheme = NULL, *user = NULL, *password = NULL, *host = NULL;
    int rc = -1;
    if (!u) {
        rc = problem(why, size, "cannot read the URL (out of memory)");
        goto out;
    }
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
        rc = problem(why, size, "'%s' is not an absolute URL (http://… or https://…)", url);
        goto out;
    }
    if (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0) {
        rc = problem(why, size, "a webhook URL is http or https, not %s", scheme);
        goto out;
    }
    /* curl also reads "http:/host" and "http:host"; a registered URL is written out in full. */
    size_t scheme_len = strlen(scheme);
    if (strncasecmp(url, scheme, scheme_len) != 0 || strncmp(url + scheme_len, "://", 3) != 0) {
        rc = problem(why, size, "'%s' is not an absolute URL (http://… or https://…)", url);
        goto out;
    }
    if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
        curl_url_get(u, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK) {
        rc = problem(why, size,
                     "the URL carries a user name or password; leave credentials out (each "
                     "delivery is signed instead)");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host) {
        rc = problem(why, size, "the URL has no host");
        goto out;
    }
    if (!allow_private) {
        /* A literal address, "[v6]" or dotted IPv4 (curl writes other IPv4 spellings, 127.1 or
         * 2130706433, as dotted quads); names are judged when they resolve, at each connect. */
        char literal[CIDR_IP_TEXT_MAX + 2];
        size_t hlen = strlen(host);
        if (host[0] == '[' && hlen >= 2 && hlen - 2 < sizeof literal) {
            memcpy(literal, host + 1, hlen - 2);
            literal[hlen - 2] = '\0';
            char *zone = strchr(literal, '%');
            if (zone)
                *zone = '\0';
        } else {
            snprintf(literal, sizeof literal, "%s", host);
        }
        int family;
        unsigned char addr[16];
        const char *refused = NULL;
        if (ip_parse(literal, &family, addr) == 0)
            refused = address_refused(family, addr);
        else if (!strcasecmp(host, "localhost") ||
                 (hlen > 10 && !strcasecmp(host + hlen - 10, ".localhost")))
            refused = "loopback";
        if (refused) {
            rc = problem(why, size, "%s is a %s address, refused unless webhook_allow_private is 1",
                         host, refused);
            goto out;
        }
    }
    rc = 0;
out:
    curl_free(scheme);
    curl_free(user);
    curl_free(password);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

int64_t webhook_retry_delay(int attempts, int base, uint32_t random)
{
    int64_t delay = base > 0 ? base : 1;
    for (int i = 1; i < attempts && delay < WEBHOOK_RETRY_MAX; i++)
        delay *= 2;
    if (delay > WEBHOOK_RETRY_MAX)
        delay = WEBHOOK_RETRY_MAX;
    delay -= (int64_t)(random % (uint32_t)(delay / 4 + 1));
    return delay > 0 ? delay : 1;
}

int64_t webhook_retry_at(int64_t now_ms, int64_t delay)
{
    return (now_ms + delay * 1000 + 999) / 1000;
}

/* ---- the delivery worker ---------------------------------------------------------------- */

/* One partner's delivery in flight (or about to be). Owned by the worker thread. */
struct transfer {
    struct webhooks *w;
    CURL *easy;
    struct curl_slist *headers;
    int64_t partner_id;
    char *slug;   /* for the log */
    char *url;    /* heap copies: the claim's arena is reset between claims */
    char *secret; /* zeroed when freed */
    int preview;  /* the partner's content is the preview */
    int attempts; /* failures since its last 2xx */
    int64_t cursor;
    int64_t seq, article_id, version; /* the item being delivered */
    char *body;
    int64_t started_ms;
    char refused[CIDR_IP_TEXT_MAX + 96]; /* why the address check refused a connection */
    char curl_error[CURL_ERROR_SIZE];
};

struct webhooks {
    struct store *store;
    const struct config *config;
    char *site_url;
    char owner[WEBHOOK_OWNER_BYTES]; /* this worker in lease_owner: host, pid, random */
    int lease_seconds;
    CURLM *multi;
    struct transfer *active[WEBHOOK_CONCURRENT];
    size_t nactive;
    pthread_t thread;
    pthread_mutex_t lock;
    int stopping;  /* under lock */
    int db_failed; /* a database failure was logged and not yet followed by a success */
    /* for /metrics (webhooks_counts): written by the worker, read by any thread, atomically */
    uint64_t delivered, failed, in_flight;
};

static void transfer_free(struct transfer *t)
{
    if (!t)
        return;
    if (t->easy) {
        curl_multi_remove_handle(t->w->multi, t->easy);
        curl_easy_cleanup(t->easy);
    }
    curl_slist_free_all(t->headers);
    if (t->secret) {
        sodium_memzero(t->secret, strlen(t->secret));
        free(t->secret);
    }
    free(t->slug);
    free(t->url);
    free(t->body);
    free(t);
}

/* Notes a database failure (once, until the database answers again) and returns -1. */
static int database_failed(struct webhooks *w, const char *what)
{
    if (!w->db_failed)
        fprintf(stderr, "broadsheet: webhooks: the database failed (%s); deliveries wait for it\n",
                what);
    w->db_failed = 1;
    return -1;
}

/* Discards the partner's answer: only its status is kept. */
static size_t discard(char *data, size_t size, size_t n, void *ctx)
{
    (void)data;
    (void)ctx;
    return size * n;
}

/* Opens the socket for a connection curl is about to make, unless the address is refused (the
 * transfer then fails with the reason in t->refused). Called for every address of the name,
 * at every connect: what is checked is what is connected to. */
static curl_socket_t open_socket(void *ctx, curlsocktype purpose, struct curl_sockaddr *address)
{
    struct transfer *t = ctx;
    (void)purpose;
    if (!t->w->config->webhook_allow_private) {
        const char *why = webhook_address_refused(&address->addr);
        if (why) {
            char text[CIDR_IP_TEXT_MAX] = "?";
            const struct sockaddr *sa = &address->addr;
            if (sa->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, text,
                          sizeof text);
            else if (sa->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
                          text, sizeof text);
            snprintf(t->refused, sizeof t->refused,
                     "address %s refused: %s (webhook_allow_private is 0)", text, why);
            return CURL_SOCKET_BAD;
        }
    }
    return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

/* Gives up t's lease with the cursor at cursor (0: where it is) and frees t. */
static void release(struct webhooks *w, struct transfer *t, int64_t cursor)
{
    int rc = store_webhook_release(w->store, t->partner_id, w->owner, cursor);
    if (rc == STORE_ERROR)
        database_failed(w, "giving up a lease");
    transfer_free(t);
}

/* Builds and adds the POST of item v for t. 0, or -1 (t's lease given up, t freed). */
static int post_item(struct webhooks *w, struct transfer *t, struct arena *a,
                     const struct item_version *v)
{
    struct publication pub;
    int have = store_publication_by_id(w->store, a, v->publication_id, &pub);
    if (have == STORE_ERROR) {
        database_failed(w, "reading a publication");
        release(w, t, 0);
        return -1;
    }
    struct ninjs_site site = {w->config->site_name, w->site_url, w->config->preview_paragraphs};
    json_t *item = ninjs_version_item(v, have == STORE_OK ? &pub : NULL, &site, t->preview);
    free(t->body);
    t->body = item ? json_dumps(item, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(item);
    if (!t->body) {
        fprintf(stderr, "broadsheet: webhook %s: cannot make item %lld's ninjs\n", t->slug,
                (long long)v->article_id);
        release(w, t, 0);
        return -1;
    }
    t->seq = v->seq;
    t->article_id = v->article_id;
    t->version = v->version;
    t->refused[0] = t->curl_error[0] = '\0';
    char signature[WEBHOOK_SIGNATURE_MAX], line[160];
    webhook_signature(t->secret, util_now(), t->body, strlen(t->body), signature);
    curl_slist_free_all(t->headers);
    t->headers = NULL;
    t->headers = curl_slist_append(t->headers, "Content-Type: application/json");
    t->headers = curl_slist_append(t->headers, "Expect:"); /* no 100-continue round trip */
    snprintf(line, sizeof line, "Broadsheet-Signature: %s", signature);
    t->headers = curl_slist_append(t->headers, line);
    snprintf(line, sizeof line, "Broadsheet-Item: %lld", (long long)v->article_id);
    t->headers = curl_slist_append(t->headers, line);
    snprintf(line, sizeof line, "Broadsheet-Version: %lld", (long long)v->version);
    t->headers = curl_slist_append(t->headers, line);
    snprintf(line, sizeof line, "Broadsheet-Delivery: %lld", (long long)v->seq);
    t->headers = curl_slist_append(t->headers, line);
    if (!t->easy && !(t->easy = curl_easy_init())) {
        fprintf(stderr, "broadsheet: webhook %s: cannot start a request (libcurl)\n", t->slug);
        release(w, t, 0);
        return -1;
    }
    CURL *e = t->easy;
    long timeout = w->config->webhook_timeout;
    curl_easy_setopt(e, CURLOPT_URL, t->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROXY, ""); /* a proxy would be what the address check saw */
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, timeout);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT,
                     timeout < WEBHOOK_CONNECT_TIMEOUT_MAX ? timeout : WEBHOOK_CONNECT_TIMEOUT_MAX);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "Broadsheet-Webhooks/1");
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(t->body));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->curl_error);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    t->started_ms = util_monotonic_ms();
    if (curl_multi_add_handle(w->multi, e) != CURLM_OK) {
        fprintf(stderr, "broadsheet: webhook %s: cannot start a request (libcurl)\n", t->slug);
        curl_easy_cleanup(t->easy);
        t->easy = NULL;
        release(w, t, 0);
        return -1;
    }
    w->active[w->nactive++] = t;
    __atomic_store_n(&w->in_flight, (uint64_t)w->nactive, __ATOMIC_RELAXED);
    return 0;
}

/* Starts t's partner's next item after t->cursor, or, when there is none, moves its cursor
 * past what the log held and gives up the lease (t freed). */
static void start_next(struct webhooks *w, struct transfer *t, struct arena *a)
{
    struct item_version *items;
    size_t n = 0;
    int more = 1;
    int64_t next = t->cursor;
    /* Each call looks at ITEMS_WINDOW rows of the log at most and says where to go on: a
     * partner whose product is a sliver of a long log is walked past WEBHOOK_WINDOWS windows
     * at a time, and the rest next second. */
    for (int window = 0; n == 0 && more && window < WEBHOOK_WINDOWS; window++) {
        arena_reset(a);
        if (store_items_after(w->store, a, t->partner_id, next, 1, &items, &n, &next, &more) !=
            STORE_OK) {
            database_failed(w, "reading the item log");
            release(w, t, 0);
            return;
        }
    }
    w->db_failed = 0;
    if (n == 0) {
        /* next is past rows that are all committed (seq follows commit order) and none of
         * which, after the cursor, is the partner's. */
        release(w, t, next);
        return;
    }
    post_item(w, t, a, &items[0]);
}

/* Removes t from the active list (not freed). */
static void forget(struct webhooks *w, struct transfer *t)
{
    for (size_t i = 0; i < w->nactive; i++)
        if (w->active[i] == t) {
            w->active[i] = w->active[--w->nactive];
            __atomic_store_n(&w->in_flight, (uint64_t)w->nactive, __ATOMIC_RELAXED);
            return;
        }
}

/* Records the outcome of t's finished POST (result: curl's) and goes on: the partner's next
 * item after a 2xx, else the next attempt later. */
static void finished(struct webhooks *w, struct transfer *t, CURLcode result, struct arena *a)
{
    forget(w, t);
    curl_multi_remove_handle(w->multi, t->easy);
    long status = 0;
    if (result == CURLE_OK)
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    int64_t now = util_now();
    char error[512] = "";
    int ok = result == CURLE_OK && status >= 200 && status < 300;
    __atomic_add_fetch(ok ? &w->delivered : &w->failed, 1, __ATOMIC_RELAXED);
    if (ok)
        ;
    else if (*t->refused)
        snprintf(error, sizeof error, "%s", t->refused);
    else if (result == CURLE_OPERATION_TIMEDOUT)
        snprintf(error, sizeof error, "no answer within %d s (webhook_timeout)",
                 w->config->webhook_timeout);
    else if (result != CURLE_OK)
        snprintf(error, sizeof error, "%s",
                 *t->curl_error ? t->curl_error : curl_easy_strerror(result));
    else if (status >= 300 && status < 400)
        snprintf(error, sizeof error, "redirect not followed (HTTP %ld)", status);
    else
        snprintf(error, sizeof error, "HTTP status %ld", status);
    struct webhook_delivery d = {.seq = t->seq,
                                 .article_id = t->article_id,
                                 .version = t->version,
                                 .attempt = t->attempts + 1,
                                 .status = (int)status,
                                 .error = error,
                                 .duration_ms = util_monotonic_ms() - t->started_ms,
                                 .at = now};
    if (store_webhook_log(w->store, t->partner_id, &d) != STORE_OK)
        database_failed(w, "logging a delivery");
    if (ok) {
        int rc = store_webhook_delivered(w->store, t->partner_id, w->owner, t->seq, (int)status,
                                         now + w->lease_seconds);
        if (rc != STORE_OK) {
            /* Not recorded: the version is delivered again when the lease ends (or is the
             * other worker's now): at least once. */
            if (rc == STORE_ERROR)
                database_failed(w, "recording a delivery");
            else
                fprintf(stderr, "broadsheet: webhook %s: the lease passed on; leaving it\n",
                        t->slug);
            transfer_free(t);
            return;
        }
        t->cursor = t->seq;
        t->attempts = 0;
        start_next(w, t, a);
        return;
    }
    int64_t delay =
        webhook_retry_delay(t->attempts + 1, w->config->webhook_retry_base, randombytes_random());
    fprintf(stderr,
            "broadsheet: webhook %s: item %lld version %lld (delivery %lld) not delivered "
            "(attempt %d): %s; next attempt in %lld s\n",
            t->slug, (long long)t->article_id, (long long)t->version, (long long)t->seq,
            t->attempts + 1, error, (long long)delay);
    int rc = store_webhook_failed(w->store, t->partner_id, w->owner,
                                  webhook_retry_at(util_now_ms(), delay), (int)status, error);
    if (rc == STORE_ERROR)
        database_failed(w, "recording a failed delivery");
    transfer_free(t);
}

/* Claims due partners, as many as there is room for, and starts each one's next item. */
static void claim(struct webhooks *w, struct arena *a)
{
    if (w->nactive >= WEBHOOK_CONCURRENT || store_unavailable(w->store))
        return;
    struct partner_webhook *list;
    size_t n;
    int64_t now = util_now();
    arena_reset(a);
    if (store_webhooks_claim(w->store, a, w->owner, now, now + w->lease_seconds,
                             WEBHOOK_CONCURRENT - w->nactive, &list, &n) != STORE_OK) {
        database_failed(w, "claiming partners");
        return;
    }
    w->db_failed = 0;
    /* Copied out first: start_next resets the arena the list is in. */
    struct transfer *claimed[WEBHOOK_CONCURRENT];
    for (size_t i = 0; i < n; i++) {
        struct transfer *t = xcalloc(1, sizeof *t);
        t->w = w;
        t->partner_id = list[i].partner_id;
        t->slug = xstrdup(list[i].partner_slug);
        t->url = xstrdup(list[i].url);
        t->secret = xstrdup(list[i].secret);
        t->preview = !strcmp(list[i].content, "preview");
        t->attempts = list[i].attempts;
        t->cursor = list[i].cursor;
        claimed[i] = t;
    }
    for (size_t i = 0; i < n; i++)
        start_next(w, claimed[i], a);
}

/* Runs the multi handle, then handles every finished POST. */
static void progress(struct webhooks *w, struct arena *a)
{
    int running;
    curl_multi_perform(w->multi, &running);
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(w->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct transfer *t = NULL;
        CURLcode result = msg->data.result;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        if (t)
            finished(w, t, result, a);
    }
}

static int stopping(struct webhooks *w)
{
    pthread_mutex_lock(&w->lock);
    int s = w->stopping;
    pthread_mutex_unlock(&w->lock);
    return s;
}

static void *run(void *arg)
{
    struct webhooks *w = arg;
    struct arena *a = arena_new(0);
    int64_t next_claim = 0, next_prune = util_monotonic_ms() + 60 * 1000;
    while (!stopping(w)) {
        int64_t now = util_monotonic_ms();
        if (now >= next_claim) {
            claim(w, a);
            next_claim = now + WEBHOOK_CLAIM_MS;
        }
        if (now >= next_prune) {
            if (!store_unavailable(w->store) &&
                store_webhook_prune(w->store, WEBHOOK_LOG_KEEP) != STORE_OK)
                database_failed(w, "pruning the delivery logs");
            next_prune = now + WEBHOOK_PRUNE_SECONDS * 1000;
        }
        progress(w, a);
        int64_t wait = next_claim - util_monotonic_ms();
        if (wait > 0)
            curl_multi_poll(w->multi, NULL, 0, (int)wait, NULL);
        progress(w, a);
    }
    /* Abandoned in flight: the partners get these versions again from whoever claims them. */
    while (w->nactive) {
        struct transfer *t = w->active[--w->nactive];
        release(w, t, 0);
    }
    store_thread_done(w->store);
    arena_free(a);
    return NULL;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result; /* written once under curl_once, read after it */

/* atexit handler: releases what curl_global_init took, after main returns (libcurl counts its
 * initialisations: mail.c's and stripe.c's are their own). */
static void curl_cleanup_at_exit(void)
{
    curl_global_cleanup();
}

/* pthread_once routine: initialises libcurl for the worker. */
static void curl_init_once(void)
{
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (curl_init_result == CURLE_OK)
        atexit(curl_cleanup_at_exit);
}

struct webhooks *webhooks_start(const struct config *config, struct store *store,
                                const char *site_url)
{
    struct webhooks *w = xcalloc(1, sizeof *w);
    char host[64] = "";
    w->store = store;
    w->config = config;
    w->site_url = xstrdup(site_url);
    w->lease_seconds = WEBHOOK_LEASE_SLACK + 2 * config->webhook_timeout;
    pthread_once(&curl_once, curl_init_once);
    if (sodium_init() < 0 || curl_init_result != CURLE_OK || !(w->multi = curl_multi_init())) {
        fprintf(stderr, "broadsheet: webhooks: cannot initialise libsodium or libcurl\n");
        abort();
    }
    gethostname(host, sizeof host - 1);
    snprintf(w->owner, sizeof w->owner, "%s/%ld/%08x", host, (long)getpid(),
             (unsigned)randombytes_random());
    pthread_mutex_init(&w->lock, NULL);
    if (pthread_create(&w->thread, NULL, run, w) != 0) {
        fprintf(stderr, "broadsheet: cannot start the webhooks thread\n");
        abort();
    }
    return w;
}

void webhooks_stop(struct webhooks *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = 1;
    pthread_mutex_unlock(&w->lock);
    curl_multi_wakeup(w->multi);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->lock);
    curl_multi_cleanup(w->multi);
    free(w->site_url);
    free(w);
}

void webhooks_counts(struct webhooks *w, uint64_t *delivered, uint64_t *failed, uint64_t *in_flight)
{
    *delivered = __atomic_load_n(&w->delivered, __ATOMIC_RELAXED);
    *failed = __atomic_load_n(&w->failed, __ATOMIC_RELAXED);
    *in_flight = __atomic_load_n(&w->in_flight, __ATOMIC_RELAXED);
}
