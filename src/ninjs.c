/*
 * ninjs.c: an article as an IPTC ninjs 2.2 item (ninjs.h). jansson builds the object, so every
 * string is escaped as JSON wants whatever it holds (& < " and non-ASCII come out as they are,
 * escaped where JSON needs it); the tests validate the result against the official schema.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "markdown.h"
#include "ninjs.h"
#include "util.h"
#include "xml.h"

/* s, or "" for NULL. */
static const char *text(const char *s)
{
    return s ? s : "";
}

/* A JSON string of s (valid UTF-8 from the store; anything else is repaired, never dropped). */
static json_t *string(const char *s)
{
    json_t *v = json_string(text(s));
    if (!v) {
        char *fixed = util_utf8_repair(s);
        v = json_string(fixed);
        free(fixed);
    }
    return v ? v : json_string("");
}

/* Sets key of o to the string s. */
static void set_string(json_t *o, const char *key, const char *s)
{
    json_object_set_new(o, key, string(s));
}

/* Sets key of o to when as RFC 3339 (UTC). */
static void set_time(json_t *o, const char *key, int64_t when)
{
    char at[40];
    xml_time(when, at, sizeof at);
    json_object_set_new(o, key, json_string(at));
}

/* {"role": role, "value": value} (role NULL: none). */
static json_t *role_value(const char *role, const char *value)
{
    json_t *o = json_object();
    if (role)
        set_string(o, "role", role);
    set_string(o, "value", value);
    return o;
}

/* The HTML block elements whose tags separate words (<p>, <li>, <br>…): "a</p><p>b" is two. */
static int block_tag(const char *tag, size_t len)
{
    static const char *const names[] = {"p",   "li",    "ul", "ol", "br", "hr",    "h1",
                                        "h2",  "h3",    "h4", "h5", "h6", "pre",   "blockquote",
                                        "div", "table", "tr", "td", "th", "thead", "tbody"};
    size_t n = 0;
    if (len && tag[0] == '/') {
        tag++;
        len--;
    }
    while (n < len && ((tag[n] >= 'a' && tag[n] <= 'z') || (tag[n] >= '0' && tag[n] <= '9')))
        n++;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == n && !strncmp(names[i], tag, n))
            return 1;
    return 0;
}

void ninjs_count(const char *html, int64_t *chars, int64_t *words)
{
    int64_t c = 0, w = 0;
    int in_word = 0, pending_space = 0;
    const char *p = text(html);
    while (*p) {
        int space = 0, character = 0;
        if (*p == '<') {
            const char *end = strchr(p, '>');
            if (!end)
                break; /* the safe renderer never leaves a tag open */
            space = block_tag(p + 1, (size_t)(end - p - 1));
            p = end + 1;
            if (!space)
                continue;
        } else if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
            space = 1;
            p++;
        } else if (*p == '&') {
            const char *end = p + 1;
            while (*end && *end != ';' && *end != '&' && *end != '<' && end - p < 12)
                end++;
            p = *end == ';' ? end + 1 : p + 1; /* an entity, else a lone & */
            character = 1;
        } else {
            unsigned char b = (unsigned char)*p++;
            while ((b & 0xC0) == 0xC0 && ((unsigned char)*p & 0xC0) == 0x80)
                p++; /* the continuation bytes of one code point */
            character = 1;
        }
        if (space) {
            if (in_word)
                pending_space = 1;
            in_word = 0;
            continue;
        }
        if (character) {
            if (pending_space)
                c++; /* runs of white space count once, between words */
            pending_space = 0;
            if (!in_word)
                w++;
            in_word = 1;
            c++;
        }
    }
    *chars = c;
    *words = w;
}

/* "NAME": a heap string (xmalloc). */
static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *fmt, ...)
{
    struct buf b;
    va_list ap;
    buf_init(&b);
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    buf_putc(&b, '\0');
    return buf_detach(&b, NULL);
}

void ninjs_rights_resolve(const struct publication *p, const char *site_name, int year,
                          struct ninjs_rights *out)
{
    const char *holder = *text(p->copyright_holder) ? p->copyright_holder
                         : *text(p->producer)       ? p->producer
                                                    : text(site_name);
    out->holder = xstrdup(holder);
    out->notice =
        *text(p->copyright_notice) ? xstrdup(p->copyright_notice) : format("© %d %s", year, holder);
    if (*text(p->usage_terms))
        out->terms = xstrdup(p->usage_terms);
    else if (!p->is_host && *text(p->producer) && *text(p->partner))
        /* The words of the site's syndication footer (themes/default/article.mustache), then
         * the line a partner prints with the article. */
        out->terms =
            format("This article was published in %s, which is produced independently "
                   "by %s under contract with the %s. Credit line: \"%s, produced by %s "
                   "for the %s.\"",
                   text(p->name), p->producer, p->partner, text(p->name), p->producer, p->partner);
    else
        out->terms = xstrdup("");
    out->url = xstrdup(text(p->rights_url));
}

