/*
 * test_feed.c: tests of src/feed.c, the three feed formats: XML escaping (the five special
 * characters, what XML 1.0 forbids dropped, bytes that are not UTF-8 made U+FFFD, non-ASCII
 * kept), RFC 3339 dates, and each format's output for a headline with & < > and non-ASCII: the
 * values escaped once, the item's HTML sent as escaped text, and the JSON Feed read back by
 * jansson with the exact strings. The HTTP test (tests/http/reach-feeds.test.mjs) parses the
 * served feeds with feedparser.
 */
#include <jansson.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "feed.h"

/* feed_xml_text of s, as a string the caller frees with buf_free(b). */
static const char *xml_of(struct buf *b, const char *s, size_t len)
{
    buf_reset(b);
    feed_xml_text(b, s, len);
    buf_putc(b, '\0');
    return b->data;
}

static void test_xml_text(void)
{
    struct buf b = BUF_INIT;
    CHECK_STR(xml_of(&b, "a & b < c > d \" e ' f", 21),
              "a &amp; b &lt; c &gt; d &quot; e &apos; f");
    CHECK_STR(xml_of(&b, "café — “Ünïcödé” 😀", strlen("café — “Ünïcödé” 😀")), "café — “Ünïcödé” 😀");
    /* C0 controls other than tab, newline and return: not XML characters, dropped */
    CHECK_STR(xml_of(&b,
                     "a\x01"
                     "b\x0b"
                     "c\td\ne\rf\x1f",
                     12),
              "abc\td\ne\rf");
    /* U+FFFE and U+FFFF are not XML characters either */
    CHECK_STR(xml_of(&b, "x\xEF\xBF\xBEy\xEF\xBF\xBFz", 9), "xyz");
    /* a NUL inside the span is dropped too */
    CHECK_STR(xml_of(&b, "p\0q", 3), "pq");
    /* not UTF-8: a stray continuation byte, an overlong '/', a surrogate, a cut sequence */
    CHECK_STR(xml_of(&b, "a\x80z", 3), "a\xEF\xBF\xBDz");
    CHECK_STR(xml_of(&b, "\xC0\xAF", 2), "\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK_STR(xml_of(&b, "\xED\xA0\x80", 3), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK_STR(xml_of(&b, "ok\xE2\x82", 4), "ok\xEF\xBF\xBD\xEF\xBF\xBD");
    buf_free(&b);
}

static void test_rfc3339(void)
{
    char date[32];
    feed_rfc3339(784111777, date, sizeof date);
    CHECK_STR(date, "1994-11-06T08:49:37Z");
    feed_rfc3339(0, date, sizeof date);
    CHECK_STR(date, "1970-01-01T00:00:00Z");
}

/* A feed of one item with every special character, for the three formats. */
static const struct feed_person author = {"Zoë & <Co>", "https://news.example/authors/zoe"};
static const struct feed_item item = {
    .id = "https://news.example/articles/7",
    .url = "https://news.example/articles/q-a-tags",
    .title = "Q&A: <Tags> & “Ünïcödé”",
    .summary = "Dek with & and <b>",
    .content_html = "<p>Body &amp; more</p>",
    .published = 784111777,
    .updated = 784111800,
    .authors = &author,
    .n_authors = 1,
    .category = "Politics & Policy",
};
static const struct feed feed = {
    .title = "Site & <Co>",
    .description = "News & views",
    .home_url = "https://news.example/",
    .self_url = "https://news.example/feed.xml?x=1&y=2",
    .author = "Site & <Co>",
    .language = "en",
    .updated = 784111800,
    .items = &item,
    .n = 1,
};

static int contains(const struct buf *b, const char *needle)
{
    return b->data && memmem(b->data, b->len, needle, strlen(needle)) != NULL;
}

static void test_rss(void)
{
    struct buf b = BUF_INIT;
    feed_rss(&feed, &b);
    CHECK(contains(&b, "<title>Site &amp; &lt;Co&gt;</title>"));
    CHECK(contains(&b, "<description>News &amp; views</description>"));
    CHECK(contains(&b, "href=\"https://news.example/feed.xml?x=1&amp;y=2\""));
    CHECK(contains(&b, "<lastBuildDate>Sun, 06 Nov 1994 08:50:00 GMT</lastBuildDate>"));
    CHECK(contains(&b, "<title>Q&amp;A: &lt;Tags&gt; &amp; “Ünïcödé”</title>"));
    CHECK(contains(&b, "<guid isPermaLink=\"false\">https://news.example/articles/7</guid>"));
    CHECK(contains(&b, "<pubDate>Sun, 06 Nov 1994 08:49:37 GMT</pubDate>"));
    CHECK(contains(&b, "<dc:creator>Zoë &amp; &lt;Co&gt;</dc:creator>"));
    CHECK(contains(&b, "<category>Politics &amp; Policy</category>"));
    /* the item's HTML as text, escaped once: its own &amp; becomes &amp;amp; */
    CHECK(contains(&b, "<description>&lt;p&gt;Body &amp;amp; more&lt;/p&gt;</description>"));
    CHECK(!contains(&b, "<p>"));
    buf_free(&b);
}

static void test_atom(void)
{
    struct buf b = BUF_INIT;
    feed_atom(&feed, &b);
    CHECK(contains(&b, "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\">"));
    CHECK(contains(&b, "<id>https://news.example/feed.xml?x=1&amp;y=2</id>"));
    CHECK(contains(&b, "<updated>1994-11-06T08:50:00Z</updated>"));
    CHECK(contains(&b, "<author><name>Site &amp; &lt;Co&gt;</name></author>"));
    CHECK(contains(&b, "<id>https://news.example/articles/7</id>"));
    CHECK(contains(&b, "<title type=\"text\">Q&amp;A: &lt;Tags&gt; &amp; “Ünïcödé”</title>"));
    CHECK(contains(&b, "<published>1994-11-06T08:49:37Z</published>"));
    CHECK(contains(&b, "<author><name>Zoë &amp; &lt;Co&gt;</name>"
                       "<uri>https://news.example/authors/zoe</uri></author>"));
    CHECK(contains(&b, "<summary type=\"text\">Dek with &amp; and &lt;b&gt;</summary>"));
    CHECK(contains(&b, "<content type=\"html\">&lt;p&gt;Body &amp;amp; more&lt;/p&gt;</content>"));
    buf_free(&b);
}

static void test_json(void)
{
    struct buf b = BUF_INIT;
    CHECK_INT(feed_json(&feed, &b), 0);
    json_error_t error;
    json_t *root = json_loadb(b.data, b.len, 0, &error);
    CHECK(root != NULL);
    if (root) {
        CHECK_STR(json_string_value(json_object_get(root, "version")),
                  "https://jsonfeed.org/version/1.1");
        CHECK_STR(json_string_value(json_object_get(root, "title")), "Site & <Co>");
        json_t *it = json_array_get(json_object_get(root, "items"), 0);
        CHECK_STR(json_string_value(json_object_get(it, "id")), "https://news.example/articles/7");
        CHECK_STR(json_string_value(json_object_get(it, "title")), "Q&A: <Tags> & “Ünïcödé”");
        CHECK_STR(json_string_value(json_object_get(it, "content_html")), "<p>Body &amp; more</p>");
        CHECK_STR(json_string_value(json_object_get(it, "date_published")), "1994-11-06T08:49:37Z");
        CHECK_STR(json_string_value(json_object_get(it, "date_modified")), "1994-11-06T08:50:00Z");
        json_t *who = json_array_get(json_object_get(it, "authors"), 0);
        CHECK_STR(json_string_value(json_object_get(who, "name")), "Zoë & <Co>");
        CHECK_STR(json_string_value(json_array_get(json_object_get(it, "tags"), 0)),
                  "Politics & Policy");
        json_decref(root);
    }
    /* text that is not UTF-8 (an old record) is repaired, not a failed feed */
    struct feed_item bad = item;
    bad.title = "broken \xC3 title";
    struct feed f = feed;
    f.items = &bad;
    buf_reset(&b);
    CHECK_INT(feed_json(&f, &b), 0);
    CHECK(contains(&b, "broken \xEF\xBF\xBD title"));
    buf_free(&b);
}

/* An empty feed and an item without dek, authors or category: the optional parts left out. */
static void test_optional_parts(void)
{
    struct feed_item bare = item;
    bare.summary = "";
    bare.category = "";
    bare.authors = NULL;
    bare.n_authors = 0;
    struct feed f = feed;
    f.items = &bare;
    struct buf b = BUF_INIT;
    feed_atom(&f, &b);
    CHECK(!contains(&b, "<summary"));
    CHECK(!contains(&b, "<category"));
    CHECK(contains(&b, "</entry>"));
    buf_reset(&b);
    feed_rss(&f, &b);
    CHECK(!contains(&b, "<dc:creator>"));
    CHECK(!contains(&b, "<category>"));
    f.n = 0;
    buf_reset(&b);
    feed_rss(&f, &b);
    CHECK(!contains(&b, "<item>"));
    CHECK(contains(&b, "</channel>\n</rss>\n"));
    buf_reset(&b);
    CHECK_INT(feed_json(&f, &b), 0);
    CHECK(contains(&b, "\"items\": []"));
    buf_free(&b);
}

void suite_feed(void)
{
    RUN(test_xml_text);
    RUN(test_rfc3339);
    RUN(test_rss);
    RUN(test_atom);
    RUN(test_json);
    RUN(test_optional_parts);
}
