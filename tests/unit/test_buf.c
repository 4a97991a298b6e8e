/*
 * test_buf.c: tests of src/buf.c, the growable byte buffer every page and header is built in.
 * Checks that the data is NUL-terminated after every kind of write, that append, putc and printf
 * grow correctly far past the first allocation (several KB, and printf output landing exactly
 * on the boundary of the room left), that binary data with NUL bytes keeps its length, that
 * reset keeps the memory and detach hands it over leaving an empty, reusable buf.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"

/* 1 if b holds exactly want[0..len) followed by a NUL. */
static int holds(const struct buf *b, const char *want, size_t len)
{
    return b->data && b->len == len && memcmp(b->data, want, len) == 0 && b->data[len] == '\0';
}

static void test_init_is_empty(void)
{
    struct buf b = BUF_INIT;
    CHECK(b.data == NULL);
    CHECK_INT(b.len, 0);
    struct buf c;
    memset(&c, 0x5a, sizeof c);
    buf_init(&c);
    CHECK(c.data == NULL);
    CHECK_INT(c.len, 0);
    CHECK_INT(c.cap, 0);
    buf_free(&b); /* freeing an empty buf is fine */
    buf_free(&c);
}

static void test_append_puts_putc(void)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "abc");
    CHECK(holds(&b, "abc", 3));
    buf_putc(&b, 'd');
    CHECK(holds(&b, "abcd", 4));
    buf_append(&b, "efghij", 2);
    CHECK(holds(&b, "abcdef", 6));
    buf_append(&b, "zzz", 0);
    CHECK(holds(&b, "abcdef", 6));
    buf_puts(&b, "");
    CHECK(holds(&b, "abcdef", 6));
    CHECK_STR(b.data, "abcdef");
    buf_free(&b);
    CHECK(b.data == NULL);
    CHECK_INT(b.len, 0);
}

/* An empty append still leaves a usable, NUL-terminated string. */
static void test_empty_append_gives_string(void)
{
    struct buf b = BUF_INIT;
    buf_append(&b, "", 0);
    CHECK_STR(b.data, "");
    CHECK_INT(b.len, 0);
    buf_free(&b);
}

/* Binary data keeps its NUL bytes and its length; the terminator comes after it. */
static void test_binary_data(void)
{
    struct buf b = BUF_INIT;
    buf_append(&b, "a\0b\0", 4);
    buf_putc(&b, '\0');
    CHECK(holds(&b, "a\0b\0\0", 5));
    buf_free(&b);
}

/* Thousands of one-byte and multi-byte appends: every byte in place, NUL after the last. */
static void test_growth_by_append(void)
{
    struct buf b = BUF_INIT;
    char *want = malloc(20000);
    size_t n = 0;
    for (int i = 0; i < 10000; i++) {
        char c = (char)('a' + i % 26);
        buf_putc(&b, c);
        want[n++] = c;
    }
    CHECK(holds(&b, want, n));
    for (int i = 0; i < 1000; i++) {
        buf_append(&b, "0123456789", 10);
        memcpy(want + n, "0123456789", 10);
        n += 10;
    }
    CHECK(holds(&b, want, n));
    CHECK(b.cap > b.len);
    free(want);
    buf_free(&b);
}

/* printf output far past the first allocation, in one call and in many. */
static void test_growth_by_printf(void)
{
    struct buf b = BUF_INIT;
    char big[8001];
    memset(big, 'q', 8000);
    big[8000] = '\0';
    buf_printf(&b, "<%s>", big);
    CHECK_INT(b.len, 8002);
    CHECK(b.data[0] == '<' && b.data[1] == 'q' && b.data[8000] == 'q' && b.data[8001] == '>');
    CHECK(b.data[8002] == '\0');

    buf_reset(&b);
    char want[16 * 1000 + 1];
    size_t n = 0;
    for (int i = 0; i < 1000; i++) {
        buf_printf(&b, "%04d,%s|", i, "xyzabcdefg");
        n += (size_t)snprintf(want + n, sizeof want - n, "%04d,%s|", i, "xyzabcdefg");
    }
    CHECK(holds(&b, want, n));
    buf_free(&b);
}

/* printf after every prefix length from 0 to 700: covers output that fits exactly, falls one
 * byte short of the room left, or needs a second pass after growing. */
