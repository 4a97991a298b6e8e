/*
 * test_feed.c: tests of src/feed.c, the three feed formats (their XML text and dates are
 * test_xml.c's): each format's output for a headline with & < > and non-ASCII: the
 * values escaped once, the item's HTML sent as escaped text, and the JSON Feed read back by
 * jansson with the exact strings. The HTTP test (tests/http/reach-feeds.test.mjs) parses the
 * served feeds with feedparser.
 */
#include <jansson.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "feed.h"

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
    RUN(test_rss);
    RUN(test_atom);
    RUN(test_json);
    RUN(test_optional_parts);
}
