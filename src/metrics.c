/*
 * metrics.c: request counters and the exposition format's writers. See metrics.h.
 *
 * Layout: for each route, one counter per status 100..599 (500 slots: a status is an index, no
 * search on the hot path), METRICS_BUCKETS + 1 latency buckets (the last is +Inf), stored
 * per bucket rather than cumulatively so that a request adds to exactly one, and the total
 * time in microseconds (a whole number, so it too is one atomic addition; seconds are made
 * when rendering). About 4 KiB per route.
 *
 * The counters are shared by every HTTP thread, so two threads counting the same route contend
 * for its cache line. A contended relaxed addition costs tens of nanoseconds, beside the
 * 15 µs of CPU a cached article takes (measured for issue 9): not worth per-thread copies yet.
 */
#include "metrics.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

#define STATUS_FIRST 100
#define STATUS_SLOTS 500 /* 100..599 */

const int64_t metrics_bucket_us[METRICS_BUCKETS] = {
    100,   250,    500,    1000,   2500,    5000,    10000,   25000,
    50000, 100000, 250000, 500000, 1000000, 2500000, 5000000,
};

struct route_counters {
    atomic_uint_fast64_t by_status[STATUS_SLOTS];
    atomic_uint_fast64_t buckets[METRICS_BUCKETS + 1]; /* per bucket; the last is +Inf */
    atomic_uint_fast64_t micros;                       /* total time taken */
};

struct metrics {
    const char **names; /* a copy of the array given; the strings are the caller's */
    size_t count;
    struct route_counters *routes; /* count of them */
};

struct metrics *metrics_new(const char *const *names, size_t count)
{
    struct metrics *m = xcalloc(1, sizeof *m);
    m->names = xcalloc(count ? count : 1, sizeof *m->names);
    for (size_t i = 0; i < count; i++)
        m->names[i] = names[i];
    m->count = count;
    /* Zeroed memory as the counters' initial value: lock-free atomics of a word's size are
     * plain words on every platform we build on. */
    m->routes = xcalloc(count ? count : 1, sizeof *m->routes);
    return m;
}

void metrics_free(struct metrics *m)
{
    if (!m)
        return;
    free(m->routes);
    free(m->names);
    free(m);
}

void metrics_count_request(struct metrics *m, size_t route, unsigned status, int64_t micros)
{
    if (!m || route >= m->count)
        return;
    struct route_counters *rc = &m->routes[route];
    if (status >= STATUS_FIRST && status < STATUS_FIRST + STATUS_SLOTS)
        atomic_fetch_add_explicit(&rc->by_status[status - STATUS_FIRST], 1, memory_order_relaxed);
    if (micros < 0)
        micros = 0;
    size_t b = 0;
    while (b < METRICS_BUCKETS && micros > metrics_bucket_us[b])
        b++;
    atomic_fetch_add_explicit(&rc->buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&rc->micros, (uint_fast64_t)micros, memory_order_relaxed);
}

/* ---- the exposition format ---------------------------------------------------------------- */

/* Appends s with the characters the format escapes in a label value (quote: 1) or in help
 * text (quote: 0): backslash, line feed, and in a label value the double quote. */
static void put_escaped(struct buf *out, const char *s, int quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            buf_puts(out, "\\\\");
        else if (*s == '\n')
            buf_puts(out, "\\n");
        else if (*s == '"' && quote)
            buf_puts(out, "\\\"");
        else
            buf_putc(out, *s);
    }
}

void metrics_family(struct buf *out, const char *name, const char *type, const char *help)
{
    buf_printf(out, "# HELP %s ", name);
    put_escaped(out, help, 0);
    buf_printf(out, "\n# TYPE %s %s\n", name, type);
}

/* Appends `name{labels} ` (without braces when there are no labels). */
static void put_series(struct buf *out, const char *name, const char *const *labels)
{
    buf_puts(out, name);
    if (labels && labels[0]) {
        buf_putc(out, '{');
        for (size_t i = 0; labels[i] && labels[i + 1]; i += 2) {
            if (i)
                buf_putc(out, ',');
            buf_printf(out, "%s=\"", labels[i]);
            put_escaped(out, labels[i + 1], 1);
            buf_putc(out, '"');
        }
        buf_putc(out, '}');
    }
    buf_putc(out, ' ');
}

void metrics_sample(struct buf *out, const char *name, const char *const *labels, uint64_t value)
{
    put_series(out, name, labels);
    buf_printf(out, "%" PRIu64 "\n", value);
}

void metrics_sample_double(struct buf *out, const char *name, const char *const *labels,
                           double value)
{
    put_series(out, name, labels);
    buf_printf(out, "%.6f\n", value); /* microseconds are what we measure */
}

/* ---- requests ----------------------------------------------------------------------------- */

/* The le label of bucket b: seconds, as short as they print ("0.00025", "1", "+Inf"). */
static void bucket_label(size_t b, char *out, size_t size)
{
    if (b == METRICS_BUCKETS)
        snprintf(out, size, "+Inf");
    else
        snprintf(out, size, "%g", (double)metrics_bucket_us[b] / 1e6);
}

void metrics_render_requests(struct metrics *m, struct buf *out)
{
    metrics_family(out, "broadsheet_requests_total", "counter",
                   "Requests answered, by route (the route table's pattern, or notfound, "
                   "notallowed, invalid) and status.");
    for (size_t i = 0; i < m->count; i++) {
        for (unsigned s = 0; s < STATUS_SLOTS; s++) {
            uint64_t n = atomic_load_explicit(&m->routes[i].by_status[s], memory_order_relaxed);
            if (!n)
                continue;
            char status[8];
            snprintf(status, sizeof status, "%u", s + STATUS_FIRST);
            const char *labels[] = {"route", m->names[i], "status", status, NULL};
            metrics_sample(out, "broadsheet_requests_total", labels, n);
        }
    }

    metrics_family(out, "broadsheet_request_duration_seconds", "histogram",
                   "Time from a request's arrival to the end of its answer, by route.");
    for (size_t i = 0; i < m->count; i++) {
        struct route_counters *rc = &m->routes[i];
        uint64_t counts[METRICS_BUCKETS + 1], total = 0;
        for (size_t b = 0; b <= METRICS_BUCKETS; b++) {
            counts[b] = atomic_load_explicit(&rc->buckets[b], memory_order_relaxed);
            total += counts[b];
        }
        if (!total)
            continue;
        uint64_t cumulative = 0;
        for (size_t b = 0; b <= METRICS_BUCKETS; b++) {
            cumulative += counts[b];
            char le[32];
            bucket_label(b, le, sizeof le);
            const char *labels[] = {"route", m->names[i], "le", le, NULL};
            metrics_sample(out, "broadsheet_request_duration_seconds_bucket", labels, cumulative);
        }
        const char *labels[] = {"route", m->names[i], NULL};
        uint64_t micros = atomic_load_explicit(&rc->micros, memory_order_relaxed);
        metrics_sample_double(out, "broadsheet_request_duration_seconds_sum", labels,
                              (double)micros / 1e6);
        metrics_sample(out, "broadsheet_request_duration_seconds_count", labels, total);
    }
}
