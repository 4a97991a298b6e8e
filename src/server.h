/*
 * server.h: the HTTP server. server_run starts libmicrohttpd, serves until SIGTERM or SIGINT,
 * drains the requests in flight and returns. The functions below are how handlers answer.
 *
 * Why poll and not epoll: libmicrohttpd 0.9.75 (Debian 12) stalls in epoll mode whenever
 * epoll_wait returns exactly 128 events (128, 256… ready connections): it calls epoll_wait
 * again with the full timeout before serving them. Its poll mode has no such loop, and with a
 * thread pool it serves the same load as fast (see docs/architecture.md for the measurement);
 * tests/http/connections.test.mjs opens exactly 128 and 256 connections to prove the server
 * is immune. Connections are accepted by listener.c, which screens each one's first request
 * line before handing it to libmicrohttpd (see there for why).
 */
#ifndef BROADSHEET_SERVER_H
#define BROADSHEET_SERVER_H

#include "buf.h"
#include "config.h"
#include "req.h"
#include "route.h"
#include "store.h"

/* Serves until a stop signal. Returns 0 after a clean shutdown, -1 if it could not start
 * (printed). */
int server_run(const struct config *config, struct store *store);

/* Sends the site's error page for status (404, 405, 500…). */
enum MHD_Result server_send_error(struct req *r, unsigned status);

/* Sends the page cached under key, rendering it with render (route.h) on a miss; shared as is
 * for an anonymous reader without per-reader words, else with the reader's account links and
 * note (r->reader_note) spliced in, as a private response. */
enum MHD_Result server_send_cached(struct req *r, const char *key, route_render_fn render);

/* Sends body as an HTML page for this request alone (Cache-Control: no-store), with the
 * request's cookies. */
enum MHD_Result server_send_page(struct req *r, unsigned status, const struct buf *body);

/* A short text/plain answer for this request alone (no-store), body copied: health checks,
 * webhook replies. */
enum MHD_Result server_send_text(struct req *r, unsigned status, const char *body);

/* 303 See Other to location (a local path), with the request's cookies: the answer to a
 * successful form post. */
enum MHD_Result server_redirect(struct req *r, const char *location);

/* 429 with Retry-After: retry_after seconds. */
enum MHD_Result server_too_many_requests(struct req *r, int retry_after);

/* Runs work(r) on the job pool (jobs.h) with r's connection suspended, then finish(r) on the
 * HTTP thread to answer. For work that would block an HTTP thread: password hashing. Returns
 * MHD_YES; the handler must return it. */
enum MHD_Result server_offload(struct req *r, void (*work)(struct req *r),
                               enum MHD_Result (*finish)(struct req *r));

#endif
