/*
 * test_req.c: tests of the connection-free parts of src/req.c: strict percent-decoding
 * (req_decode), Accept-Encoding negotiation (req_accepts_gzip), If-None-Match matching
 * (req_etag_matches) and method names (req_method_parse). req_query and req_header need a
 * live libmicrohttpd connection and are covered by the HTTP tests instead.
 */
#include <string.h>

#include "arena.h"
#include "check.h"
#include "req.h"

static struct arena *arena;

/* in decoded as a C string: the result, or NULL when req_decode refuses it. */
static const char *decode(const char *in, int plus_is_space)
{
    char *out = NULL;
    if (req_decode(arena, in, strlen(in), plus_is_space, &out) != 0)
        return NULL;
    return out;
}

/* 1 if req_decode refuses in, with '+' as plus and as space alike. */
static int refused(const char *in)
{
    return decode(in, 0) == NULL && decode(in, 1) == NULL;
}

static void test_decode_valid(void)
{
    arena = arena_new(0);
    CHECK_STR(decode("%41", 0), "A");
    CHECK_STR(decode("%61%62c", 0), "abc");
    CHECK_STR(decode("%7e%7E", 0), "~~"); /* either case of hex */
    CHECK_STR(decode("/articles/hello-world", 0), "/articles/hello-world");
    CHECK_STR(decode("a%20b", 0), "a b");
    CHECK_STR(decode("a b", 0), "a b"); /* a raw space is not a control character */
    CHECK_STR(decode("%25", 0), "%");   /* decoded once, not twice */
    CHECK_STR(decode("%2541", 0), "%41");
    CHECK_STR(decode("%2F", 0), "/");
    CHECK_STR(decode("", 0), "");
    CHECK_STR(decode("", 1), "");
    arena_free(arena);
}

static void test_decode_plus(void)
{
    arena = arena_new(0);
    CHECK_STR(decode("a+b", 0), "a+b");
    CHECK_STR(decode("a+b", 1), "a b");
    CHECK_STR(decode("++", 1), "  ");
    CHECK_STR(decode("%2B", 0), "+");
    CHECK_STR(decode("%2B", 1), "+"); /* an encoded plus stays a plus */
    CHECK_STR(decode("new+york%2Bnj", 1), "new york+nj");
    arena_free(arena);
}

/* Only in[0..len) is decoded. */
static void test_decode_length(void)
{
    arena = arena_new(0);
    char *out = NULL;
    CHECK_INT(req_decode(arena, "ab%41xyz", 5, 0, &out), 0);
    CHECK_STR(out, "abA");
    CHECK_INT(req_decode(arena, "ab%41", 4, 0, &out), -1); /* cut inside an escape */
    CHECK_INT(req_decode(arena, "anything", 0, 0, &out), 0);
    CHECK_STR(out, "");
    arena_free(arena);
}

static void test_decode_bad_escapes(void)
{
    arena = arena_new(0);
    CHECK(refused("%zz"));
    CHECK(refused("%4g"));
    CHECK(refused("%g4"));
    CHECK(refused("%4")); /* truncated */
    CHECK(refused("abc%4"));
    CHECK(refused("%"));
    CHECK(refused("abc%"));
    CHECK(refused("% 41"));
    CHECK(refused("%+1"));
    CHECK(refused("%-1"));
    arena_free(arena);
}

static void test_decode_control_characters(void)
{
    arena = arena_new(0);
    CHECK(refused("%00"));
    CHECK(refused("a%00b"));
    CHECK(refused("%01"));
    CHECK(refused("%0A"));
    CHECK(refused("%0d%0a"));
    CHECK(refused("%09"));
    CHECK(refused("%1F"));
    CHECK(refused("%7F"));
    CHECK(refused("a\tb")); /* raw ones too */
    CHECK(refused("a\nb"));
    CHECK(refused("a\x7f"));
    CHECK(refused("\x01"));
    CHECK(refused("%C2%85")); /* C1 controls are control characters too */
    CHECK(refused("%c2%9f"));
    CHECK(!refused("%C2%A0")); /* U+00A0 is not */
    char *out = NULL;
    CHECK_INT(req_decode(arena, "a\0b", 3, 0, &out), -1); /* a raw NUL inside the length */
    arena_free(arena);
}

static void test_decode_utf8(void)
{
    arena = arena_new(0);
    CHECK_STR(decode("caf%C3%A9", 0), "caf\xc3\xa9");
    CHECK_STR(decode("%c3%a9", 0), "\xc3\xa9");
    CHECK_STR(decode("%E2%98%83", 0), "\xe2\x98\x83");
    CHECK_STR(decode("%F0%9F%98%80", 0), "\xf0\x9f\x98\x80");
    CHECK(refused("caf\xc3\xa9")); /* raw bytes >= 0x80 are not allowed in a request target */
    CHECK(refused("\x80"));
    CHECK(refused("\xff"));
    CHECK(refused("%FF%FE"));
    CHECK(refused("%FF"));
    CHECK(refused("%C3")); /* truncated sequence */
    CHECK(refused("%C3x"));
    CHECK(refused("%80"));          /* lone continuation */
    CHECK(refused("%C0%80"));       /* overlong NUL */
    CHECK(refused("%C0%AF"));       /* overlong '/' */
    CHECK(refused("%E0%80%AF"));    /* overlong '/' in three bytes */
    CHECK(refused("%ED%A0%80"));    /* surrogate */
    CHECK(refused("%F4%90%80%80")); /* above U+10FFFF */
    arena_free(arena);
}

