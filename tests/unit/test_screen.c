/*
 * test_screen.c: tests of src/screen.c, the request screen in front of libmicrohttpd. The screen
 * is a pure state machine, so every test feeds it bytes and a clock and reads its verdict:
 *
 *   - well-formed streams pass (GET, HTTP/1.0, empty lines before a request, pipelined
 *     requests, Content-Length bodies, chunked bodies with extensions and trailers), whole, one
 *     byte at a time and in random pieces;
 *   - each malformed head or body is refused with its status (400, 414, 431, 501, 505) on its
 *     own and as the second request of a connection, and the verdict does not depend on how
 *     the bytes were split: the same status, found in the piece holding the same byte, with
 *     the same bytes of complete requests before it passed on (`good`);
 *   - the size limits at their exact boundaries;
 *   - time: the head deadline from a head's first byte, the body's minimum average rate after
 *     the same grace, and no clock at all between requests.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "screen.h"
#include "util.h"

/* A byte string that may hold NUL: S("…") takes a literal's length. */
struct bytes {
    const char *data;
    size_t len;
};
#define S(literal)                                                                                 \
    {                                                                                              \
        literal, sizeof(literal) - 1                                                               \
    }

static const struct screen_limits no_limits = {0, 0};
static const struct screen_limits config_limits = {10000, 1024}; /* the defaults: 10 s, 1 KiB/s */

#define T0 1000000 /* a monotonic time to start from (0 has no meaning to the screen) */

/* A deterministic pseudo-random generator (xorshift64), so a failure can be repeated. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Feeds data[0..len) to a fresh screen in one call; returns the verdict, *good as reported. */
static unsigned feed_whole(const char *data, size_t len, size_t *good)
{
    struct screen s;
    screen_init(&s, &no_limits);
    return screen_feed(&s, data, len, T0, good);
}

/* What a split feeding of a stream found: the verdict, the stream offset of the piece it came
 * in, that piece's length, and the good bytes reported for it. */
struct split_result {
    unsigned verdict;
    size_t piece_at, piece_len, good;
    int idle; /* screen_idle at the end (no verdict) */
};

/* Feeds data to a fresh screen in pieces: of one byte when max_piece is 1, else of random
 * lengths from 1 to max_piece (0 and empty pieces in between: a read of nothing changes
 * nothing). Stops at a verdict. */
static struct split_result feed_split(const char *data, size_t len, size_t max_piece)
{
    struct screen s;
    screen_init(&s, &no_limits);
    struct split_result result = {0, 0, 0, 0, 0};
    size_t at = 0;
    while (at < len) {
        size_t n = max_piece <= 1 ? 1 : 1 + (size_t)(rng_next() % max_piece);
        if (n > len - at)
            n = len - at;
        size_t good = 12345;
        if (rng_next() % 8 == 0) { /* an empty read in between */
            CHECK_INT(screen_feed(&s, data + at, 0, T0, &good), 0);
            CHECK_INT(good, 0);
        }
        unsigned verdict = screen_feed(&s, data + at, n, T0, &good);
        if (verdict) {
            result.verdict = verdict;
            result.piece_at = at;
            result.piece_len = n;
            result.good = good;
            /* every later call gives the same verdict, and nothing good */
            CHECK_INT(screen_feed(&s, "GET / HTTP/1.1\r\n", 16, T0, &good), verdict);
            CHECK_INT(good, 0);
            return result;
        }
        CHECK_INT(good, 0);
        at += n;
    }
    result.idle = screen_idle(&s);
    return result;
}

/* Feeds data to a fresh screen in two pieces, [0, cut) and [cut, len). */
static struct split_result feed_two(const char *data, size_t len, size_t cut)
{
    struct screen s;
    screen_init(&s, &no_limits);
    struct split_result result = {0, 0, cut, 0, 0};
    result.verdict = screen_feed(&s, data, cut, T0, &result.good);
    if (!result.verdict) {
        CHECK_INT(result.good, 0);
        result.piece_at = cut;
        result.piece_len = len - cut;
        result.verdict = screen_feed(&s, data + cut, len - cut, T0, &result.good);
    }
    result.idle = screen_idle(&s);
    return result;
}

/* Checks that stream gets the same verdict however it is split: whole (giving want and
 * want_good, the offset of the refused request), one byte at a time (which finds the byte the
 * verdict falls on), in two pieces cut at every byte boundary (streams up to 4 KiB), and in
 * random pieces: each must find the verdict in the piece holding that byte, and report as good
 * the bytes of that piece before the refused request (none when the request began in an earlier
 * piece). */
