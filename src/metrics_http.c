/*
 * metrics_http.c: the /metrics listener and what a scrape shows. See metrics_http.h.
 */
#include "metrics_http.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "http.h"
#include "jobs.h"
#include "metrics.h"
#include "store.h"
#include "util.h"
#include "webhook.h"

#define SCRAPE_CONNECTIONS 16 /* a scraper or two, and an operator's curl */
#define SCRAPE_TIMEOUT 10     /* seconds an idle scrape connection stays open */

struct metrics_http {
    struct MHD_Daemon *daemon;
    struct app *app;
    struct MHD_Daemon *site;
};

/* Appends one cache's family member: name{cache="which"} value. */
static void cache_sample(struct buf *out, const char *name, const char *which, uint64_t value)
{
    const char *labels[] = {"cache", which, NULL};
    metrics_sample(out, name, labels, value);
}

/* The caches' statistics (cache.h), a family per figure with a sample per cache. */
static void render_caches(struct app *app, struct buf *out)
{
    struct cache_stats pages, facts;
    cache_stats(app->cache, &pages);
    cache_stats(app->facts, &facts);
    static const struct {
        const char *name, *type, *help;
        size_t offset; /* of the figure in struct cache_stats */
        int is_size;   /* a size_t field, else a uint64_t one */
    } figures[] = {
        {"broadsheet_cache_hits_total", "counter", "Lookups that found their entry.",
         offsetof(struct cache_stats, hits), 0},
        {"broadsheet_cache_misses_total", "counter", "Lookups that did not.",
         offsetof(struct cache_stats, misses), 0},
        {"broadsheet_cache_inserts_total", "counter", "Entries added (a replaced key too).",
         offsetof(struct cache_stats, inserts), 0},
        {"broadsheet_cache_stale_total", "counter",
         "Entries not kept: rendered before a change that invalidated them.",
         offsetof(struct cache_stats, stale), 0},
        {"broadsheet_cache_evictions_total", "counter",
         "Entries evicted to keep the byte budget (S3-FIFO).",
         offsetof(struct cache_stats, evictions), 0},
        {"broadsheet_cache_invalidations_total", "counter",
         "Entries dropped because something they show changed.",
         offsetof(struct cache_stats, invalidations), 0},
        {"broadsheet_cache_flushes_total", "counter",
         "Whole-cache flushes (a change too large to follow tag by tag).",
         offsetof(struct cache_stats, flushes), 0},
        {"broadsheet_cache_entries", "gauge", "Entries held.",
         offsetof(struct cache_stats, entries), 1},
        {"broadsheet_cache_bytes", "gauge", "Bytes held, as counted against the budget.",
         offsetof(struct cache_stats, bytes), 1},
        {"broadsheet_cache_budget_bytes", "gauge", "The byte budget (cache_bytes; facts: 1/64).",
         offsetof(struct cache_stats, budget), 1},
    };
    for (size_t i = 0; i < ARRAY_LEN(figures); i++) {
        metrics_family(out, figures[i].name, figures[i].type, figures[i].help);
        const struct cache_stats *each[] = {&pages, &facts};
        const char *which[] = {"pages", "facts"};
        for (size_t c = 0; c < 2; c++) {
            const char *field = (const char *)each[c] + figures[i].offset;
            uint64_t value = figures[i].is_size ? (uint64_t) * (const size_t *)(const void *)field
                                                : *(const uint64_t *)(const void *)field;
            cache_sample(out, figures[i].name, which[c], value);
        }
    }
}

