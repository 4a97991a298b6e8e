/*
 * test_util.c: tests of src/util.c. UTF-8 validation at every boundary that matters (the first
 * and last code point of each sequence length, overlongs, surrogates, above U+10FFFF, bytes
 * that never appear, truncated sequences, lone and missing continuation bytes, and the length
 * argument rather than the NUL ending the input), and repairing stored text that is not UTF-8;
 * whole-file reads of empty, binary and
 * multi-block files and of paths that cannot be read; and the aborting allocators' results.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "util.h"

/* util_utf8_valid over a string literal, which may hold NUL bytes. */
#define VALID(lit) util_utf8_valid(lit, sizeof(lit) - 1)

static void test_utf8_valid(void)
{
    CHECK_INT(VALID(""), 1);
    CHECK_INT(VALID("plain ASCII, 100%"), 1);
    CHECK_INT(VALID("a\0b"), 1);             /* U+0000 is well-formed */
    CHECK_INT(VALID("\x7f"), 1);             /* last one-byte */
    CHECK_INT(VALID("\xc2\x80"), 1);         /* U+0080, first two-byte */
    CHECK_INT(VALID("caf\xc3\xa9"), 1);      /* é */
    CHECK_INT(VALID("\xdf\xbf"), 1);         /* U+07FF, last two-byte */
    CHECK_INT(VALID("\xe0\xa0\x80"), 1);     /* U+0800, first three-byte */
    CHECK_INT(VALID("\xe2\x82\xac"), 1);     /* € */
    CHECK_INT(VALID("\xed\x9f\xbf"), 1);     /* U+D7FF, just below the surrogates */
    CHECK_INT(VALID("\xee\x80\x80"), 1);     /* U+E000, just above them */
    CHECK_INT(VALID("\xef\xbf\xbf"), 1);     /* U+FFFF */
    CHECK_INT(VALID("\xef\xbb\xbf"), 1);     /* BOM */
    CHECK_INT(VALID("\xf0\x90\x80\x80"), 1); /* U+10000, first four-byte */
    CHECK_INT(VALID("\xf0\x9f\x98\x80"), 1); /* 😀 */
    CHECK_INT(VALID("\xf4\x8f\xbf\xbf"), 1); /* U+10FFFF, the last code point */
    CHECK_INT(VALID("a\xc3\xa9z\xe2\x98\x83\xf0\x9f\x98\x80!"), 1);
}

static void test_utf8_invalid(void)
{
    CHECK_INT(VALID("\xc0\x80"), 0);                 /* overlong NUL */
    CHECK_INT(VALID("\xc0\xaf"), 0);                 /* overlong '/' */
    CHECK_INT(VALID("\xc1\xbf"), 0);                 /* overlong U+007F */
    CHECK_INT(VALID("\xe0\x80\x80"), 0);             /* overlong three-byte */
    CHECK_INT(VALID("\xe0\x9f\xbf"), 0);             /* overlong U+07FF */
    CHECK_INT(VALID("\xf0\x80\x80\x80"), 0);         /* overlong four-byte */
    CHECK_INT(VALID("\xf0\x8f\xbf\xbf"), 0);         /* overlong U+FFFF */
    CHECK_INT(VALID("\xed\xa0\x80"), 0);             /* U+D800, first surrogate */
    CHECK_INT(VALID("\xed\xbf\xbf"), 0);             /* U+DFFF, last surrogate */
    CHECK_INT(VALID("\xed\xa0\xbd\xed\xb8\x80"), 0); /* a CESU-8 surrogate pair */
    CHECK_INT(VALID("\xf4\x90\x80\x80"), 0);         /* U+110000 */
    CHECK_INT(VALID("\xf5\x80\x80\x80"), 0);
    CHECK_INT(VALID("\xf7\xbf\xbf\xbf"), 0);
    CHECK_INT(VALID("\xf8\x88\x80\x80\x80"), 0); /* five-byte form */
    CHECK_INT(VALID("\xfe"), 0);
    CHECK_INT(VALID("\xff"), 0);
    CHECK_INT(VALID("a\xff"
                    "b"),
              0);
}