static void check_stream(const char *what, const char *data, size_t len, unsigned want,
                         size_t want_good)
{
    size_t good = 12345;
    unsigned verdict = feed_whole(data, len, &good);
    if (verdict != want || (want && good != want_good))
        fprintf(stderr, "    %s: whole: verdict %u good %zu\n", what, verdict, good);
    CHECK_INT(verdict, want);
    if (want)
        CHECK_INT(good, want_good);
    else
        CHECK_INT(good, 0);

    struct split_result bytewise = feed_split(data, len, 1);
    if (bytewise.verdict != want)
        fprintf(stderr, "    %s: byte by byte: verdict %u\n", what, bytewise.verdict);
    CHECK_INT(bytewise.verdict, want);
    if (!want) {
        CHECK(bytewise.idle);
    } else {
        CHECK_INT(bytewise.good, 0);
        CHECK(bytewise.piece_at >= want_good); /* in the refused request, not before it */
    }
    size_t verdict_byte = bytewise.piece_at;

    for (size_t cut = 1; len <= 4096 && cut < len; cut++) {
        struct split_result split = feed_two(data, len, cut);
        int ok = split.verdict == want;
        if (ok && want)
            ok = split.piece_at <= verdict_byte &&
                 verdict_byte < split.piece_at + split.piece_len &&
                 split.good == (want_good > split.piece_at ? want_good - split.piece_at : 0);
        else if (ok)
            ok = split.idle;
        if (!ok) {
            fprintf(stderr, "    %s: cut at %zu: verdict %u, good %zu; byte by byte: at %zu\n",
                    what, cut, split.verdict, split.good, verdict_byte);
            CHECK(ok);
            break;
        }
    }

    static const size_t max_pieces[] = {2, 3, 7, 16, 64, 1000};
    for (size_t m = 0; m < ARRAY_LEN(max_pieces); m++) {
        for (int round = 0; round < 8; round++) {
            struct split_result split = feed_split(data, len, max_pieces[m]);
            int ok = split.verdict == want;
            if (ok && want) {
                ok = split.piece_at <= verdict_byte &&
                     verdict_byte < split.piece_at + split.piece_len &&
                     split.good == (want_good > split.piece_at ? want_good - split.piece_at : 0);
            } else if (ok) {
                ok = split.idle;
            }
            if (!ok)
                fprintf(stderr,
                        "    %s: pieces up to %zu: verdict %u in the piece at %zu (%zu bytes), "
                        "good %zu; byte by byte: at %zu\n",
                        what, max_pieces[m], split.verdict, split.piece_at, split.piece_len,
                        split.good, verdict_byte);
            CHECK(ok);
        }
    }
}

/* A well-formed request to put before a malformed one: a pipelined first request. */
static const char first_request[] = "GET /first HTTP/1.1\r\nHost: example.org\r\n\r\n";

static void test_valid_requests(void)
{
    static const struct {
        const char *what;
        struct bytes stream;
    } cases[] = {
        {"GET", S("GET / HTTP/1.1\r\nHost: example.org\r\n\r\n")},
        {"headers", S("GET /articles/x?y=1 HTTP/1.1\r\nHost: example.org\r\nUser-Agent: test/1.0"
                      "\r\nAccept: */*\r\nCookie: a=b; c=d\r\n\r\n")},
        {"HTTP/1.0 without Host", S("GET / HTTP/1.0\r\n\r\n")},
        {"HTTP/1.0 with Host", S("GET / HTTP/1.0\r\nHost: example.org\r\n\r\n")},
        {"names in any case", S("GET / HTTP/1.1\r\nhOST: a\r\ncontent-LENGTH: 2\r\n\r\nab")},
        {"optional white space", S("GET / HTTP/1.1\r\nHost:a\r\nX-A: \t b \t\r\nX-Empty:\r\n"
                                   "X-Blank:   \r\n\r\n")},
        {"obs-text and tabs in values", S("GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf\xc3\xa9\t"
                                          "\xff\r\n\r\n")},
        {"token punctuation in names", S("GET / HTTP/1.1\r\nHost: a\r\nX-!#$%&'*+.^_`|~1: v\r\n"
                                         "\r\n")},
        {"other methods", S("DELETE /a HTTP/1.1\r\nHost: a\r\n\r\nM-SEARCH * HTTP/1.1\r\n"
                            "Host: a\r\n\r\n")},
        {"empty lines first", S("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")},
        {"the most empty lines", S("\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n"
                                   "Host: a\r\n\r\n")},
        {"an empty line after a body", S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
                                         "\r\nx\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")},
        {"Content-Length", S("POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n"
                             "hello world")},
        {"Content-Length with white space and zeros",
         S("POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: \t 005 \t\r\n\r\nhello")},
        {"Content-Length: 0", S("POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")},
        {"a body that looks like a head",
         S("POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 21\r\n\r\nGET /\n\r\x00 HTTP/9.9\r\n"
           "\r\n")},
        {"chunked", S("POST /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")},
        {"chunked with extensions and trailers",
         S("POST /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
           "5;name=value;x\r\nhello\r\n0A;q=\"a b\"\r\n0123456789\r\na\r\n\r\n\r\n\r\n\r\n\r\n\r\n"
           "00000;last\r\nX-Trailer: yes\r\nX-Checksum: 1234\r\n\r\n")},
        {"chunked, any case, white space", S("POST /f HTTP/1.1\r\nHost: a\r\n"
                                             "transfer-encoding:  CHUNKED \r\n\r\n"
                                             "F\r\n0123456789abcde\r\n0\r\n\r\n")},
        {"chunk data holding CRLFs", S("POST /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
                                       "chunked\r\n\r\n4\r\n\r\n\r\n\r\n0\r\n\r\n")},
        {"pipelined", S("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\n"
                        "Content-Length: 3\r\n\r\nabcPOST /3 HTTP/1.1\r\nHost: a\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\nX-T: 1\r\n\r\n"
                        "GET /4 HTTP/1.0\r\n\r\nHEAD /5 HTTP/1.1\r\nHost: a\r\n\r\n")},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        check_stream(cases[i].what, cases[i].stream.data, cases[i].stream.len, 0, 0);
}

