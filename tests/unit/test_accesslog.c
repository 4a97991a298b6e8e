/*
 * test_accesslog.c: tests of src/accesslog.c's line format. A line is the combined log format
 * plus the time taken: client, the time in brackets, the request line, status and bytes, the
 * Referer and the User-Agent, each quoted. Checked: every part in place; quotes, backslashes,
 * control and non-ASCII bytes written as \xHH wherever a client's text goes, so no client can
 * forge a line or a field; a missing part as "-"; the Referer's query and fragment never
 * written (a reset link's token); and a line longer than the buffer cut, still ending with a
 * newline. The Referer and User-Agent come from a real libmicrohttpd connection.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accesslog.h"
#include "check.h"
#include "test_request.h"
#include "util.h"

/* The monotonic clock now, in microseconds (the request's started_us). */
static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Checks that line (len bytes) is "CLIENT - - [DD/Mon/YYYY:HH:MM:SS +0000] " + middle +
 * " N.NNNms\n" with a plausible time taken, and prints it when not. */
static void check_line(const char *line, size_t len, const char *client, const char *middle)
{
    char *text = strndup(line, len);
    int ok = len > 0 && text[len - 1] == '\n' && strlen(text) == len;
    size_t client_len = strlen(client);
    ok = ok && !strncmp(text, client, client_len) && !strncmp(text + client_len, " - - [", 6);
    const char *date = text + client_len + 6;
    struct tm tm;
    const char *after_date = ok ? strptime(date, "%d/%b/%Y:%H:%M:%S +0000] ", &tm) : NULL;
    ok = after_date && after_date - date == 28;
    size_t middle_len = strlen(middle);
    ok = ok && !strncmp(after_date, middle, middle_len);
    if (ok) {
        const char *took = after_date + middle_len;
        char *end;
        double ms = strtod(took, &end);
        ok = took[0] == ' ' && ms >= 0 && ms < 60000 && !strcmp(end, "ms\n");
    }
    if (!ok)
        fprintf(stderr, "    line:   [%s]\n    middle: [%s]\n", text, middle);
    CHECK(ok);
    free(text);
}

/* accesslog_format's line for r from client, into a buffer of the size given. */
static size_t format(const struct req *r, const char *client, char *out, size_t size)
{
    memset(out, 'Z', size);
    size_t len = accesslog_format(r, client, out, size);
    CHECK(len <= size);
    return len;
}

static void test_line(void)
{
    struct test_app t;
    test_app_init(&t, NULL);
    struct req r = test_req_make(&t.app);
    r.raw_url = "/articles/some-slug";
    r.status = 200;
    r.bytes = 12345;
    r.started_us = now_us() - 2500;
    char line[2048];
    size_t len = format(&r, "192.0.2.7", line, sizeof line);
    check_line(line, len, "192.0.2.7",
               "\"GET /articles/some-slug HTTP/1.1\" 200 12345 \"-\" \"-\"");

    /* the time taken is the request's, in milliseconds */
    char *text = strndup(line, len);
    const char *took = strrchr(text, ' ');
    CHECK(took && strtod(took, NULL) >= 2.5);
    free(text);

    r.method_name = "POST";
    r.version = "HTTP/1.0";
    r.raw_url = "/login";
    r.status = 303;
    r.bytes = 0;
    len = format(&r, "2001:db8::1", line, sizeof line);
    check_line(line, len, "2001:db8::1", "\"POST /login HTTP/1.0\" 303 0 \"-\" \"-\"");
    test_req_done(&r);
    test_app_free(&t);
}

/* What a client sent is escaped: a quote cannot end a field, a newline cannot start a line. */
static void test_escaping(void)
{
    struct test_app t;
    test_app_init(&t, NULL);
    struct req r = test_req_make(&t.app);
    r.method_name = "G\"ET";
    r.raw_url = "/a\"b\\c\r\nFAKE \x01\x1f\x7f caf\xc3\xa9 %22";
    r.version = "HTTP/1.1\" 200 1 \"-\" \"-\" 0.1ms\n";
    r.status = 400;
    r.started_us = now_us();
    char line[2048];
    size_t len = format(&r, "127.0.0.1", line, sizeof line);
    check_line(line, len, "127.0.0.1",
               "\"G\\x22ET /a\\x22b\\x5cc\\x0d\\x0aFAKE \\x01\\x1f\\x7f caf\\xc3\\xa9 %22 "
               "HTTP/1.1\\x22 200 1 \\x22-\\x22 \\x22-\\x22 0.1ms\\x0a\" 400 0 \"-\" \"-\"");
    CHECK(memchr(line, '\n', len) == line + len - 1); /* one line, whatever was sent */

    /* parts not known (a request refused before they were read) are "-" */
    r.method_name = NULL;
    r.raw_url = NULL;
    r.version = NULL;
    len = format(&r, "127.0.0.1", line, sizeof line);
    check_line(line, len, "127.0.0.1", "\"- - -\" 400 0 \"-\" \"-\"");
    test_req_done(&r);
    test_app_free(&t);
}