static void test_utf8_truncated_and_continuations(void)
{
    CHECK_INT(VALID("\xc3"), 0);     /* truncated two-byte */
    CHECK_INT(VALID("\xe2\x82"), 0); /* truncated three-byte */
    CHECK_INT(VALID("\xe2"), 0);
    CHECK_INT(VALID("\xf0\x9f\x98"), 0); /* truncated four-byte */
    CHECK_INT(VALID("\xf0\x9f"), 0);
    CHECK_INT(VALID("ok \xc3\xa9\xe2\x82"), 0); /* valid text, then cut at the end */
    CHECK_INT(VALID("\xc3 "), 0);               /* lead byte, then not a continuation */
    CHECK_INT(VALID("\xc3\x41"), 0);
    CHECK_INT(VALID("\xe2\x28\xa1"), 0);
    CHECK_INT(VALID("\xe2\x82\x28"), 0);
    CHECK_INT(VALID("\xf0\x9f\x98\x41"), 0);
    CHECK_INT(VALID("\xc3\xc3\xa9"), 0); /* lead byte where a continuation belongs */
    CHECK_INT(VALID("\x80"), 0);         /* lone continuation */
    CHECK_INT(VALID("\xbf"), 0);
    CHECK_INT(VALID("a\x80"
                    "b"),
              0);
    CHECK_INT(VALID("\xc3\xa9\x80"), 0); /* one continuation too many */
    CHECK_INT(VALID("\xe2\x82\xac\xac"), 0);
}

/* Only s[0..len) counts: a sequence cut by len is truncated, bad bytes past len are ignored. */
static void test_utf8_uses_length(void)
{
    CHECK_INT(util_utf8_valid("\xc3\xa9", 1), 0);
    CHECK_INT(util_utf8_valid("\xf0\x9f\x98\x80", 3), 0);
    CHECK_INT(util_utf8_valid("a\xff", 1), 1);
    CHECK_INT(util_utf8_valid("\xc3\xa9\xff", 2), 1);
    CHECK_INT(util_utf8_valid("\xff", 0), 1);
}

/* A temporary file holding data[0..len); its path goes to path. 0 or -1. */
static int temp_file(char *path, size_t size, const void *data, size_t len)
{
    snprintf(path, size, "/tmp/broadsheet-util-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    ssize_t written = len ? write(fd, data, len) : 0;
    close(fd);
    return written == (ssize_t)len ? 0 : -1;
}

/* Repair keeps valid text and replaces each byte that starts no valid sequence with U+FFFD. */
static void test_utf8_repair(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"", ""},
        {"Plain ASCII", "Plain ASCII"},
        {"J\xc3\xbcrgen \xe2\x82\xac \xf0\x9f\x93\xb0",
         "J\xc3\xbcrgen \xe2\x82\xac \xf0\x9f\x93\xb0"},
        {"Bad\xffName", "Bad\xef\xbf\xbdName"},
        {"\xc3", "\xef\xbf\xbd"},                                 /* truncated at the end */
        {"\xc3(", "\xef\xbf\xbd("},                               /* missing continuation */
        {"\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd"},                 /* lone continuations */
        {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},                 /* overlong */
        {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* a surrogate */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = util_utf8_repair(cases[i].in);
        CHECK_STR(out, cases[i].out);
        CHECK(util_utf8_valid(out, strlen(out)));
        free(out);
    }
    char *none = util_utf8_repair(NULL);
    CHECK_STR(none, "");
    free(none);
}

static void test_read_file(void)
{
    char path[64];
    CHECK(temp_file(path, sizeof path, "hello\nworld\n", 12) == 0);
    size_t len = 0;
    char *text = util_read_file(path, &len);
    CHECK_STR(text, "hello\nworld\n");
    CHECK_INT(len, 12);
    free(text);
    text = util_read_file(path, NULL); /* len may be NULL */
    CHECK_STR(text, "hello\nworld\n");
    free(text);
    unlink(path);
}