/* The malformed requests, each refused with its status. Every one follows the Host line (where
 * it has one) with what makes it malformed. */
static const struct {
    const char *what;
    struct bytes stream;
    unsigned status;
} refusals[] = {
    /* line endings */
    {"bare LF after the request line", S("GET / HTTP/1.1\nHost: a\r\n\r\n"), 400},
    {"bare LF after a header", S("GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n"), 400},
    {"bare LF ending the head", S("GET / HTTP/1.1\r\nHost: a\r\n\n"), 400},
    {"bare LF as an empty line first", S("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
    {"bare CR after the request line", S("GET / HTTP/1.1\rHost: a\r\n\r\n"), 400},
    {"bare CR in a value", S("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"), 400},
    {"bare CR ending the head", S("GET / HTTP/1.1\r\nHost: a\r\n\rX"), 400},
    {"bare CR as an empty line first", S("\rGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
    {"too many empty lines first",
     S("\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
    /* header lines */
    {"obs-fold with a space", S("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n"), 400},
    {"obs-fold with a tab", S("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n"), 400},
    {"a space before the colon", S("GET / HTTP/1.1\r\nHost: a\r\nX-A : b\r\n\r\n"), 400},
    {"a tab before the colon", S("GET / HTTP/1.1\r\nHost: a\r\nX-A\t: b\r\n\r\n"), 400},
    {"Transfer-Encoding with a space before the colon",
     S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding : chunked\r\n\r\n"
       "0\r\n\r\n"),
     400},
    {"Host with a space before the colon", S("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400},
    {"a space inside a name", S("GET / HTTP/1.1\r\nHost: a\r\nX A: b\r\n\r\n"), 400},
    {"a space before a name", S("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), 400},
    {"a name with a separator", S("GET / HTTP/1.1\r\nHost: a\r\nX(A): b\r\n\r\n"), 400},
    {"a name with a slash", S("GET / HTTP/1.1\r\nHost: a\r\nX/A: b\r\n\r\n"), 400},
    {"a name with a quote", S("GET / HTTP/1.1\r\nHost: a\r\nX\"A: b\r\n\r\n"), 400},
    {"a name with a non-ASCII byte", S("GET / HTTP/1.1\r\nHost: a\r\nX\xc3\xa9: b\r\n\r\n"), 400},
    {"an empty name", S("GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n"), 400},
    {"a line without a colon", S("GET / HTTP/1.1\r\nHost: a\r\nX-A\r\n\r\n"), 400},
    {"NUL in a value", S("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n\r\n"), 400},
    {"NUL in a name", S("GET / HTTP/1.1\r\nHost: a\r\nX\0A: b\r\n\r\n"), 400},
    {"a control character in a value", S("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x01\r\n\r\n"), 400},
    {"ESC in a value", S("GET / HTTP/1.1\r\nHost: a\r\nX-A: \x1b[1m\r\n\r\n"), 400},
    {"DEL in a value", S("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x7f\r\n\r\n"), 400},
    {"a control character in Host", S("GET / HTTP/1.1\r\nHost: a\x0b\r\n\r\n"), 400},
    /* Content-Length */
    {"Content-Length not a number",
     S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n"
       "\r\n"),
     400},
    {"Content-Length empty", S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n"), 400},
    {"Content-Length negative", S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"), 400},
    {"Content-Length with a sign",
     S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n"
       "hello"),
     400},
    {"Content-Length in hex", S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n"), 400},
    {"Content-Length a list",
     S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n"
       "hello"),
     400},
    {"Content-Length two numbers",
     S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n"
       "\r\n"),
     400},
    {"Content-Length too many digits",
     S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1234567890123456789\r\n\r\n"), 400},
    {"Content-Length overflowing",
     S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: "
       "18446744073709551617\r\n\r\n"),
     400},
    {"Content-Length twice, equal",
     S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
       "Content-Length: 5\r\n\r\nhello"),
     400},
    {"Content-Length twice, different",
     S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
       "Content-Length: 0\r\n\r\nhello"),
     400},
    /* Transfer-Encoding */
    {"Transfer-Encoding: xchunked",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
       "xchunked\r\n\r\n"),
     501},
    {"Transfer-Encoding: gzip, chunked",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
       "gzip, chunked\r\n\r\n"),
     501},
    {"Transfer-Encoding: gzip",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
       "\r\n"),
     501},
    {"Transfer-Encoding: identity",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
       "identity\r\n\r\n"),
     501},
    {"Transfer-Encoding empty", S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n"), 501},
    {"Transfer-Encoding: chunked, identity",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
       "chunked, identity\r\n\r\n"),
     400},
    {"Transfer-Encoding: chunked, chunked",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
       "chunked,chunked\r\n\r\n"),
     400},
    {"Transfer-Encoding and Content-Length",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
       "chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n"),
     400},
    {"Content-Length and Transfer-Encoding",
     S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: "
       "4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
     400},
    {"Transfer-Encoding in HTTP/1.0",
     S("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
       "0\r\n\r\n"),
     400},
    {"Transfer-Encoding twice",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
     400},
    /* Host */
    {"HTTP/1.1 without Host", S("GET / HTTP/1.1\r\nX-A: b\r\n\r\n"), 400},
    {"HTTP/1.1 with two Hosts", S("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), 400},
    {"HTTP/1.0 with two Hosts", S("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n"), 400},
    /* the request line */
    {"HTTP/2.0", S("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505},
    {"HTTP/1.2", S("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), 505},
    {"HTTP/0.9 by name", S("GET / HTTP/0.9\r\nHost: a\r\n\r\n"), 505},
    {"HTTP/3", S("GET / HTTP/3\r\nHost: a\r\n\r\n"), 400},
    {"HTTP/1.1 and more", S("GET / HTTP/1.1x\r\nHost: a\r\n\r\n"), 400},
    {"HTTP/1.10", S("GET / HTTP/1.10\r\nHost: a\r\n\r\n"), 400},
    {"a long version", S("GET / HTTP/1.1.1.1.1.1.1\r\nHost: a\r\n\r\n"), 400},
    {"a lowercase version", S("GET / http/1.1\r\nHost: a\r\n\r\n"), 400},
    {"a version that is not one", S("GET / FOO/1.1\r\nHost: a\r\n\r\n"), 400},
    {"no version (HTTP/0.9)", S("GET /\r\n\r\n"), 400},
    {"an empty version", S("GET / \r\nHost: a\r\n\r\n"), 400},
    {"a space after the version", S("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"), 400},
    {"two spaces after the method", S("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
    {"two spaces after the target", S("GET /  HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
    {"a tab after the method", S("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
    {"a space first", S(" GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
    {"a method with a separator", S("GE(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
    {"a control character in the target", S("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
    {"a non-ASCII byte in the target", S("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
    {"DEL in the target", S("GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
    {"a NUL first", S("\0GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
    {"TLS", S("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), 400},
    /* chunked bodies */
    {"a chunk size of 16 hex digits",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n"),
     400},
    {"a chunk size overflowing 64 bits",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000001\r\n"),
     400},
    {"a chunk size of zeros beyond the limit",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000005\r\n"
       "hello\r\n0\r\n\r\n"),
     400},
    {"a chunk size that is not hex",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
       "chunked\r\n\r\ng\r\n"),
     400},
    {"a chunk size in 0x",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
       "0x5\r\nhello\r\n0\r\n\r\n"),
     400},
    {"a negative chunk size",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
       "\r\n-5\r\n"),
     400},
    {"no chunk size",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
       "\r\n"),
     400},
    {"an extension without a size",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
       "chunked\r\n\r\n;x=1\r\n"),
     400},
    {"a space after the chunk size",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
       "chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n"),
     400},
    {"a bare LF after the chunk size",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
       "chunked\r\n\r\n5\nhello\r\n0\r\n\r\n"),
     400},
    {"a control character in an extension",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x\0\r\nhello\r\n"
       "0\r\n\r\n"),
     400},
    {"chunk data longer than its size",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello!\r\n"
       "0\r\n\r\n"),
     400},
    {"chunk data shorter than its size",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhell\r\n0\r\n"
       "\r\n"),
     400},
    {"a bare LF after chunk data",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
       "chunked\r\n\r\n5\r\nhello\n0\r\n\r\n"),
     400},
    {"a bare CR after chunk data",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
       "chunked\r\n\r\n5\r\nhello\r0\r\n\r\n"),
     400},
    /* trailers */
    {"Content-Length in the trailers",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
       "Content-Length: 5\r\n\r\nhello"),
     400},
    {"Transfer-Encoding in the trailers",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
       "Transfer-Encoding: chunked\r\n\r\n"),
     400},
    {"Host in the trailers",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
       "\r\n0\r\nHost: b\r\n\r\n"),
     400},
    {"obs-fold in the trailers",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked"
       "\r\n\r\n0\r\nX-T: a\r\n b\r\n\r\n"),
     400},
    {"a space before a colon in the trailers",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T : a\r\n\r\n"),
     400},
    {"a bare LF ending the trailers",
     S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\nX-T: a\r\n\n"),
     400},
};

/* Each malformed request alone: its status, nothing good before it. */
static void test_refusals_alone(void)
{
    for (size_t i = 0; i < ARRAY_LEN(refusals); i++)
        check_stream(refusals[i].what, refusals[i].stream.data, refusals[i].stream.len,
                     refusals[i].status, 0);
}

/* Each malformed request after a well-formed one (a keep-alive connection's second request, as
 * a front proxy's reused connection carries it): the same status, and the first request's
 * bytes are good. */
static void test_refusals_pipelined(void)
{
    char stream[1024];
    size_t first = sizeof first_request - 1;
    for (size_t i = 0; i < ARRAY_LEN(refusals); i++) {
        size_t len = refusals[i].stream.len;
        CHECK(first + len <= sizeof stream);
        memcpy(stream, first_request, first);
        memcpy(stream + first, refusals[i].stream.data, len);
        check_stream(refusals[i].what, stream, first + len, refusals[i].status, first);
    }
}

/* A request of its parts around a filler of n copies of c: prefix, filler, suffix. */
static char *with_filler(const char *prefix, char c, size_t n, const char *suffix, size_t *len)
{
    size_t p = strlen(prefix), s = strlen(suffix);
    char *out = xmalloc(p + n + s + 1);
    memcpy(out, prefix, p);
    memset(out + p, c, n);
    memcpy(out + p + n, suffix, s + 1);
    *len = p + n + s;
    return out;
}

/* The request line may be SCREEN_MAX_LINE bytes long (RFC 9112's request-line, without its
 * CRLF); one more is 414, whether the target or the method is long. */
static void test_request_line_limit(void)
{
    /* "GET " + target + " HTTP/1.1" is the line: the target fills it exactly. */
    size_t target = SCREEN_MAX_LINE - strlen("GET  HTTP/1.1") - 1; /* after the '/' */
    size_t len;
    char *req = with_filler("GET /", 'a', target, " HTTP/1.1\r\nHost: a\r\n\r\n", &len);
    CHECK_INT(strstr(req, "\r\n") - req, SCREEN_MAX_LINE);
    check_stream("a request line of the limit", req, len, 0, 0);
    free(req);

    req = with_filler("GET /", 'a', target + 1, " HTTP/1.1\r\nHost: a\r\n\r\n", &len);
    check_stream("a request line over the limit", req, len, 414, 0);
    free(req);

    req = with_filler("GET /", 'a', 20000, " HTTP/1.1\r\nHost: a\r\n\r\n", &len);
    check_stream("a 20000-byte target", req, len, 414, 0);
    free(req);

    req = with_filler("G", 'G', 20000, " / HTTP/1.1\r\nHost: a\r\n\r\n", &len);
    check_stream("a 20000-byte method", req, len, 414, 0);
    free(req);

    req = with_filler("GET / HTTP/", '1', 20000, "\r\nHost: a\r\n\r\n", &len);
    check_stream("a 20000-byte version", req, len, 414, 0);
    free(req);
}

/* A header line may be SCREEN_MAX_LINE bytes long (without its CRLF); one more is 431, whether
 * its name or its value is long. */
static void test_header_line_limit(void)
{
    size_t len;
    char *req = with_filler("GET / HTTP/1.1\r\nHost: a\r\nX-A: ", 'v',
                            SCREEN_MAX_LINE - strlen("X-A: "), "\r\n\r\n", &len);
    check_stream("a header line of the limit", req, len, 0, 0);
    free(req);

    req = with_filler("GET / HTTP/1.1\r\nHost: a\r\nX-A: ", 'v',
                      SCREEN_MAX_LINE - strlen("X-A: ") + 1, "\r\n\r\n", &len);
    check_stream("a header line over the limit", req, len, 431, 0);
    free(req);

    req = with_filler("GET / HTTP/1.1\r\nHost: a\r\nX-", 'n', SCREEN_MAX_LINE, ": v\r\n\r\n", &len);
    check_stream("a header name over the limit", req, len, 431, 0);
    free(req);

    req = with_filler("GET / HTTP/1.1\r\nHost: a\r\nX-Big: ", 'a', 9000, "\r\n\r\n", &len);
    check_stream("a 9000-byte value", req, len, 431, 0);
    free(req);
}

/* The head (request line, header lines and CRLFs) may be SCREEN_MAX_HEAD bytes; one more is
 * 431, though every line is within its own limit. */
static void test_head_limit(void)
{
    /* "GET / HTTP/1.1\r\nHost: a\r\n" (25) + 5 lines "X-N: " + 3270 'a' + CRLF + the rest */
    char *head = xmalloc(SCREEN_MAX_HEAD + 64);
    for (int over = 0; over <= 1; over++) {
        size_t len = 0;
        const char *start = "GET / HTTP/1.1\r\nHost: a\r\n";
        memcpy(head, start, strlen(start));
        len += strlen(start);
        size_t line_value = 3000;
        while (len + 5 + line_value + 2 + 2 <= SCREEN_MAX_HEAD) {
            memcpy(head + len, "X-A: ", 5);
            memset(head + len + 5, 'a', line_value);
            memcpy(head + len + 5 + line_value, "\r\n", 2);
            len += 5 + line_value + 2;
        }
        /* one last header filling the head to exactly the limit (or one more) */
        size_t last = SCREEN_MAX_HEAD - len - 2 - 5 - 2 + (size_t)over;
        memcpy(head + len, "X-B: ", 5);
        memset(head + len + 5, 'b', last);
        memcpy(head + len + 5 + last, "\r\n\r\n", 4);
        len += 5 + last + 4;
        CHECK_INT(len, SCREEN_MAX_HEAD + (size_t)over);
        check_stream(over ? "a head over the limit" : "a head of the limit", head, len,
                     over ? 431 : 0, 0);
    }
    free(head);

    /* empty lines before the request line count in the head */
    for (int over = 0; over <= 1; over++) {
        struct buf blank = BUF_INIT;
        buf_printf(&blank, "%s\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nX-A: ", over ? "\r\n" : "");
        for (size_t i = 0; i < 6000; i++)
            buf_append(&blank, "a", 1);
        buf_printf(&blank, "\r\nX-B: ");
        for (size_t i = 0; i < 6000; i++)
            buf_append(&blank, "b", 1);
        buf_printf(&blank, "\r\nX-C: ");
        while (blank.len < SCREEN_MAX_HEAD + (size_t)over - 4)
            buf_append(&blank, "c", 1);
        buf_printf(&blank, "\r\n\r\n");
        CHECK_INT(blank.len, SCREEN_MAX_HEAD + (size_t)over);
        check_stream(over ? "one more empty line" : "empty lines and a head of the limit",
                     blank.data, blank.len, over ? 431 : 0, 0);
        buf_free(&blank);
    }

    /* the trailers are a head too: 20 KiB of them is refused */
    struct buf trailers = BUF_INIT;
    buf_printf(&trailers, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n");
    for (int i = 0; i < 5; i++) {
        buf_printf(&trailers, "X-T%d: ", i);
        for (int j = 0; j < 4000; j++)
            buf_append(&trailers, "t", 1);
        buf_printf(&trailers, "\r\n");
    }
    buf_printf(&trailers, "\r\n");
    check_stream("20 KiB of trailers", trailers.data, trailers.len, 431, 0);
    buf_free(&trailers);
}

/* A chunk's size line with its extensions may be SCREEN_MAX_LINE bytes too; one more is 400. */
static void test_chunk_line_limit(void)
{
    for (int over = 0; over <= 1; over++) {
        struct buf req = BUF_INIT;
        buf_printf(&req, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
        size_t line_start = req.len;
        buf_printf(&req, "5;x=");
        while (req.len - line_start < SCREEN_MAX_LINE + (size_t)over)
            buf_append(&req, "e", 1);
        buf_printf(&req, "\r\nhello\r\n0\r\n\r\n");
        check_stream(over ? "a chunk line over the limit" : "a chunk line of the limit", req.data,
                     req.len, over ? 400 : 0, 0);
        buf_free(&req);
    }
}

/* A long body, in any pieces, is only counted: none of its bytes is judged. */
static void test_long_bodies(void)
{
    struct buf body = BUF_INIT;
    buf_printf(&body, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n");
    for (int i = 0; i < 100000; i++) {
        char c = (char)(rng_next() & 0xff); /* any bytes at all */
        buf_append(&body, &c, 1);
    }
    buf_printf(&body, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int chunk = 0; chunk < 20; chunk++) {
        size_t n = 1 + (size_t)(rng_next() % 9000);
        buf_printf(&body, "%zx;chunk=%d\r\n", n, chunk);
        for (size_t i = 0; i < n; i++) {
            char c = (char)(rng_next() & 0xff);
            buf_append(&body, &c, 1);
        }
        buf_printf(&body, "\r\n");
    }
    buf_printf(&body, "0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
    check_stream("long bodies", body.data, body.len, 0, 0);

    /* the same with a malformed request after them: everything before it is good */
    size_t good = body.len;
    buf_printf(&body, "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n");
    check_stream("long bodies, then a refusal", body.data, body.len, 501, good);
    buf_free(&body);

    /* the largest chunk size the screen takes (15 hex digits) is not refused */
    struct screen s;
    size_t g;
    screen_init(&s, &no_limits);
    const char *big = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "fffffffffffffff\r\nsome of it";
    CHECK_INT(screen_feed(&s, big, strlen(big), T0, &g), 0);
    CHECK(!screen_idle(&s));
}

/* Many random splittings of a long mixed stream: never a verdict, idle at the end. */
static void test_random_splits(void)
{
    static const char stream[] =
        "\r\nGET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
        "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789"
        "POST /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        "3;a=b\r\nxyz\r\n10\r\n0123456789abcdef\r\n0\r\nX-T: 1\r\nX-U: 2\r\n\r\n"
        "GET /4 HTTP/1.0\r\n\r\n"
        "\r\n\r\nHEAD /5 HTTP/1.1\r\nhost: b\r\nX-Long: a b c d e f g h i j k l m n o p q r s\r\n"
        "\r\n";
    for (int round = 0; round < 500; round++) {
        struct split_result r = feed_split(stream, sizeof stream - 1, 1 + (size_t)round % 40);
        CHECK_INT(r.verdict, 0);
        CHECK(r.idle);
    }
}

/* good: the bytes of complete requests before the refused one, in the call that refuses. */
static void test_good_bytes(void)
{
    struct screen s;
    size_t good;
    const char *bad = "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n";
    const char *one = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n";
    const char *body = "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc";
    char stream[512];

    /* two complete requests, then the refused one, in one read */
    snprintf(stream, sizeof stream, "%s%s%s", one, body, bad);
    screen_init(&s, &no_limits);
    CHECK_INT(screen_feed(&s, stream, strlen(stream), T0, &good), 400);
    CHECK_INT(good, strlen(one) + strlen(body));

    /* the refused request began in an earlier read: nothing of this read is good */
    screen_init(&s, &no_limits);
    CHECK_INT(screen_feed(&s, one, strlen(one), T0, &good), 0);
    CHECK_INT(screen_feed(&s, bad, 20, T0, &good), 0);
    good = 12345;
    CHECK_INT(screen_feed(&s, bad + 20, strlen(bad) - 20, T0, &good), 400);
    CHECK_INT(good, 0);

    /* a request whose head came earlier ends in this read, then the refused one begins: the
     * end of the first request is good */
    screen_init(&s, &no_limits);
    CHECK_INT(screen_feed(&s, body, strlen(body) - 2, T0, &good), 0);
    snprintf(stream, sizeof stream, "bc%s", bad);
    CHECK_INT(screen_feed(&s, stream, strlen(stream), T0, &good), 400);
    CHECK_INT(good, 2);

    /* empty lines before the refused request are part of it */
    snprintf(stream, sizeof stream, "%s\r\n\r\n%s", one, bad);
    screen_init(&s, &no_limits);
    CHECK_INT(screen_feed(&s, stream, strlen(stream), T0, &good), 400);
    CHECK_INT(good, strlen(one));

    /* the first request refused: nothing good; and later calls report nothing good either */
    screen_init(&s, &no_limits);
    CHECK_INT(screen_feed(&s, bad, strlen(bad), T0, &good), 400);
    CHECK_INT(good, 0);
    good = 12345;
    CHECK_INT(screen_feed(&s, one, strlen(one), T0, &good), 400);
    CHECK_INT(good, 0);
    CHECK(!screen_idle(&s));
}

/* screen_idle: between requests, and only then. */
static void test_idle(void)
{
    struct screen s;
    size_t good;
    screen_init(&s, &no_limits);
    CHECK(screen_idle(&s));
    CHECK_INT(screen_feed(&s, "G", 1, T0, &good), 0);
    CHECK(!screen_idle(&s));
    CHECK_INT(screen_feed(&s, "ET / HTTP/1.1\r\nHost: a\r\n\r\n", 26, T0, &good), 0);
    CHECK(screen_idle(&s));

    const char *post = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n";
    CHECK_INT(screen_feed(&s, post, strlen(post), T0, &good), 0);
    CHECK(!screen_idle(&s)); /* the body is still to come */
    CHECK_INT(screen_feed(&s, "x", 1, T0, &good), 0);
    CHECK(!screen_idle(&s));
    CHECK_INT(screen_feed(&s, "y", 1, T0, &good), 0);
    CHECK(screen_idle(&s));

    CHECK_INT(screen_feed(&s, "\r\n", 2, T0, &good), 0);
    CHECK(!screen_idle(&s)); /* an empty line belongs to the next request */

    screen_init(&s, &no_limits);
    CHECK_INT(screen_feed(&s, "\x01", 1, T0, &good), 400);
    CHECK(!screen_idle(&s));
}

/* The head deadline: a read that comes more than head_deadline_ms after the head's first byte,
 * with the head unfinished, is refused with 408. */
static void test_head_deadline(void)
{
    struct screen s;
    size_t good;
    screen_init(&s, &config_limits);
    CHECK_INT(screen_feed(&s, "GET / HTTP/1.1\r\n", 16, T0, &good), 0);
    CHECK_INT(screen_feed(&s, "Host: a\r\n", 9, T0 + 5000, &good), 0);
    CHECK_INT(screen_feed(&s, "X-A: b\r\n", 8, T0 + 10000, &good), 0); /* at the deadline */
    good = 12345;
    CHECK_INT(screen_feed(&s, "\r\n", 2, T0 + 10001, &good), 408);
    CHECK_INT(good, 0);
    CHECK_INT(screen_feed(&s, "\r\n", 2, T0 + 10002, &good), 408); /* and for good */

    /* a header byte every 5 s, as a slow client sends them: cut at the deadline */
    screen_init(&s, &config_limits);
    const char *head = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    unsigned verdict = 0;
    size_t i;
    for (i = 0; head[i] && !verdict; i++)
        verdict = screen_feed(&s, head + i, 1, T0 + (int64_t)i * 5000, &good);
    CHECK_INT(verdict, 408);
    CHECK_INT(i, 4); /* bytes at 0, 5, 10 s; the one at 15 s is refused */

    /* the clock starts at the first byte, also of an empty line */
    screen_init(&s, &config_limits);
    CHECK_INT(screen_feed(&s, "\r\n", 2, T0, &good), 0);
    CHECK_INT(screen_feed(&s, head, strlen(head), T0 + 10001, &good), 408);

    /* a head sent whole at any time is fine, and a read that completes it in time too */
    screen_init(&s, &config_limits);
    CHECK_INT(screen_feed(&s, head, strlen(head), T0 + 3600000, &good), 0);
    CHECK_INT(screen_feed(&s, head, 10, T0 + 3600000, &good), 0);
    CHECK_INT(screen_feed(&s, head + 10, strlen(head) - 10, T0 + 3610000, &good), 0);
    CHECK(screen_idle(&s));

    /* without limits, no time verdicts at all */
    screen_init(&s, &no_limits);
    CHECK_INT(screen_feed(&s, head, 3, T0, &good), 0);
    CHECK_INT(screen_feed(&s, head + 3, strlen(head) - 3, T0 + 86400000, &good), 0);
    CHECK(screen_idle(&s));
}

/* Between requests there is no clock: an idle keep-alive connection is not the screen's to
 * close (the idle timeout does that), and the next request gets a deadline of its own. */
static void test_no_deadline_between_requests(void)
{
    struct screen s;
    size_t good;
    const char *head = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    const char *post = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc";
    screen_init(&s, &config_limits);
    CHECK_INT(screen_feed(&s, head, strlen(head), T0, &good), 0);
    CHECK_INT(screen_feed(&s, post, strlen(post), T0 + 60000, &good), 0);
    CHECK_INT(screen_feed(&s, head, 5, T0 + 120000, &good), 0);
    CHECK_INT(screen_feed(&s, head + 5, strlen(head) - 5, T0 + 129000, &good), 0);
    CHECK(screen_idle(&s));
    /* after a chunked body and its trailers too */
    const char *chunked = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "1\r\nx\r\n0\r\nX-T: 1\r\n\r\n";
    CHECK_INT(screen_feed(&s, chunked, strlen(chunked), T0 + 130000, &good), 0);
    CHECK(screen_idle(&s));
    CHECK_INT(screen_feed(&s, head, strlen(head), T0 + 500000, &good), 0);
    CHECK(screen_idle(&s));

    /* the deadline of a request that began in the same read as the previous one ended */
    screen_init(&s, &config_limits);
    char two[128];
    snprintf(two, sizeof two, "%sGET /", head);
    CHECK_INT(screen_feed(&s, two, strlen(two), T0, &good), 0);
    CHECK_INT(screen_feed(&s, " HTTP/1.1\r\n", 11, T0 + 10001, &good), 408);
}

/* The body's minimum rate: after a grace as long as a head may take, a body must have averaged
 * body_min_rate bytes a second since the head ended (counting the read being judged). */
static void test_body_min_rate(void)
{
    struct screen s;
    size_t good;
    char data[40000];
    memset(data, 'x', sizeof data);
    const char *post = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n";

    /* slow but within the grace, then too slow */
    screen_init(&s, &config_limits);
    CHECK_INT(screen_feed(&s, post, strlen(post), T0, &good), 0);
    CHECK_INT(screen_feed(&s, data, 100, T0 + 5000, &good), 0);
    CHECK_INT(screen_feed(&s, data, 100, T0 + 10000, &good), 0); /* the grace's last moment */
    good = 12345;
    CHECK_INT(screen_feed(&s, data, 100, T0 + 11000, &good), 408); /* 300 bytes of 11264 */
    CHECK_INT(good, 0);

    /* a read that brings the average up to the rate is not refused */
    screen_init(&s, &config_limits);
    CHECK_INT(screen_feed(&s, post, strlen(post), T0, &good), 0);
    CHECK_INT(screen_feed(&s, data, 100, T0 + 5000, &good), 0);
    CHECK_INT(screen_feed(&s, data, 11164, T0 + 11000, &good), 0); /* exactly 11264 */
    CHECK_INT(screen_feed(&s, data, 30000, T0 + 40000, &good), 0); /* 41264 of 40960 */
    CHECK_INT(screen_feed(&s, data, 1, T0 + 41000, &good), 408);   /* 41265 of 41984 */

    /* the rate applies to chunked bodies, their trailers included */
    const char *chunked = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    screen_init(&s, &config_limits);
    CHECK_INT(screen_feed(&s, chunked, strlen(chunked), T0, &good), 0);
    CHECK_INT(screen_feed(&s, "5\r\nhello\r\n", 10, T0 + 2000, &good), 0);
    CHECK_INT(screen_feed(&s, "0\r\n", 3, T0 + 9000, &good), 0);
    CHECK_INT(screen_feed(&s, "X-T: 1\r\n", 8, T0 + 12000, &good), 408);

    /* without a minimum rate a body may take any time */
    struct screen_limits head_only = {10000, 0};
    screen_init(&s, &head_only);
    CHECK_INT(screen_feed(&s, post, strlen(post), T0, &good), 0);
    CHECK_INT(screen_feed(&s, data, 1, T0 + 3600000, &good), 0);

    /* the clock of a body starts when its head ends, not at the head's first byte */
    screen_init(&s, &config_limits);
    CHECK_INT(screen_feed(&s, post, 10, T0, &good), 0);
    CHECK_INT(screen_feed(&s, post + 10, strlen(post) - 10, T0 + 9000, &good), 0);
    CHECK_INT(screen_feed(&s, data, 10, T0 + 18000, &good), 0); /* 9 s into the body */
}

void suite_screen(void)
{
    RUN(test_valid_requests);
    RUN(test_refusals_alone);
    RUN(test_refusals_pipelined);
    RUN(test_request_line_limit);
    RUN(test_header_line_limit);
    RUN(test_head_limit);
    RUN(test_chunk_line_limit);
    RUN(test_long_bodies);
    RUN(test_random_splits);
    RUN(test_good_bytes);
    RUN(test_idle);
    RUN(test_head_deadline);
    RUN(test_no_deadline_between_requests);
    RUN(test_body_min_rate);
}
