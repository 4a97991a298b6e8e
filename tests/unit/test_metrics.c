/*
 * test_metrics.c: tests of src/metrics.c, the request counters and the exposition format's
 * writers. Every rendered line is checked against the text format's grammar (a # HELP or
 * # TYPE line, or `name{label="value",…} number`); a histogram's buckets are cumulative and
 * rising, +Inf equals _count, _sum is the time recorded; a request lands in the bucket whose
 * bound it does not exceed; label values and help text are escaped; routes and statuses out of
 * range are not counted as such; increments from many threads at once are all kept.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "metrics.h"

/* 1 if s[0..n) is a metric or label name ([a-zA-Z_:][a-zA-Z0-9_:]*; labels have no ':',
 * which no name here uses either). */
static int valid_name(const char *s, size_t n)
{
    if (n == 0 || isdigit((unsigned char)s[0]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != ':')
            return 0;
    return 1;
}

/* 1 if line (without its newline) is a valid line of the text format. */
static int valid_line(const char *line)
{
    if (!strncmp(line, "# HELP ", 7)) {
        const char *name = line + 7, *sp = strchr(name, ' ');
        return sp && valid_name(name, (size_t)(sp - name));
    }
    if (!strncmp(line, "# TYPE ", 7)) {
        const char *name = line + 7, *sp = strchr(name, ' ');
        if (!sp || !valid_name(name, (size_t)(sp - name)))
            return 0;
        return !strcmp(sp + 1, "counter") || !strcmp(sp + 1, "gauge") ||
               !strcmp(sp + 1, "histogram");
    }
    const char *p = line;
    size_t n = strcspn(p, "{ ");
    if (!valid_name(p, n))
        return 0;
    p += n;
    if (*p == '{') {
        p++;
        while (*p != '}') {
            n = strcspn(p, "=");
            if (!valid_name(p, n) || p[n] != '=' || p[n + 1] != '"')
                return 0;
            p += n + 2;
            while (*p != '"') { /* the value: escapes are \\, \" and \n only */
                if (!*p || *p == '\n')
                    return 0;
                if (*p == '\\') {
                    if (p[1] != '\\' && p[1] != '"' && p[1] != 'n')
                        return 0;
                    p++;
                }
                p++;
            }
            p++;
            if (*p == ',')
                p++;
            else if (*p != '}')
                return 0;
        }
        p++;
    }
    if (*p != ' ')
        return 0;
    p++;
    char *end;
    strtod(p, &end);
    return end != p && *end == '\0';
}

/* Checks every line of text; returns how many lines there were (-1 if one is invalid, and
 * prints it). */
static int check_lines(const char *text)
{
    int count = 0;
    char line[1024];
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, "\n");
        if (n >= sizeof line || p[n] != '\n')
            return -1;
        memcpy(line, p, n);
        line[n] = '\0';
        if (!valid_line(line)) {
            fprintf(stderr, "    invalid exposition line: [%s]\n", line);
            return -1;
        }
        count++;
        p += n + 1;
    }
    return count;
}

/* The value of the sample whose series (name and labels, exactly as rendered) is series, or
 * -1 if the text has none. */
static double sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (!strncmp(p, series, n) && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    return -1;
}

static const char *const names[] = {"/", "/articles/:slug", "notfound"};

/* Counts land under their route and status; nothing else is shown; the histogram is
 * cumulative, ends with +Inf equal to _count, and _sum is the time recorded. */