/* A line longer than the buffer is cut and still ends with a newline; a short one is whole. */
static void test_cut(void)
{
    struct test_app t;
    test_app_init(&t, NULL);
    struct req r = test_req_make(&t.app);
    char url[3000];
    url[0] = '/';
    memset(url + 1, 'a', sizeof url - 2);
    url[sizeof url - 1] = '\0';
    r.raw_url = url;
    r.status = 200;
    r.started_us = now_us();
    char line[2048];
    size_t len = format(&r, "192.0.2.7", line, sizeof line);
    CHECK_INT(len, sizeof line);
    CHECK(line[len - 1] == '\n');
    CHECK(memchr(line, '\n', len) == line + len - 1);
    CHECK(!strncmp(line, "192.0.2.7 - - [", 15));

    /* escapes cut anywhere, in the smallest buffer, at every size up to a whole line */
    static const char quotes[] = "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"";
    r.raw_url = quotes;
    char whole[512];
    size_t whole_len = format(&r, "192.0.2.7", whole, sizeof whole);
    for (size_t size = 64; size <= whole_len + 8; size++) {
        char small[600];
        memset(small, 'Z', sizeof small);
        len = accesslog_format(&r, "192.0.2.7", small, size);
        int ok = len <= size && len > 0 && small[len - 1] == '\n' &&
                 memchr(small, '\n', len) == small + len - 1 && small[size] == 'Z' &&
                 (len == whole_len || len == size);
        /* what is written is the whole line's beginning (the time may tick between calls) */
        ok = ok && !memcmp(small, whole, 15);
        if (!ok)
            fprintf(stderr, "    size %zu: length %zu\n", size, len);
        CHECK(ok);
    }
    test_req_done(&r);
    test_app_free(&t);
}

/* What the connection callback formats: the request's line with the connection's headers. */
struct logged {
    struct test_app *t;
    char line[2048];
    size_t len;
};

static void format_on_connection(struct MHD_Connection *connection, void *ctx)
{
    struct logged *l = ctx;
    struct req r = test_req_make(&l->t->app);
    r.conn = connection;
    r.raw_url = "/after";
    r.status = 200;
    r.bytes = 5;
    r.started_us = now_us();
    l->len = accesslog_format(&r, "198.51.100.4", l->line, sizeof l->line);
    test_req_done(&r);
}

/* The Referer without its query or fragment; the User-Agent escaped. */
static void test_referer_and_agent(void)
{
    static const struct {
        const char *headers, *want;
    } cases[] = {
        {"", "\"GET /after HTTP/1.1\" 200 5 \"-\" \"-\""},
        {"Referer: https://news.example/reset?token=SECRET-TOKEN&x=1\r\n"
         "User-Agent: Mozilla/5.0 (X11; Linux) \"quoted\" back\\slash\r\n",
         "\"GET /after HTTP/1.1\" 200 5 \"https://news.example/reset\" "
         "\"Mozilla/5.0 (X11; Linux) \\x22quoted\\x22 back\\x5cslash\""},
        {"Referer: https://news.example/verify#token=SECRET\r\n",
         "\"GET /after HTTP/1.1\" 200 5 \"https://news.example/verify\" \"-\""},
        {"Referer: /a#b?c\r\n", "\"GET /after HTTP/1.1\" 200 5 \"/a\" \"-\""},
        {"Referer: ?token=SECRET\r\n", "\"GET /after HTTP/1.1\" 200 5 \"\" \"-\""},
        {"Referer: https://news.example/caf\xc3\xa9\t\"x\"?q\r\nUser-Agent: a\tb\xff\r\n",
         "\"GET /after HTTP/1.1\" 200 5 \"https://news.example/caf\\xc3\\xa9\\x09\\x22x\\x22\" "
         "\"a\\x09b\\xff\""},
    };
    struct test_app t;
    test_app_init(&t, NULL);
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct logged l = {&t, "", 0};
        if (test_with_connection("/after?token=SECRET", cases[i].headers, format_on_connection,
                                 &l) != 0)
            continue;
        check_line(l.line, l.len, "198.51.100.4", cases[i].want);
        CHECK(memmem(l.line, l.len, "SECRET", 6) == NULL);
    }
    test_app_free(&t);
}

void suite_accesslog(void)
{
    RUN(test_line);
    RUN(test_escaping);
    RUN(test_cut);
    RUN(test_referer_and_agent);
}
