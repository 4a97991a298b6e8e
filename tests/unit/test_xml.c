/*
 * test_xml.c: tests of src/xml.c, the XML text and dates of the feeds and sitemaps: the five
 * special characters escaped, UTF-8 kept as it is, what XML 1.0 forbids dropped (C0 controls
 * but tab, newline and return; NUL; U+FFFE, U+FFFF), each byte that starts no well-formed UTF-8
 * sequence written as U+FFFD; RFC 3339 dates in UTC.
 */
#include <string.h>

#include "buf.h"
#include "check.h"
#include "xml.h"

#define FFFD "\xEF\xBF\xBD"

/* xml_text of s[0..len) compared with want. */
static void check_xml(const char *s, size_t len, const char *want)
{
    struct buf b = BUF_INIT;
    xml_text(&b, s, len);
    buf_putc(&b, '\0');
    CHECK_STR(b.data, want);
    buf_free(&b);
}

static void test_escapes(void)
{
    check_xml("a & b < c > d \" e ' f", 21, "a &amp; b &lt; c &gt; d &quot; e &apos; f");
    check_xml("Q&A: <b>\"it's\"</b>", 18, "Q&amp;A: &lt;b&gt;&quot;it&apos;s&quot;&lt;/b&gt;");
    check_xml("", 0, "");
}

static void test_utf8_kept(void)
{
    check_xml("café — “Ünïcödé” 😀", strlen("café — “Ünïcödé” 😀"), "café — “Ünïcödé” 😀");
    check_xml("Zürich — 東京 😀", strlen("Zürich — 東京 😀"), "Zürich — 東京 😀");
    check_xml("a\tb\nc\rd", 7, "a\tb\nc\rd");
}

static void test_forbidden_dropped(void)
{
    /* C0 controls other than tab, newline and return */
    check_xml("a\x01"
              "b\x0b"
              "c\td\ne\rf\x1f",
              12, "abc\td\ne\rf");
    /* U+FFFE and U+FFFF are not XML characters either */
    check_xml("x\xEF\xBF\xBEy\xEF\xBF\xBFz", 9, "xyz");
    /* a NUL inside the span */
    check_xml("p\0q", 3, "pq");
}

static void test_not_utf8(void)
{
    check_xml("a\x80z", 3, "a" FFFD "z"); /* a stray continuation byte */
    check_xml("a\xff\xc3"
              "b",
              4, "a" FFFD FFFD "b");              /* not UTF-8 at all */
    check_xml("\xC0\xAF", 2, FFFD FFFD);          /* an overlong '/' */
    check_xml("\xED\xA0\x80", 3, FFFD FFFD FFFD); /* a surrogate */
    check_xml("a\xf4\x90\x80\x80"
              "b",
              6, "a" FFFD FFFD FFFD FFFD "b");  /* past U+10FFFF */
    check_xml("ok\xE2\x82", 4, "ok" FFFD FFFD); /* cut short */
}

static void test_time(void)
{
    char when[32];
    xml_time(0, when, sizeof when);
    CHECK_STR(when, "1970-01-01T00:00:00Z");
    xml_time(784111777, when, sizeof when);
    CHECK_STR(when, "1994-11-06T08:49:37Z");
    xml_time(1796145300, when, sizeof when);
    CHECK_STR(when, "2026-12-01T17:15:00Z");
}

void suite_xml(void)
{
    RUN(test_escapes);
    RUN(test_utf8_kept);
    RUN(test_forbidden_dropped);
    RUN(test_not_utf8);
    RUN(test_time);
}