static void test_requests_and_histogram(void)
{
    struct metrics *m = metrics_new(names, 3);
    metrics_count_request(m, 0, 200, 50);      /* the first bucket (0.0001 s) */
    metrics_count_request(m, 0, 200, 100);     /* a bound is inclusive: still the first */
    metrics_count_request(m, 0, 304, 101);     /* the second */
    metrics_count_request(m, 1, 200, 3000);    /* 0.005 */
    metrics_count_request(m, 1, 200, 9000000); /* past every bound: +Inf only */
    metrics_count_request(m, 2, 404, 700);
    metrics_count_request(m, 3, 200, 10); /* no such route: ignored */
    struct buf out = BUF_INIT;
    metrics_render_requests(m, &out);
    const char *t = out.data;
    CHECK(check_lines(t) > 0);
    CHECK(sample(t, "broadsheet_requests_total{route=\"/\",status=\"200\"}") == 2);
    CHECK(sample(t, "broadsheet_requests_total{route=\"/\",status=\"304\"}") == 1);
    CHECK(sample(t, "broadsheet_requests_total{route=\"/articles/:slug\",status=\"200\"}") == 2);
    CHECK(sample(t, "broadsheet_requests_total{route=\"notfound\",status=\"404\"}") == 1);
    CHECK(sample(t, "broadsheet_requests_total{route=\"/\",status=\"404\"}") == -1); /* never */
    CHECK(strstr(t, "# TYPE broadsheet_requests_total counter\n") != NULL);
    CHECK(strstr(t, "# TYPE broadsheet_request_duration_seconds histogram\n") != NULL);

    const char *h = "broadsheet_request_duration_seconds";
    char series[256];
    snprintf(series, sizeof series, "%s_bucket{route=\"/\",le=\"0.0001\"}", h);
    CHECK(sample(t, series) == 2);
    snprintf(series, sizeof series, "%s_bucket{route=\"/\",le=\"0.00025\"}", h);
    CHECK(sample(t, series) == 3);
    snprintf(series, sizeof series, "%s_bucket{route=\"/\",le=\"+Inf\"}", h);
    CHECK(sample(t, series) == 3);
    snprintf(series, sizeof series, "%s_count{route=\"/\"}", h);
    CHECK(sample(t, series) == 3);
    snprintf(series, sizeof series, "%s_sum{route=\"/\"}", h);
    CHECK(sample(t, series) > 0.000250 && sample(t, series) < 0.000252); /* 251 µs */

    /* The slow article: in no bucket but +Inf. Every bucket of every route is cumulative. */
    snprintf(series, sizeof series, "%s_bucket{route=\"/articles/:slug\",le=\"5\"}", h);
    CHECK(sample(t, series) == 1);
    snprintf(series, sizeof series, "%s_bucket{route=\"/articles/:slug\",le=\"+Inf\"}", h);
    CHECK(sample(t, series) == 2);
    for (size_t r = 0; r < 3; r++) {
        double last = 0;
        for (size_t b = 0; b < METRICS_BUCKETS; b++) {
            snprintf(series, sizeof series, "%s_bucket{route=\"%s\",le=\"%g\"}", h, names[r],
                     (double)metrics_bucket_us[b] / 1e6);
            double v = sample(t, series);
            CHECK(v >= last);
            last = v;
        }
        snprintf(series, sizeof series, "%s_bucket{route=\"%s\",le=\"+Inf\"}", h, names[r]);
        double inf = sample(t, series);
        CHECK(inf >= last);
        snprintf(series, sizeof series, "%s_count{route=\"%s\"}", h, names[r]);
        CHECK(sample(t, series) == inf);
    }
    buf_free(&out);
    metrics_free(m);
}

/* A route with no request yet shows no histogram (nothing to plot); statuses outside 100-599
 * are not counted as statuses but their time is. */
static void test_empty_and_odd_statuses(void)
{
    struct metrics *m = metrics_new(names, 3);
    struct buf out = BUF_INIT;
    metrics_render_requests(m, &out);
    CHECK(check_lines(out.data) == 4); /* the two families' HELP and TYPE lines only */
    buf_reset(&out);
    metrics_count_request(m, 0, 99, 10);
    metrics_count_request(m, 0, 600, -5); /* a clock that went back: 0 */
    metrics_render_requests(m, &out);
    CHECK(strstr(out.data, "broadsheet_requests_total{") == NULL);
    CHECK(sample(out.data, "broadsheet_request_duration_seconds_count{route=\"/\"}") == 2);
    CHECK(sample(out.data, "broadsheet_request_duration_seconds_sum{route=\"/\"}") == 0.00001);
    buf_free(&out);
    metrics_free(m);
}

