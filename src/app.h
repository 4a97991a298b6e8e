/*
 * app.h: the process-wide state of a running server, made once at start (app_init) and only
 * read afterwards (the page cache and the paywall's ranges have their own locks).
 * Handlers reach it as r->app. The server's main thread calls app_tick every APP_TICK_MS for
 * the work that is not a request's (app.c lists it).
 */
#ifndef BROADSHEET_APP_H
#define BROADSHEET_APP_H

#include "assets.h"
#include "cache.h"
#include "cidr.h"
#include "config.h"
#include "metrics.h"
#include "store.h"
#include "tmpl.h"

struct app {
    const struct config *config;
    struct store *store;
    struct tmpl_set *templates;
    struct assets *assets;
    struct page_cache *cache;     /* rendered pages */
    struct page_cache *facts;     /* articles' ids and access levels, by path */
    char *site_url;               /* base URL for canonical links, without a trailing slash */
    int log_fd;                   /* access log, or -1 when off */
    int64_t change_seq;           /* the store's change log, followed up to here (stored
                                   * atomically: the metrics thread reads it) */
    unsigned long ticks;          /* app_tick calls so far */
    int64_t clock_minute;         /* the minute of the last clock:minute invalidation (app.c) */
    int64_t next_purge;           /* when expired sessions, links and limits are purged next */
    unsigned char csrf_key[32];   /* server secret for CSRF tokens (store_secret "csrf") */
    struct jobs *jobs;            /* work off the HTTP threads: password hashing */
    struct mailer *mailer;        /* the outgoing mail queue */
    struct arena *scratch;        /* start-up lookups that live as long as the server */
    struct paywall *paywall;      /* meter key, organisations' ranges */
    struct splice_notes *notes;   /* the meter's notes, rendered once (splice.h) */
    struct cidr *trusted_proxies; /* whose X-Forwarded-For is believed */
    size_t trusted_proxy_count;
    struct metrics *metrics;      /* requests by route and status; NULL when metrics are off */
    struct db_listener *listener; /* the change log's notifications (app_listen_fd), or NULL */
    int64_t listen_at_ms;         /* when to try opening the listener next (monotonic) */
    int listen_lost;              /* the listener was lost and its loss logged: log its return */
    /* Most read (issue 12): views counted in memory and the box (most_read.h) */
    struct most_read *most_read;
    /* Push to partners (issue 13): the webhooks' delivery worker (webhook.h), started once
     * site_url is known (server.c); NULL before */
    struct webhooks *webhooks;
};

/* Loads the theme, the cache and secrets, and starts the job pool and the mailer, into
 * app, for config and store (both outlive app). Returns 0, or -1 (printed). */
int app_init(struct app *app, const struct config *config, struct store *store);
/* Stops the job pool and the mailer and frees what app_init made. Safe on a half-made app. */
void app_free(struct app *app);

/* How often the server calls app_tick: a change made anywhere is on the site within this (on
 * PostgreSQL, at once while the change log's notifications come: app_listen_fd). */
#define APP_TICK_MS 100

/* The periodic work of a running server, from its main thread; see app.c for the list. */
void app_tick(struct app *app);

/* The change log's notifications (PostgreSQL: store_listen_open), for the main thread, which
 * polls this socket with its own: app_listen_fd opens the listener when it is not open (at
 * most once a second while that fails) and returns its socket, or -1 when there is none (SQLite,
 * or the database unavailable): then app_tick reads the change log every tick. When the socket
 * is readable the main thread calls app_listen_ready, which reads the change log at once if a
 * notification came, and drops a lost listener (the poll takes over until it is open again). */
int app_listen_fd(struct app *app);
void app_listen_ready(struct app *app);
/* What must be saved before the process ends (counts held in memory). */
void app_flush(struct app *app);

#endif
