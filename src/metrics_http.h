/*
 * metrics_http.h: the operator's /metrics, in Prometheus' text exposition format, on a listener
 * of its own (the metrics_address setting; off when it is empty). Never on the site's port: what
 * it shows (each route's traffic and latency, the caches' sizes, queue depths, database errors)
 * is for whoever runs the site, and a scrape must not pass the request screen, the connection
 * limits or the access log meant for readers.
 *
 * It is a second libmicrohttpd daemon with one thread and its own listening socket, answering
 * GET (and HEAD) /metrics only: 404 for any other path, 405 for another method. Each scrape
 * renders the figures afresh (metrics_http_render): the request counters (metrics.h, counted by
 * http.c as requests complete), the two caches' statistics, the change log sequence followed,
 * the job queue, the mail queue (one count from the database), the store's error count and the
 * open connections.
 */
#ifndef BROADSHEET_METRICS_HTTP_H
#define BROADSHEET_METRICS_HTTP_H

#include <microhttpd.h>
#include <sys/socket.h>

#include "buf.h"

struct app;
struct metrics_http;

/* The Content-Type of the exposition format. */
#define METRICS_HTTP_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Listens on addr and serves app's figures, with site (the reader site's daemon,
 * for its connection count; NULL: not shown) until metrics_http_stop. app and site must outlive
 * it. Returns the listener, or NULL (printed). */
struct metrics_http *metrics_http_start(struct app *app, struct MHD_Daemon *site,
                                        const struct sockaddr *addr);
/* The port it listens on (the one chosen when the address asked for port 0). */
unsigned metrics_http_port(const struct metrics_http *m);
/* Stops the daemon (after the scrape in progress, if any) and frees m. NULL is fine. */
void metrics_http_stop(struct metrics_http *m);

/* Appends every metric of app (and of site, when not NULL) to out, in the exposition format. */
void metrics_http_render(struct app *app, struct MHD_Daemon *site, struct buf *out);

#endif