static void test_read_empty_file(void)
{
    char path[64];
    CHECK(temp_file(path, sizeof path, "", 0) == 0);
    size_t len = 99;
    char *text = util_read_file(path, &len);
    CHECK_STR(text, "");
    CHECK_INT(len, 0);
    free(text);
    unlink(path);
}

/* Binary bytes (NULs included), in a file spanning several read blocks, come back exactly,
 * with a NUL after them. */
static void test_read_large_binary_file(void)
{
    static const size_t sizes[] = {4095, 4096, 4097, 100003};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        unsigned char *data = malloc(n);
        for (size_t i = 0; i < n; i++)
            data[i] = (unsigned char)(i * 7 + i / 256);
        char path[64];
        CHECK(temp_file(path, sizeof path, data, n) == 0);
        size_t len = 0;
        char *got = util_read_file(path, &len);
        CHECK(got != NULL);
        if (got) {
            CHECK_INT(len, n);
            CHECK(memcmp(got, data, n) == 0);
            CHECK(got[n] == '\0');
        }
        free(got);
        free(data);
        unlink(path);
    }
}

static void test_read_file_errors(void)
{
    size_t len = 42;
    errno = 0;
    CHECK(util_read_file("/nonexistent-broadsheet-dir/file", &len) == NULL);
    CHECK_INT(errno, ENOENT);
    char dir[] = "/tmp/broadsheet-util-dir-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    errno = 0;
    char *got = util_read_file(dir, &len);
    CHECK(got == NULL);
    CHECK(errno != 0);
    free(got);
    rmdir(dir);
}

static void test_allocators(void)
{
    char *s = xstrdup("copy me");
    CHECK_STR(s, "copy me");
    free(s);
    s = xstrndup("copy me", 4);
    CHECK_STR(s, "copy");
    free(s);
    s = xstrndup("", 0);
    CHECK_STR(s, "");
    free(s);
    void *p = xmalloc(0); /* never NULL, even for zero bytes */
    CHECK(p != NULL);
    free(p);
    int *zeros = xcalloc(1000, sizeof *zeros);
    int nonzero = 0;
    for (int i = 0; i < 1000; i++)
        nonzero += zeros[i] != 0;
    CHECK_INT(nonzero, 0);
    zeros = xrealloc(zeros, 100000 * sizeof *zeros);
    zeros[99999] = 7;
    CHECK_INT(zeros[0], 0); /* realloc keeps the old contents */
    CHECK_INT(zeros[99999], 7);
    free(zeros);
    void *none = xcalloc(0, 0); /* never NULL either */
    CHECK(none != NULL);
    free(none);
}

static void test_clocks(void)
{
    CHECK(util_now() > 1600000000); /* after September 2020 */
    int64_t a = util_monotonic_ms();
    int64_t b = util_monotonic_ms();
    CHECK(b >= a);
}

/* util_host_port_parse: the host without brackets and the port, or -1 for anything else. */
static void test_host_port(void)
{
    char host[64];
    int port = -1;
    CHECK_INT(util_host_port_parse("127.0.0.1:9100", host, sizeof host, &port), 0);
    CHECK_STR(host, "127.0.0.1");
    CHECK_INT(port, 9100);
    CHECK_INT(util_host_port_parse("[::1]:0", host, sizeof host, &port), 0);
    CHECK_STR(host, "::1");
    CHECK_INT(port, 0);
    CHECK_INT(util_host_port_parse("[fe80::1%eth0]:65535", host, sizeof host, &port), 0);
    CHECK_STR(host, "fe80::1%eth0");
    CHECK_INT(port, 65535);
    CHECK_INT(util_host_port_parse("metrics.internal:9100", host, sizeof host, &port), 0);
    CHECK_STR(host, "metrics.internal");
    CHECK_INT(util_host_port_parse("::1:9100", host, sizeof host, &port), -1); /* unbracketed */
    CHECK_INT(util_host_port_parse("[::1:9100", host, sizeof host, &port), -1);
    CHECK_INT(util_host_port_parse("[::1]]:9100", host, sizeof host, &port), -1);
    CHECK_INT(util_host_port_parse("x:99999", host, sizeof host, &port), -1);
    CHECK_INT(util_host_port_parse("x:", host, sizeof host, &port), -1);
    CHECK_INT(util_host_port_parse("x:1\n", host, sizeof host, &port), -1);
    CHECK_INT(util_host_port_parse("x\ty:1", host, sizeof host, &port), -1);
    CHECK_INT(util_host_port_parse("", host, sizeof host, &port), -1);
    char small[4];
    CHECK_INT(util_host_port_parse("abcd:1", small, sizeof small, &port), -1); /* does not fit */
    CHECK_INT(util_host_port_parse("abc:1", small, sizeof small, &port), 0);
    CHECK_STR(small, "abc");
}

