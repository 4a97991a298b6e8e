/*
 * feed.c: RSS 2.0, Atom 1.0 and JSON Feed 1.1 writers. See feed.h.
 *
 * The XML is written by hand, as html.c writes pages: every piece of markup is a literal and
 * every value goes through xml_text (xml.h). An item's HTML goes out as escaped text (RSS's
 * description, Atom's content type="html", JSON Feed's content_html), as the three formats
 * specify, never as markup of the feed itself.
 */
#include "feed.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "entity.h"
#include "util.h"
#include "xml.h"

/* s (NUL-terminated; NULL as "") through xml_text. */
static void xml(struct buf *out, const char *s)
{
    if (s)
        xml_text(out, s, strlen(s));
}

/* <NAME>s</NAME>, escaped, on a line of its own. */
static void element(struct buf *out, const char *name, const char *s)
{
    buf_printf(out, "<%s>", name);
    xml(out, s);
    buf_printf(out, "</%s>\n", name);
}

void feed_rss(const struct feed *f, struct buf *out)
{
    char date[40];
    buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\" "
                  "xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<channel>\n");
    element(out, "title", f->title);
    element(out, "link", f->home_url);
    element(out, "description", f->description);
    element(out, "language", f->language);
    entity_http_date(f->updated, date, sizeof date);
    element(out, "lastBuildDate", date);
    buf_puts(out, "<atom:link rel=\"self\" type=\"application/rss+xml\" href=\"");
    xml(out, f->self_url);
    buf_puts(out, "\"/>\n");
    for (size_t i = 0; i < f->n; i++) {
        const struct feed_item *it = &f->items[i];
        buf_puts(out, "<item>\n");
        element(out, "title", it->title);
        element(out, "link", it->url);
        buf_puts(out, "<guid isPermaLink=\"false\">");
        xml(out, it->id);
        buf_puts(out, "</guid>\n");
        entity_http_date(it->published, date, sizeof date);
        element(out, "pubDate", date);
        for (size_t j = 0; j < it->n_authors; j++)
            element(out, "dc:creator", it->authors[j].name);
        if (*it->category)
            element(out, "category", it->category);
        element(out, "description", it->content_html);
        buf_puts(out, "</item>\n");
    }
    buf_puts(out, "</channel>\n</rss>\n");
}

/* <link rel="REL" type="TYPE" href="url"/> */
static void atom_link(struct buf *out, const char *rel, const char *type, const char *url)
{
    buf_printf(out, "<link rel=\"%s\" type=\"%s\" href=\"", rel, type);
    xml(out, url);
    buf_puts(out, "\"/>\n");
}

void feed_atom(const struct feed *f, struct buf *out)
{
    char date[32];
    buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"");
    xml(out, f->language);
    buf_puts(out, "\">\n");
    element(out, "id", f->self_url);
    element(out, "title", f->title);
    element(out, "subtitle", f->description);
    xml_time(f->updated, date, sizeof date);
    element(out, "updated", date);
    atom_link(out, "alternate", "text/html", f->home_url);
    atom_link(out, "self", "application/atom+xml", f->self_url);
    /* RFC 4287 4.1.1: a feed names an author unless every entry does */
    buf_puts(out, "<author><name>");
    xml(out, f->author);
    buf_puts(out, "</name></author>\n");
    for (size_t i = 0; i < f->n; i++) {
        const struct feed_item *it = &f->items[i];
        buf_puts(out, "<entry>\n");
        element(out, "id", it->id);
        buf_puts(out, "<title type=\"text\">");
        xml(out, it->title);
        buf_puts(out, "</title>\n");
        atom_link(out, "alternate", "text/html", it->url);
        xml_time(it->published, date, sizeof date);
        element(out, "published", date);
        xml_time(it->updated, date, sizeof date);
        element(out, "updated", date);
        for (size_t j = 0; j < it->n_authors; j++) {
            buf_puts(out, "<author><name>");
            xml(out, it->authors[j].name);
            buf_puts(out, "</name>");
            if (*it->authors[j].url) {
                buf_puts(out, "<uri>");
                xml(out, it->authors[j].url);
                buf_puts(out, "</uri>");
            }
            buf_puts(out, "</author>\n");
        }
        if (*it->category) {
            buf_puts(out, "<category term=\"");
            xml(out, it->category);
            buf_puts(out, "\"/>\n");
        }
        if (*it->summary) {
            buf_puts(out, "<summary type=\"text\">");
            xml(out, it->summary);
            buf_puts(out, "</summary>\n");
        }
        buf_puts(out, "<content type=\"html\">");
        xml(out, it->content_html);
        buf_puts(out, "</content>\n</entry>\n");
    }
    buf_puts(out, "</feed>\n");
}

