/*
 * app.h: the process-wide state of a running server, made once at start by server_run and
 * only read afterwards (the page cache has its own lock). Handlers reach it as r->app.
 */
#ifndef BROADSHEET_APP_H
#define BROADSHEET_APP_H

#include "assets.h"
#include "cache.h"
#include "cidr.h"
#include "config.h"
#include "store.h"
#include "tmpl.h"

struct app {
    const struct config *config;
    struct store *store;
    struct tmpl_set *templates;
    struct assets *assets;
    struct page_cache *cache;
    char *site_url; /* base URL for canonical links, without a trailing slash */
    int log_fd;     /* access log, or -1 when off */
    unsigned char csrf_key[32]; /* server secret for CSRF tokens (store_secret "csrf") */
    struct ratelimit *limits;   /* log-in, registration and reset attempts */
    struct jobs *jobs;          /* work off the HTTP threads: password hashing */
    struct mailer *mailer;      /* the outgoing mail queue */
    struct arena *scratch;      /* start-up lookups that live as long as the server */
    struct paywall *paywall;    /* meter key, organisations' ranges */
    struct cidr *trusted_proxies; /* whose X-Forwarded-For is believed */
    size_t trusted_proxy_count;
};

#endif
