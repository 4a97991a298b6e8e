/*
 * app.c: the application's set-up, teardown and periodic tick. See app.h.
 */
#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accesslog.h"
#include "ads.h"
#include "auth.h"
#include "db.h"
#include "http.h"
#include "jobs.h"
#include "mailer.h"
#include "most_read.h"
#include "paywall.h"
#include "splice.h"
#include "util.h"
#include "webhook.h"

#define PURGE_INTERVAL 3600 /* seconds between purges of expired sessions and links */
#define FOLLOW_MAX 20000    /* changed tags one tick invalidates one by one; more flush */
#define JOB_QUEUE_MAX 256   /* requests waiting for the job pool; more get 503 */
/* While notifications come, the change log is also read every this many ticks, in case. */
#define LISTEN_POLL_TICKS 10
#define LISTEN_RETRY_MS 1000 /* between attempts to open the listener */

/* The site's name for mail: the host publication's, or the configured one. The string lives in
 * app's scratch arena. */
static const char *site_name(struct app *app, struct store *store)
{
    struct publication *list;
    size_t n;
    if (store_publications(store, app->scratch, &list, &n) == STORE_OK)
        for (size_t i = 0; i < n; i++)
            if (list[i].is_host)
                return list[i].name;
    return app->config->site_name;
}

/* Parses the comma-separated CIDR list of trusted proxies into app. -1 (printed) on a bad one. */
static int parse_trusted_proxies(struct app *app, const char *list)
{
    char *copy = xstrdup(list), *save = NULL;
    int rc = 0;
    for (char *item = strtok_r(copy, ", ", &save); item; item = strtok_r(NULL, ", ", &save)) {
        struct cidr range;
        if (cidr_parse(item, &range) < 0) {
            fprintf(stderr, "broadsheet: trusted_proxies: '%s' is not an address range\n", item);
            rc = -1;
            break;
        }
        app->trusted_proxies =
            xrealloc(app->trusted_proxies, (app->trusted_proxy_count + 1) * sizeof range);
        app->trusted_proxies[app->trusted_proxy_count++] = range;
    }
    free(copy);
    return rc;
}