static void test_printf_at_every_boundary(void)
{
    char prefix[701];
    memset(prefix, 'p', 700);
    prefix[700] = '\0';
    char arg[301];
    memset(arg, 'A', 300);
    arg[300] = '\0';
    char want[1100];
    int bad = 0;
    for (size_t len = 0; len <= 700; len++) {
        for (size_t arg_len = 0; arg_len <= 300; arg_len += 37) {
            struct buf b = BUF_INIT;
            buf_append(&b, prefix, len);
            buf_printf(&b, "%.*s!", (int)arg_len, arg);
            memcpy(want, prefix, len);
            memcpy(want + len, arg, arg_len);
            want[len + arg_len] = '!';
            if (!holds(&b, want, len + arg_len + 1))
                bad++;
            buf_free(&b);
        }
    }
    CHECK_INT(bad, 0);
}

/* A printf-like wrapper, as log and header code write them. */
static void wrapped_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void wrapped_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

static void test_vprintf(void)
{
    struct buf b = BUF_INIT;
    wrapped_printf(&b, "%s=%d;", "a", 1);
    char long_value[2000];
    memset(long_value, 'v', sizeof long_value - 1);
    long_value[sizeof long_value - 1] = '\0';
    wrapped_printf(&b, "%s", long_value); /* needs the second formatting pass */
    CHECK_INT(b.len, 4 + 1999);
    CHECK(strncmp(b.data, "a=1;vvv", 7) == 0);
    CHECK(b.data[b.len] == '\0');
    buf_free(&b);
}

/* Reset empties the buf but keeps its memory; what is written next starts at the beginning. */
static void test_reset(void)
{
    struct buf b = BUF_INIT;
    buf_reset(&b); /* resetting a never-used buf is fine */
    CHECK_INT(b.len, 0);
    for (int i = 0; i < 500; i++)
        buf_puts(&b, "0123456789");
    char *data = b.data;
    size_t cap = b.cap;
    buf_reset(&b);
    CHECK_INT(b.len, 0);
    CHECK_STR(b.data, "");
    CHECK(b.data == data);
    CHECK_INT(b.cap, cap);
    buf_puts(&b, "again");
    CHECK(holds(&b, "again", 5));
    CHECK(b.data == data);
    buf_free(&b);
}

/* buf_grow makes room so that appends of that size do not move the data. */
static void test_grow_reserves(void)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "x");
    buf_grow(&b, 5000);
    CHECK(b.cap >= b.len + 5000 + 1);
    char *data = b.data;
    char chunk[5000];
    memset(chunk, 'c', sizeof chunk);
    buf_append(&b, chunk, sizeof chunk);
    CHECK(b.data == data);
    CHECK_INT(b.len, 5001);
    CHECK(b.data[5001] == '\0');
    buf_free(&b);
}

/* Detach hands over the NUL-terminated data and its length and leaves an empty buf that can be
 * used again. */
static void test_detach(void)
{
    struct buf b = BUF_INIT;
    for (int i = 0; i < 400; i++)
        buf_printf(&b, "%d,", i % 10);
    size_t len = 0;
    char *data = buf_detach(&b, &len);
    CHECK(data != NULL);
    CHECK_INT(len, 800);
    CHECK(data[799] == ',' && data[800] == '\0');
    CHECK_INT(strlen(data), 800);
    CHECK(b.data == NULL);
    CHECK_INT(b.len, 0);
    CHECK_INT(b.cap, 0);
    buf_puts(&b, "reused");
    CHECK(holds(&b, "reused", 6));
    char *second = buf_detach(&b, NULL); /* len may be NULL */
    CHECK_STR(second, "reused");
    free(second);
    free(data);
    buf_free(&b);
}

/* Detaching a buf that was written to and reset gives an empty string; an untouched buf still
 * gives a non-NULL pointer the caller frees. */
static void test_detach_empty(void)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, "gone");
    buf_reset(&b);
    size_t len = 99;
    char *data = buf_detach(&b, &len);
    CHECK_INT(len, 0);
    CHECK_STR(data, "");
    free(data);

    struct buf untouched = BUF_INIT;
    len = 99;
    data = buf_detach(&untouched, &len);
    CHECK(data != NULL);
    CHECK_INT(len, 0);
    CHECK_STR(data, "");
    free(data);
}

void suite_buf(void)
{
    RUN(test_init_is_empty);
    RUN(test_append_puts_putc);
    RUN(test_empty_append_gives_string);
    RUN(test_binary_data);
    RUN(test_growth_by_append);
    RUN(test_growth_by_printf);
    RUN(test_printf_at_every_boundary);
    RUN(test_vprintf);
    RUN(test_reset);
    RUN(test_grow_reserves);
    RUN(test_detach);
    RUN(test_detach_empty);
}