/* Label values escape backslash, quote and line feed; help text backslash and line feed. */
static void test_escaping(void)
{
    struct buf out = BUF_INIT;
    metrics_family(&out, "x_total", "counter", "a \\ back\nslash \"quoted\"");
    const char *labels[] = {"path", "a\"b\\c\nd", "empty", "", NULL};
    metrics_sample(&out, "x_total", labels, 7);
    metrics_sample(&out, "x_total", NULL, 18446744073709551615ull);
    metrics_sample_double(&out, "y_seconds", NULL, 1.5);
    CHECK_STR(out.data, "# HELP x_total a \\\\ back\\nslash \"quoted\"\n"
                        "# TYPE x_total counter\n"
                        "x_total{path=\"a\\\"b\\\\c\\nd\",empty=\"\"} 7\n"
                        "x_total 18446744073709551615\n"
                        "y_seconds 1.500000\n");
    CHECK_INT(check_lines(out.data), 5);
    buf_free(&out);
}

/* The line checker itself refuses what the format does not allow (so that its approval of
 * the rendered text means something). */
static void test_line_checker(void)
{
    CHECK(valid_line("a_total{x=\"1\"} 3"));
    CHECK(!valid_line("a_total{x=\"1\"}3"));
    CHECK(!valid_line("a-total 3"));
    CHECK(!valid_line("a_total{x=\"1} 3"));
    CHECK(!valid_line("a_total{x=\"\\t\"} 3"));
    CHECK(!valid_line("a_total 3x"));
    CHECK(!valid_line("# TYPE a_total countr"));
    CHECK(!valid_line("1a 3"));
}

#define THREADS 8
#define PER_THREAD 100000

struct counting {
    struct metrics *m;
    size_t route;
};

/* A thread counting PER_THREAD requests of one route, each 1 µs long. */
static void *count_many(void *arg)
{
    struct counting *c = arg;
    for (int i = 0; i < PER_THREAD; i++)
        metrics_count_request(c->m, c->route, 200, 1);
    return NULL;
}

/* Threads counting the same route and another at once lose nothing. */
static void test_concurrent_increments(void)
{
    struct metrics *m = metrics_new(names, 3);
    pthread_t threads[THREADS];
    struct counting c[THREADS];
    int started = 0;
    for (int i = 0; i < THREADS; i++) {
        c[i].m = m;
        c[i].route = i % 2; /* half on "/", half on the article route */
        if (pthread_create(&threads[i], NULL, count_many, &c[i]) == 0)
            started++;
    }
    CHECK_INT(started, THREADS);
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    struct buf out = BUF_INIT;
    metrics_render_requests(m, &out);
    double each = (double)THREADS / 2 * PER_THREAD;
    CHECK(sample(out.data, "broadsheet_requests_total{route=\"/\",status=\"200\"}") == each);
    CHECK(sample(out.data, "broadsheet_requests_total{route=\"/articles/:slug\",status=\"200\"}") ==
          each);
    CHECK(sample(out.data, "broadsheet_request_duration_seconds_count{route=\"/\"}") == each);
    CHECK(sample(out.data,
                 "broadsheet_request_duration_seconds_bucket{route=\"/\",le=\"0.0001\"}") == each);
    CHECK(sample(out.data, "broadsheet_request_duration_seconds_sum{route=\"/\"}") == each / 1e6);
    buf_free(&out);
    metrics_free(m);
}

void suite_metrics(void)
{
    RUN(test_requests_and_histogram);
    RUN(test_empty_and_odd_statuses);
    RUN(test_escaping);
    RUN(test_line_checker);
    RUN(test_concurrent_increments);
}