/* Ids typed in URLs and forms: a positive decimal that fits, or 0 for anything else. */
static void test_parse_id(void)
{
    CHECK_INT(util_parse_id("1"), 1);
    CHECK_INT(util_parse_id("0042"), 42);
    CHECK_INT(util_parse_id("999999999999999999"), 999999999999999999LL); /* 18 digits */
    CHECK_INT(util_parse_id("1000000000000000000"), 0);                   /* 19: might not fit */
    CHECK_INT(util_parse_id(NULL), 0);
    CHECK_INT(util_parse_id(""), 0);
    CHECK_INT(util_parse_id("0"), 0);
    CHECK_INT(util_parse_id("-1"), 0);
    CHECK_INT(util_parse_id("+1"), 0);
    CHECK_INT(util_parse_id(" 1"), 0);
    CHECK_INT(util_parse_id("1 "), 0);
    CHECK_INT(util_parse_id("1x"), 0);
    CHECK_INT(util_parse_id("0x10"), 0);
    /* an http(s) link the site prints */
    CHECK_INT(util_http_url_check("https://www.example.org/terms", 500), UTIL_URL_OK);
    CHECK_INT(util_http_url_check("http://example.org", 500), UTIL_URL_OK);
    CHECK_INT(util_http_url_check("ftp://example.org/", 500), UTIL_URL_SCHEME);
    CHECK_INT(util_http_url_check("javascript:alert(1)", 500), UTIL_URL_SCHEME);
    CHECK_INT(util_http_url_check("https://", 500), UTIL_URL_WHOLE);
    CHECK_INT(util_http_url_check("https:///path", 500), UTIL_URL_WHOLE);
    CHECK_INT(util_http_url_check("https://example.org/long", 20), UTIL_URL_WHOLE);
    CHECK_INT(util_http_url_check("https://exa mple.org/", 500), UTIL_URL_CHARACTER);
    CHECK_INT(util_http_url_check("https://example.org/\"<x>", 500), UTIL_URL_CHARACTER);
    CHECK_INT(util_http_url_check("https://example.org/caf\xc3\xa9", 500), UTIL_URL_CHARACTER);
    /* in a path, one spelling per id */
    CHECK_INT(util_parse_path_id("42"), 42);
    CHECK_INT(util_parse_path_id("0042"), 0);
    CHECK_INT(util_parse_path_id("0"), 0);
    CHECK_INT(util_parse_path_id(NULL), 0);
    CHECK_INT(util_parse_path_id("999999999999999999"), 999999999999999999LL);
    CHECK_INT(util_parse_path_id("1x"), 0);
}

void suite_util(void)
{
    RUN(test_utf8_valid);
    RUN(test_utf8_invalid);
    RUN(test_utf8_truncated_and_continuations);
    RUN(test_utf8_uses_length);
    RUN(test_utf8_repair);
    RUN(test_read_file);
    RUN(test_read_empty_file);
    RUN(test_read_large_binary_file);
    RUN(test_read_file_errors);
    RUN(test_allocators);
    RUN(test_clocks);
    RUN(test_host_port);
    RUN(test_parse_id);
}