int app_init(struct app *app, const struct config *config, struct store *store)
{
    char err[1024];
    memset(app, 0, sizeof *app);
    app->config = config;
    app->store = store;
    app->log_fd = -1;
    app->scratch = arena_new(0);
    app->templates = tmpl_set_new(0);
    if (tmpl_set_load_dir(app->templates, config->theme, err, sizeof err) < 0) {
        fprintf(stderr, "broadsheet: theme: %s\n", err);
        return -1;
    }
    static const char *required[] = {"home", "article", "section", "publication", "error"};
    for (size_t i = 0; i < ARRAY_LEN(required); i++) {
        if (!tmpl_set_has(app->templates, required[i])) {
            fprintf(stderr, "broadsheet: theme %s has no %s.mustache\n", config->theme,
                    required[i]);
            return -1;
        }
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/static", config->theme);
    app->assets = assets_load(dir, err, sizeof err);
    if (!app->assets) {
        fprintf(stderr, "broadsheet: theme: %s\n", err);
        return -1;
    }
    app->cache = cache_new(config->cache_bytes);
    /* Facts are tiny: a sixty-fourth of the pages' budget holds them for a million articles. */
    app->facts = cache_new(config->cache_bytes / 64);
    if (store_secret(store, "csrf", app->csrf_key) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot read or create the server secret\n");
        return -1;
    }
    if (auth_init(config->hash_threads) < 0) {
        fprintf(stderr, "broadsheet: cannot initialise libsodium\n");
        return -1;
    }
    app->jobs = jobs_start((unsigned)config->hash_threads, JOB_QUEUE_MAX);
    if (parse_trusted_proxies(app, config->trusted_proxies) < 0)
        return -1;
    app->paywall = paywall_new(config, store, err, sizeof err);
    if (!app->paywall) {
        fprintf(stderr, "broadsheet: %s\n", err);
        return -1;
    }
    app->notes = splice_notes_new();
    app->mailer = mailer_start(config, store, site_name(app, store));
    int failed;
    app->log_fd = accesslog_open(config->access_log, &failed);
    if (failed)
        return -1;
    if (store_change_seq(store, &app->change_seq) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot read the change log\n");
        return -1;
    }
    if (*config->metrics_address) /* counted only when someone can read them */
        app->metrics = http_metrics_new();
    app->most_read = most_read_new(0, config->most_read_count);
    return 0;
}

void app_free(struct app *app)
{
    db_listen_close(app->listener);
    app->listener = NULL;
    jobs_stop(app->jobs);
    app->jobs = NULL;
    mailer_stop(app->mailer);
    app->mailer = NULL;
    webhooks_stop(app->webhooks); /* before the store closes: it gives up its leases */
    app->webhooks = NULL;
    paywall_free(app->paywall);
    splice_notes_free(app->notes);
    free(app->trusted_proxies);
    cache_free(app->cache);
    cache_free(app->facts);
    assets_free(app->assets);
    tmpl_set_free(app->templates);
    free(app->site_url);
    arena_free(app->scratch);
    metrics_free(app->metrics);
    most_read_free(app->most_read);
    if (app->log_fd > STDERR_FILENO)
        close(app->log_fd);
    memset(app, 0, sizeof *app);
    app->log_fd = -1;
}

/* Tags read from the change log in one tick (follow_changes). */
struct changed {
    char **tags;
    size_t n, cap;
    int64_t last; /* the highest sequence number read */
};

static void changed_add(void *ctx, const char *tag, int64_t seq)
{
    struct changed *c = ctx;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->tags = xrealloc(c->tags, c->cap * sizeof *c->tags);
    }
    c->tags[c->n++] = xstrdup(tag);
    if (seq > c->last)
        c->last = seq;
}

/* Drops from the caches what shows anything written since the last tick, by this process or
 * another (store_changes_since). More than FOLLOW_MAX changed tags at once (a large import)
 * flush both caches instead: one pass to drop everything beats looking up that many tags. */
static void follow_changes(struct app *app)
{
    struct changed c = {.last = app->change_seq};
    int n = store_changes_since(app->store, app->change_seq, FOLLOW_MAX + 1, changed_add, &c);
    if (n > FOLLOW_MAX) {
        int64_t seq; /* read before the flush: anything later is seen next tick */
        if (store_change_seq(app->store, &seq) == STORE_OK) {
            cache_flush(app->cache);
            cache_flush(app->facts);
            most_read_follow(app->most_read, NULL, 0);
            __atomic_store_n(&app->change_seq, seq, __ATOMIC_RELAXED);
        }
    } else if (n > 0) {
        cache_invalidate(app->cache, (const char *const *)c.tags, c.n);
        cache_invalidate(app->facts, (const char *const *)c.tags, c.n);
        most_read_follow(app->most_read, (const char *const *)c.tags, c.n);
        __atomic_store_n(&app->change_seq, c.last, __ATOMIC_RELAXED);
    }
    for (size_t i = 0; i < c.n; i++)
        free(c.tags[i]);
    free(c.tags);
}