static void test_accepts_gzip(void)
{
    CHECK_INT(req_accepts_gzip("gzip"), 1);
    CHECK_INT(req_accepts_gzip("GZIP"), 1);
    CHECK_INT(req_accepts_gzip("Gzip"), 1);
    CHECK_INT(req_accepts_gzip("deflate, gzip;q=0.5"), 1);
    CHECK_INT(req_accepts_gzip("gzip, deflate, br"), 1);
    CHECK_INT(req_accepts_gzip("br, gzip"), 1);
    CHECK_INT(req_accepts_gzip("  gzip  ,br"), 1);
    CHECK_INT(req_accepts_gzip("gzip;q=1.0"), 1);
    /* an explicit refusal of gzip wins over "*" (RFC 9110, 12.5.3) */
    CHECK_INT(req_accepts_gzip("gzip;q=0, *"), 0);
    CHECK_INT(req_accepts_gzip("*, gzip;q=0"), 0);
    CHECK_INT(req_accepts_gzip("br, *"), 1);
    CHECK_INT(req_accepts_gzip("gzip;q=0.001"), 1);
    CHECK_INT(req_accepts_gzip("gzip ; q=0.8"), 1);
    CHECK_INT(req_accepts_gzip("*"), 1);
    CHECK_INT(req_accepts_gzip("identity, *;q=0.1"), 1);
    CHECK_INT(req_accepts_gzip("*;q=0, gzip"), 1); /* gzip named with the default q=1 */

    CHECK_INT(req_accepts_gzip("gzip;q=0"), 0);
    CHECK_INT(req_accepts_gzip("gzip; q=0.000"), 0);
    CHECK_INT(req_accepts_gzip("gzip;q=0.0"), 0);
    CHECK_INT(req_accepts_gzip("gzip;Q=0"), 0);
    CHECK_INT(req_accepts_gzip("deflate, gzip;q=0"), 0);
    CHECK_INT(req_accepts_gzip("*;q=0"), 0);
    CHECK_INT(req_accepts_gzip("identity"), 0);
    CHECK_INT(req_accepts_gzip("deflate, br"), 0);
    CHECK_INT(req_accepts_gzip("gzipx"), 0);
    CHECK_INT(req_accepts_gzip("xgzip"), 0);
    CHECK_INT(req_accepts_gzip(""), 0);
    CHECK_INT(req_accepts_gzip(" , ,"), 0);
    CHECK_INT(req_accepts_gzip(NULL), 0);
}

static void test_etag_matches(void)
{
    const char *etag = "\"0123abcd\"";
    CHECK_INT(req_etag_matches("\"0123abcd\"", etag), 1);
    CHECK_INT(req_etag_matches("\"x\", \"0123abcd\"", etag), 1);
    CHECK_INT(req_etag_matches("\"x\",\"0123abcd\",\"y\"", etag), 1);
    CHECK_INT(req_etag_matches("  \"0123abcd\"  ", etag), 1);
    CHECK_INT(req_etag_matches("W/\"0123abcd\"", etag), 1); /* weak comparison */
    CHECK_INT(req_etag_matches("\"x\", W/\"0123abcd\"", etag), 1);
    CHECK_INT(req_etag_matches("*", etag), 1);
    CHECK_INT(req_etag_matches(" *", etag), 1);

    CHECK_INT(req_etag_matches("\"0123abce\"", etag), 0);
    CHECK_INT(req_etag_matches("\"0123abc\"", etag), 0);   /* a prefix */
    CHECK_INT(req_etag_matches("\"0123abcdd\"", etag), 0); /* longer */
    CHECK_INT(req_etag_matches("\"0123ABCD\"", etag), 0);  /* opaque tags are case-sensitive */
    CHECK_INT(req_etag_matches("0123abcd", etag), 0);      /* unquoted */
    CHECK_INT(req_etag_matches("\"0123abcd", etag), 0);    /* unterminated */
    CHECK_INT(req_etag_matches("\"x\", \"y\"", etag), 0);
    CHECK_INT(req_etag_matches("w/\"0123abcd\"x", etag), 0);
    CHECK_INT(req_etag_matches("", etag), 0);
    CHECK_INT(req_etag_matches(",,", etag), 0);
    CHECK_INT(req_etag_matches(NULL, etag), 0);
    CHECK_INT(req_etag_matches("\"0123abcd\"", NULL), 0);
}

static void test_method_parse(void)
{
    CHECK_INT(req_method_parse("GET"), METHOD_GET);
    CHECK_INT(req_method_parse("HEAD"), METHOD_HEAD);
    CHECK_INT(req_method_parse("POST"), METHOD_POST);
    CHECK_INT(req_method_parse("PUT"), METHOD_PUT);
    CHECK_INT(req_method_parse("DELETE"), METHOD_DELETE);
    CHECK_INT(req_method_parse("OPTIONS"), METHOD_OPTIONS);
    CHECK_INT(req_method_parse("PATCH"), METHOD_PATCH);
    CHECK_INT(req_method_parse("TRACE"), METHOD_OTHER);
    CHECK_INT(req_method_parse("CONNECT"), METHOD_OTHER);
    CHECK_INT(req_method_parse("get"), METHOD_UNKNOWN); /* method names are case-sensitive */
    CHECK_INT(req_method_parse("GETS"), METHOD_UNKNOWN);
    CHECK_INT(req_method_parse("GE"), METHOD_UNKNOWN);
    CHECK_INT(req_method_parse("BREW"), METHOD_UNKNOWN);
    CHECK_INT(req_method_parse(""), METHOD_UNKNOWN);
}

void suite_req(void)
{
    RUN(test_decode_valid);
    RUN(test_decode_plus);
    RUN(test_decode_length);
    RUN(test_decode_bad_escapes);
    RUN(test_decode_control_characters);
    RUN(test_decode_utf8);
    RUN(test_accepts_gzip);
    RUN(test_etag_matches);
    RUN(test_method_parse);
}