void metrics_http_render(struct app *app, struct MHD_Daemon *site, struct buf *out)
{
    if (app->metrics)
        metrics_render_requests(app->metrics, out);
    render_caches(app, out);

    metrics_family(out, "broadsheet_change_seq", "gauge",
                   "The store's change log, followed (caches invalidated) up to here.");
    /* The main thread moves it every tick; read as it writes, atomically (app.c). */
    int64_t seq = __atomic_load_n(&app->change_seq, __ATOMIC_RELAXED);
    metrics_sample(out, "broadsheet_change_seq", NULL, (uint64_t)seq);

    metrics_family(out, "broadsheet_jobs_queued", "gauge",
                   "Requests waiting for a job thread (at 256 more get 503).");
    metrics_sample(out, "broadsheet_jobs_queued", NULL, app->jobs ? jobs_queued(app->jobs) : 0);

    int64_t waiting;
    if (store_mail_waiting(app->store, &waiting) == STORE_OK) {
        metrics_family(out, "broadsheet_mail_waiting", "gauge",
                       "Messages in the mail queue not yet delivered or given up.");
        metrics_sample(out, "broadsheet_mail_waiting", NULL, (uint64_t)waiting);
    } /* else left out: a scrape shows no figure rather than a wrong one (the error is counted) */

    if (app->webhooks) { /* issue 13: push to partners (webhook.h) */
        uint64_t delivered, failed, in_flight;
        webhooks_counts(app->webhooks, &delivered, &failed, &in_flight);
        metrics_family(out, "broadsheet_webhook_deliveries_total", "counter",
                       "Webhook POSTs to partners since start, by outcome: delivered (2xx) or "
                       "failed (anything else, a refused address, a time-out; retried later).");
        static const char *const ok_labels[] = {"outcome", "delivered", NULL};
        static const char *const failed_labels[] = {"outcome", "failed", NULL};
        metrics_sample(out, "broadsheet_webhook_deliveries_total", ok_labels, delivered);
        metrics_sample(out, "broadsheet_webhook_deliveries_total", failed_labels, failed);
        metrics_family(out, "broadsheet_webhooks_in_flight", "gauge",
                       "Webhook POSTs waiting for a partner's answer now.");
        metrics_sample(out, "broadsheet_webhooks_in_flight", NULL, in_flight);
    }

    metrics_family(out, "broadsheet_db_errors_total", "counter",
                   "Errors the store reported (logged): failed statements, connections, "
                   "transactions, refused calls.");
    metrics_sample(out, "broadsheet_db_errors_total", NULL, store_error_count());

    metrics_family(out, "broadsheet_requests_in_flight", "gauge",
                   "Requests being handled now (on an HTTP thread or the job pool).");
    metrics_sample(out, "broadsheet_requests_in_flight", NULL, (uint64_t)http_in_flight());

    const union MHD_DaemonInfo *info =
        site ? MHD_get_daemon_info(site, MHD_DAEMON_INFO_CURRENT_CONNECTIONS) : NULL;
    if (info) {
        metrics_family(out, "broadsheet_connections", "gauge",
                       "Open connections to the site (the listener's not yet handed over aside).");
        metrics_sample(out, "broadsheet_connections", NULL, info->num_connections);
    }
}

/* MHD_AccessHandlerCallback: GET /metrics, else 404 or 405. Answers on the second call, once
 * any body (ignored) has been read. */
static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls)
{
    static int seen; /* *req_cls marks a request whose headers are in */
    struct metrics_http *m = cls;
    if (!*req_cls) {
        *req_cls = &seen;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    struct buf out = BUF_INIT;
    unsigned status = MHD_HTTP_OK;
    const char *type = "text/plain; charset=utf-8";
    int get = !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
    if (strcmp(url, "/metrics") != 0) {
        status = MHD_HTTP_NOT_FOUND;
        buf_puts(&out, "Not found: the metrics are at /metrics.\n");
    } else if (!get) {
        status = MHD_HTTP_METHOD_NOT_ALLOWED;
        buf_puts(&out, "Method not allowed: use GET.\n");
    } else {
        metrics_http_render(m->app, m->site, &out);
        type = METRICS_HTTP_CONTENT_TYPE;
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        out.len, out.len ? out.data : (void *)"", MHD_RESPMEM_MUST_COPY);
    buf_free(&out);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(resp, "Allow", "GET, HEAD");
    enum MHD_Result result = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return result;
}

struct metrics_http *metrics_http_start(struct app *app, struct MHD_Daemon *site,
                                        const struct sockaddr *addr)
{
    struct metrics_http *m = xcalloc(1, sizeof *m);
    m->app = app;
    m->site = site;
    /* poll, not select: the site may hold thousands of descriptors, and select cannot watch one
     * numbered past FD_SETSIZE (1024), which a scrape's socket may well be. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
    if (addr->sa_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    m->daemon =
        MHD_start_daemon(flags, 0, NULL, NULL, answer, m, MHD_OPTION_SOCK_ADDR, addr,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)SCRAPE_CONNECTIONS,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)SCRAPE_TIMEOUT, MHD_OPTION_END);
    if (!m->daemon) {
        perror("broadsheet: cannot start the metrics listener");
        free(m);
        return NULL;
    }
    return m;
}

unsigned metrics_http_port(const struct metrics_http *m)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

void metrics_http_stop(struct metrics_http *m)
{
    if (!m)
        return;
    MHD_stop_daemon(m->daemon);
    free(m);
}