/* Every tick (APP_TICK_MS), on the server's main thread:
 *   - the page cache and the facts cache drop what shows content changed since the last tick,
 *     here or in another process (follow_changes), so a change is on the site within a tick;
 *     while the change log's notifications come (app_listen_ready reads it as each arrives),
 *     only every LISTEN_POLL_TICKS ticks, in case;
 *   - scheduled articles whose time has come are published (store_articles_publish_due: an
 *     index probe when none is due), so one is on the site within a tick of its time, and the
 *     first tick after a restart publishes what came due while the server was down;
 *   - as each minute begins, the pages tagged clock:minute are dropped (the news sitemap);
 *   - unless the database is unavailable, the article views counted in memory are added to
 *     it and the "Most read" box is made again, every most_read_refresh_seconds
 *     (most_read_tick; sooner, the flush alone, when the counter table is half full; the box
 *     alone, from the database, when the change log named one of its articles:
 *     most_read_follow);
 * every fifth tick, unless the database is unavailable (nothing is lost: they wait for it):
 *   - the organisations' address ranges are reloaded when the paywall version changed
 *     (paywall_refresh);
 *   - the ad impressions and clicks counted in memory since are added to the database
 *     (ads_flush);
 * and once an hour, expired sessions and single-use links are deleted, and the rate limits whose
 * buckets are full again (store_limits_purge). */
void app_tick(struct app *app)
{
    unsigned long tick = ++app->ticks;
    /* The newsroom's scheduled articles (issue 11): publish what is due, before the change log
     * is read, so that its pages follow in this same tick. */
    if (!store_unavailable(app->store))
        store_articles_publish_due(app->store, util_now(), NULL);
    if (!app->listener || tick % LISTEN_POLL_TICKS == 0)
        follow_changes(app);
    /* Pages whose content follows the clock (issue 12: the news sitemap's last 48 hours) carry
     * clock:minute, dropped as each minute begins (cache_expire: no epoch moves). */
    int64_t minute = util_now() / 60;
    if (minute != app->clock_minute) {
        static const char *const clock[] = {"clock:minute"};
        cache_expire(app->cache, clock, 1);
        app->clock_minute = minute;
    }
    if (store_unavailable(app->store))
        return;
    most_read_tick(app->most_read, app->store, app->templates,
                   app->config->most_read_refresh_seconds, util_monotonic_ms(), util_now());
    if (tick % 5)
        return;
    int64_t now = util_now();
    if (now >= app->next_purge) {
        store_accounts_purge(app->store, now);
        store_limits_purge(app->store, util_now_ms());
        app->next_purge = now + PURGE_INTERVAL;
    }
    paywall_refresh(app->paywall, app->store);
    ads_flush(app->store);
}

int app_listen_fd(struct app *app)
{
    if (app->listener)
        return db_listen_fd(app->listener);
    if (!store_can_listen(app->store) || util_monotonic_ms() < app->listen_at_ms)
        return -1;
    char err[512];
    app->listener = store_listen_open(app->store, err, sizeof err);
    if (!app->listener) {
        app->listen_at_ms = util_monotonic_ms() + LISTEN_RETRY_MS;
        if (!app->listen_lost)
            fprintf(stderr,
                    "broadsheet: change notifications: cannot listen (%s); reading the change "
                    "log every %d ms until they are back\n",
                    err, APP_TICK_MS);
        app->listen_lost = 1;
        return -1;
    }
    if (app->listen_lost)
        fprintf(stderr, "broadsheet: change notifications: listening again\n");
    app->listen_lost = 0;
    /* What was committed while no listener was open notified no one. */
    follow_changes(app);
    paywall_refresh(app->paywall, app->store);
    return db_listen_fd(app->listener);
}

void app_listen_ready(struct app *app)
{
    if (!app->listener)
        return;
    int rc = db_listen_drain(app->listener);
    if (rc > 0) {
        follow_changes(app);
        paywall_refresh(app->paywall, app->store);
    } else if (rc < 0) {
        fprintf(stderr,
                "broadsheet: change notifications: lost (%s); reading the change log every "
                "%d ms until they are back\n",
                db_listen_errmsg(app->listener), APP_TICK_MS);
        db_listen_close(app->listener);
        app->listener = NULL;
        app->listen_lost = 1;
        app->listen_at_ms = util_monotonic_ms() + LISTEN_RETRY_MS;
        follow_changes(app);
    }
}

void app_flush(struct app *app)
{
    ads_flush(app->store); /* the last requests' counts */
    most_read_flush(app->most_read, app->store, util_now());
}
