/*
 * metrics.h: counters of the requests served, by route and status, and their latency, plus the
 * writers of Prometheus' text exposition format (version 0.0.4) that metrics_http.c uses to
 * show them with the rest of the server's figures (caches, queues, database errors).
 *
 * Requests are counted on the HTTP threads as each one completes, so recording must cost next
 * to nothing: a request adds to three counters (its route and status, its latency bucket, its
 * route's total time) with relaxed atomic additions into arrays made at start. No lock, no
 * allocation, no formatting; all of that is done by whoever renders, on its own thread.
 *
 * Labels are bounded by construction: a route is an index into the names given at start (the
 * route table's patterns, never a request's path), and a status is one of 100 to 599. A render
 * reads each counter once; it is not a snapshot of one instant (counters may move between two
 * reads), but within one histogram the buckets, +Inf and _count are computed from the same
 * reads, so they always agree.
 *
 * It knows nothing of the server (of routes, only their names), so the unit test drives it
 * directly.
 */
#ifndef BROADSHEET_METRICS_H
#define BROADSHEET_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct metrics;

/* Request counters for count routes, named names[0..count) (label values; the array is copied,
 * the strings must outlive the metrics, as the route table's do). Never NULL. Free with
 * metrics_free. */
struct metrics *metrics_new(const char *const *names, size_t count);
void metrics_free(struct metrics *m);

/* Counts one answered request of route (an index below count; others are ignored) with status
 * (100-599; others count in the latency histogram only) that took micros microseconds from
 * arrival to the end of its answer. Safe from any thread; allocates nothing. */
void metrics_count_request(struct metrics *m, size_t route, unsigned status, int64_t micros);

/* Appends broadsheet_requests_total{route,status} and the histogram
 * broadsheet_request_duration_seconds{route} to out, for the routes that have had a request. */
void metrics_render_requests(struct metrics *m, struct buf *out);

/* ---- writing the exposition format ----------------------------------------------------------
 *
 * A family is its # HELP and # TYPE lines (type: "counter", "gauge", "histogram") followed by
 * its samples, each `name{label="value",…} number`. Label values are escaped as the format
 * asks (backslash, double quote, line feed); help text too (backslash, line feed). labels is
 * a NULL-terminated list of names and values: {"cache", "pages", NULL}; NULL for none. */
void metrics_family(struct buf *out, const char *name, const char *type, const char *help);
void metrics_sample(struct buf *out, const char *name, const char *const *labels, uint64_t value);
/* The same with a value that is not a whole number (seconds, to the microsecond). */
void metrics_sample_double(struct buf *out, const char *name, const char *const *labels,
                           double value);

/* The latency histogram's bucket bounds, in microseconds, rising (+Inf is implied after them). */
#define METRICS_BUCKETS 15
extern const int64_t metrics_bucket_us[METRICS_BUCKETS];

#endif