void ninjs_rights_free(struct ninjs_rights *r)
{
    free(r->holder);
    free(r->notice);
    free(r->terms);
    free(r->url);
    memset(r, 0, sizeof *r);
}

/* What is wrong with the text s of a right named what, or NULL. */
static const char *text_problem(const char *s, size_t max, int lines, const char *what)
{
    static __thread char why[160]; /* the newsroom's form checks on any HTTP thread */
    size_t len = strlen(text(s));
    if (len > max) {
        snprintf(why, sizeof why, "The %s is too long (at most %zu bytes).", what, max);
        return why;
    }
    if (!util_utf8_valid(text(s), len)) {
        snprintf(why, sizeof why, "The %s is not valid UTF-8 text.", what);
        return why;
    }
    for (const unsigned char *c = (const unsigned char *)text(s); *c; c++)
        if ((*c < 0x20 && !(lines && (*c == '\n' || *c == '\r'))) || *c == 0x7f) {
            snprintf(why, sizeof why, "The %s holds a control character.", what);
            return why;
        }
    return NULL;
}

const char *ninjs_rights_problem(const struct publication *p)
{
    const char *problem =
        text_problem(p->copyright_holder, NINJS_HOLDER_MAX, 0, "copyright holder");
    if (!problem)
        problem = text_problem(p->copyright_notice, NINJS_NOTICE_MAX, 0, "copyright notice");
    if (!problem)
        problem = text_problem(p->usage_terms, NINJS_TERMS_MAX, 1, "usage terms");
    if (problem)
        return problem;
    const char *url = text(p->rights_url);
    if (!*url)
        return NULL;
    switch (util_http_url_check(url, NINJS_URL_MAX)) {
    case UTIL_URL_SCHEME:
        return "Enter the rights URL as an address starting with https:// or http://.";
    case UTIL_URL_WHOLE:
        return "Enter the rights URL as a whole address (at most 500 bytes), like "
               "https://www.example.org/rights.";
    case UTIL_URL_CHARACTER:
        return "Enter the rights URL without spaces or special characters (encode them as "
               "%XX).";
    case UTIL_URL_OK: break;
    }
    return NULL;
}

/* A subject: {"name", "rel", "uri": SITE_URL/KIND/SLUG}. */
static json_t *subject(const char *site_url, const char *kind, const char *rel,
                       const struct ninjs_subject *s)
{
    json_t *o = json_object();
    char *uri = format("%s/%s/%s", site_url, kind, text(s->slug));
    set_string(o, "name", s->name);
    set_string(o, "rel", rel);
    set_string(o, "uri", uri);
    free(uri);
    return o;
}

static const char *const pubstatus_names[] = {"usable", "withheld", "canceled"};

