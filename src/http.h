/*
 * http.h: the HTTP request life cycle on libmicrohttpd. http_start runs the daemon (poll mode,
 * a thread pool, no listening socket of its own: listener.c hands it connections); every
 * request then goes through one path:
 *
 *   headers in    validate the request line and headers, match the route (route.h), and
 *                 decide what may be read of the body from the route's policy
 *   body          parsed only if the route takes one (a form: at most REQ_MAX_FIELDS fields,
 *                 each allocated as its bytes arrive), else read and dropped
 *   answer        404 / 405 / body errors; the session (unless the route says not); CSRF for
 *                 a POST; the sign-in or role the route needs; then the handler: on this HTTP
 *                 thread, or on the job pool for a ROUTE_JOB route; or the cached page
 *   completed     the access log line (accesslog.h), and the request is recycled
 *
 * Why poll and not epoll: libmicrohttpd 0.9.75 (Debian 12) stalls in epoll mode whenever
 * epoll_wait returns exactly 128 events (128, 256… ready connections): it calls epoll_wait
 * again with the full timeout before serving them. Its poll mode has no such loop, and with a
 * thread pool it serves the same load as fast (docs/architecture.md has the measurement);
 * tests/http/connections.test.mjs opens exactly 128 and 256 connections to prove it.
 */
#ifndef BROADSHEET_HTTP_H
#define BROADSHEET_HTTP_H

#include <microhttpd.h>

#include "metrics.h"
#include "req.h"

struct app;

/* Starts libmicrohttpd for app with threads worker threads. Returns the daemon, or NULL
 * (printed). */
struct MHD_Daemon *http_start(struct app *app, unsigned threads);
/* Stops the daemon (closing what connections are left) and frees the recycled requests. */
void http_stop(struct MHD_Daemon *daemon);

/* The request counters for the metrics (metrics.h), one label per route: each route's pattern
 * ("/articles/:slug", never a request's path), then "notfound" (no route), "notallowed" (a
 * route, not for the method) and "invalid" (refused before routing: 400, 414, 501). Requests
 * the request screen refuses never reach libmicrohttpd and are not counted. Free with
 * metrics_free. */
struct metrics *http_metrics_new(void);

/* Requests being handled right now: shutdown waits for them to drain. */
int http_in_flight(void);

/* Runs work(r) on the job pool with r's connection suspended, then finish(r) on the HTTP
 * thread to answer; for one slow step (a password hash, a call to Stripe) of a handler. A
 * handler that already runs on the job pool (ROUTE_JOB) runs both at once, in place. Returns
 * MHD_YES; the handler returns it. When the pool's queue is full, answers 503 instead. */
enum MHD_Result http_offload(struct req *r, void (*work)(struct req *r),
                             enum MHD_Result (*finish)(struct req *r));

/* How long an HTTP thread's database connection waits for a lock, at most (ms). Writes that may
 * wait longer belong on the job pool (ROUTE_JOB); the few that stay on HTTP threads (a
 * session's last-seen time, a signed-in reader's meter) give up and fail closed. */
#define HTTP_DB_WAIT_MS 50

#endif