/* s as a JSON string: jansson refuses text that is not UTF-8, which would fail the whole feed
 * for one bad byte in an old record, so such text is repaired (U+FFFD) first. */
static json_t *text(const char *s)
{
    json_t *v = json_string(s ? s : "");
    if (v)
        return v;
    char *fixed = util_utf8_repair(s);
    v = json_string(fixed);
    free(fixed);
    return v;
}

/* Sets key in object to value (taken); -1 when value or object is NULL (value freed). */
static int set(json_t *object, const char *key, json_t *value)
{
    if (!object || !value || json_object_set_new(object, key, value) != 0) {
        json_decref(value);
        return -1;
    }
    return 0;
}

/* item as a JSON Feed item; NULL when jansson failed. */
static json_t *json_item(const struct feed_item *it)
{
    char date[32];
    json_t *item = json_object();
    int bad = set(item, "id", text(it->id)) | set(item, "url", text(it->url)) |
              set(item, "title", text(it->title)) |
              set(item, "content_html", text(it->content_html));
    if (*it->summary)
        bad |= set(item, "summary", text(it->summary));
    xml_time(it->published, date, sizeof date);
    bad |= set(item, "date_published", text(date));
    xml_time(it->updated, date, sizeof date);
    bad |= set(item, "date_modified", text(date));
    if (it->n_authors) {
        json_t *authors = json_array();
        for (size_t j = 0; authors && j < it->n_authors; j++) {
            json_t *a = json_object();
            bad |= set(a, "name", text(it->authors[j].name));
            if (*it->authors[j].url)
                bad |= set(a, "url", text(it->authors[j].url));
            if (!a || json_array_append_new(authors, a) != 0)
                bad = -1;
        }
        bad |= set(item, "authors", authors);
    }
    if (*it->category) {
        json_t *tags = json_array();
        if (!tags || json_array_append_new(tags, text(it->category)) != 0)
            bad = -1;
        bad |= set(item, "tags", tags);
    }
    if (bad) {
        json_decref(item);
        return NULL;
    }
    return item;
}

int feed_json(const struct feed *f, struct buf *out)
{
    json_t *root = json_object();
    int bad = set(root, "version", json_string("https://jsonfeed.org/version/1.1")) |
              set(root, "title", text(f->title)) | set(root, "home_page_url", text(f->home_url)) |
              set(root, "feed_url", text(f->self_url)) |
              set(root, "description", text(f->description)) |
              set(root, "language", text(f->language));
    json_t *author = json_object();
    bad |= set(author, "name", text(f->author));
    json_t *authors = json_array();
    if (!author || !authors || json_array_append_new(authors, author) != 0)
        bad = -1;
    bad |= set(root, "authors", authors);
    json_t *items = json_array();
    for (size_t i = 0; items && i < f->n; i++)
        if (json_array_append_new(items, json_item(&f->items[i])) != 0)
            bad = -1;
    bad |= set(root, "items", items);
    char *dumped = bad ? NULL : json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!dumped)
        return -1;
    buf_puts(out, dumped);
    buf_putc(out, '\n');
    free(dumped);
    return 0;
}