json_t *ninjs_item(const struct ninjs_input *in)
{
    const char *site = text(in->site_url);
    json_t *item = json_object();
    char *uri = format("%s/articles/%lld", site, (long long)in->id);
    set_string(item, "uri", uri);
    free(uri);
    set_string(item, "type", "text");
    char version[24];
    snprintf(version, sizeof version, "%lld", (long long)(in->version > 0 ? in->version : 1));
    set_string(item, "version", version);
    int64_t first = in->created_at > 0 ? in->created_at : in->published_at;
    set_time(item, "firstcreated", first);
    set_time(item, "versioncreated", in->version_at > 0 ? in->version_at : first);
    set_time(item, "contentcreated", in->published_at);
    if (in->embargoed > 0)
        set_time(item, "embargoed", in->embargoed);
    unsigned status = (unsigned)in->pubstatus <= NINJS_CANCELED ? (unsigned)in->pubstatus : 0;
    set_string(item, "pubstatus", pubstatus_names[status]);
    if (*text(in->ednote))
        set_string(item, "ednote", in->ednote);
    set_string(item, "language", *text(in->language) ? in->language : "en");

    json_t *headlines = json_array();
    json_array_append_new(headlines, role_value("main", in->headline));
    if (*text(in->dek))
        json_array_append_new(headlines, role_value("sub", in->dek));
    json_object_set_new(item, "headlines", headlines);
    if (*text(in->summary)) {
        json_t *descriptions = json_array();
        json_array_append_new(descriptions, role_value("summary", in->summary));
        json_object_set_new(item, "descriptions", descriptions);
    }

    /* The body: all of it, or the paywall's preview only, cut from the Markdown as the article
     * page cuts it (page_article.c): the withheld rest is rendered and freed, never used. */
    char *head = NULL, *tail = NULL;
    const char *html = text(in->body_html);
    if (in->no_body)
        goto after_body;
    if (in->preview) {
        const char *md = text(in->body_markdown);
        markdown_split_html(md, strlen(md), in->preview_paragraphs, &head, &tail);
        html = head;
    }
    int64_t chars, words;
    ninjs_count(html, &chars, &words);
    json_t *body = json_object();
    set_string(body, "role", in->preview ? "preview" : "main");
    set_string(body, "contenttype", "text/html");
    set_string(body, "value", html);
    json_object_set_new(body, "charcount", json_integer(chars));
    json_object_set_new(body, "wordcount", json_integer(words));
    json_t *bodies = json_array();
    json_array_append_new(bodies, body);
    json_object_set_new(item, "bodies", bodies);
    free(head);
    free(tail);
after_body:
    if (*text(in->byline))
        set_string(item, "by", in->byline);
    json_t *subjects = json_array();
    if (in->section)
        json_array_append_new(subjects, subject(site, "sections", "section", in->section));
    for (size_t i = 0; i < in->tag_count; i++)
        json_array_append_new(subjects, subject(site, "tags", "tag", &in->tags[i]));
    json_object_set_new(item, "subjects", subjects);

    if (in->publication) {
        time_t t = (time_t)in->published_at;
        struct tm tm;
        gmtime_r(&t, &tm);
        struct ninjs_rights rights;
        ninjs_rights_resolve(in->publication, in->site_name, tm.tm_year + 1900, &rights);
        set_string(item, "copyrightholder", rights.holder);
        set_string(item, "copyrightnotice", rights.notice);
        if (*rights.terms)
            set_string(item, "usageterms", rights.terms);
        if (*rights.url) {
            json_t *info = json_object();
            set_string(info, "linkedrights", rights.url);
            json_object_set_new(item, "rightsinfo", info);
        }
        ninjs_rights_free(&rights);
    }

    json_t *altids = json_array();
    json_array_append_new(altids, role_value("slug", in->slug));
    json_object_set_new(item, "altids", altids);
    /* "associations" (pictures, with renditions) come with a later issue. */
    return item;
}

json_t *ninjs_version_item(const struct item_version *v, const struct publication *pub,
                           const struct ninjs_site *site, int preview)
{
    static const enum ninjs_pubstatus statuses[] = {[ITEM_USABLE] = NINJS_USABLE,
                                                    [ITEM_WITHHELD] = NINJS_WITHHELD,
                                                    [ITEM_CANCELED] = NINJS_CANCELED};
    int no_body = v->status != ITEM_USABLE;
    char *html =
        no_body || preview ? NULL : markdown_to_html(v->body_markdown, strlen(v->body_markdown));
    struct ninjs_subject section = {v->section_name, v->section_slug};
    struct ninjs_subject *tags = v->tag_count ? xcalloc(v->tag_count, sizeof *tags) : NULL;
    for (size_t i = 0; i < v->tag_count; i++)
        tags[i] = (struct ninjs_subject){v->tags[i].name, v->tags[i].slug};
    struct ninjs_input in = {
        .id = v->article_id,
        .slug = v->slug,
        .headline = v->headline,
        .dek = v->dek,
        .summary = v->summary,
        .byline = v->byline,
        .body_html = html,
        .body_markdown = v->body_markdown,
        .created_at = v->created_at,
        .published_at = v->published_at,
        .version = v->version,
        .version_at = v->noted_at,
        .pubstatus = (unsigned)v->status <= ITEM_CANCELED ? statuses[v->status] : NINJS_WITHHELD,
        .embargoed = v->embargoed,
        .ednote = v->ednote,
        .section = &section,
        .tags = tags,
        .tag_count = v->tag_count,
        .publication = pub,
        .site_name = site->name,
        .site_url = site->url,
        .language = "en",
        .no_body = no_body,
        .preview = preview,
        .preview_paragraphs = site->preview_paragraphs,
    };
    json_t *item = ninjs_item(&in);
    free(tags);
    free(html);
    return item;
}
