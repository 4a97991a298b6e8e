/*
 * test_ninjs.c: the ninjs 2.2 item (src/ninjs.c): its fields and their shapes, JSON escaping of
 * what an article holds (& < " and non-ASCII), a preview that carries the paywall's preview
 * paragraphs and never a word of the rest, the body's character and word counts, the rights'
 * defaults and their checks. (The HTTP suite validates items against the official schema.)
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "markdown.h"
#include "ninjs.h"

static const struct publication gsn = {
    .id = 2,
    .slug = "gsn",
    .name = "Global Security Newswire",
    .producer = "National Journal Group",
    .partner = "Nuclear Threat Initiative",
    .is_host = 0,
};

static const struct ninjs_subject section = {"Global Security", "security"};
static const struct ninjs_subject tags[] = {{"Iran", "iran"}, {"Arms & Control", "arms-control"}};

/* A three-paragraph article whose last two paragraphs hold words no other part has. */
static const char markdown[] = "Opening words here.\n\nSecret middle zebra.\n\nClosing quokka.\n";

static struct ninjs_input input(char *html)
{
    return (struct ninjs_input){
        .id = 42,
        .slug = "a-slug",
        .headline = "Fish & Chips <b>\"Dé\" ☢",
        .dek = "The dek",
        .summary = "The summary",
        .byline = "By Someone",
        .body_html = html,
        .body_markdown = markdown,
        .created_at = 1402669800, /* 2014-06-13T14:30:00Z */
        .published_at = 1402670000,
        .version = 3,
        .version_at = 1796145300, /* 2026-12-01T17:15:00Z */
        .pubstatus = NINJS_USABLE,
        .section = &section,
        .tags = tags,
        .tag_count = 2,
        .publication = &gsn,
        .site_name = "National Journal",
        .site_url = "https://example.com",
        .preview_paragraphs = 1,
    };
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void test_fields(void)
{
    char *html = markdown_to_html(markdown, strlen(markdown));
    struct ninjs_input in = input(html);
    json_t *item = ninjs_item(&in);
    CHECK_STR(str(item, "uri"), "https://example.com/articles/42");
    CHECK_STR(str(item, "type"), "text");
    CHECK_STR(str(item, "version"), "3"); /* a string, as the schema wants */
    CHECK_STR(str(item, "firstcreated"), "2014-06-13T14:30:00Z");
    CHECK_STR(str(item, "contentcreated"), "2014-06-13T14:33:20Z");
    CHECK_STR(str(item, "versioncreated"), "2026-12-01T17:15:00Z");
    CHECK(!json_object_get(item, "embargoed"));
    CHECK(!json_object_get(item, "ednote"));
    CHECK_STR(str(item, "pubstatus"), "usable");
    CHECK_STR(str(item, "language"), "en");
    CHECK_STR(str(item, "by"), "By Someone");
    json_t *h = json_object_get(item, "headlines");
    CHECK_INT(json_array_size(h), 2);
    CHECK_STR(str(json_array_get(h, 0), "role"), "main");
    CHECK_STR(str(json_array_get(h, 1), "role"), "sub");
    CHECK_STR(str(json_array_get(h, 1), "value"), "The dek");
    json_t *d = json_array_get(json_object_get(item, "descriptions"), 0);
    CHECK_STR(str(d, "role"), "summary");
    CHECK_STR(str(d, "value"), "The summary");
    json_t *body = json_array_get(json_object_get(item, "bodies"), 0);
    CHECK_STR(str(body, "contenttype"), "text/html");
    CHECK_STR(str(body, "role"), "main");
    CHECK_STR(str(body, "value"), html);
    json_t *subjects = json_object_get(item, "subjects");
    CHECK_INT(json_array_size(subjects), 3);
    CHECK_STR(str(json_array_get(subjects, 0), "uri"), "https://example.com/sections/security");
    CHECK_STR(str(json_array_get(subjects, 0), "rel"), "section");
    CHECK_STR(str(json_array_get(subjects, 2), "uri"), "https://example.com/tags/arms-control");
    CHECK_STR(str(json_array_get(subjects, 2), "name"), "Arms & Control");
    CHECK_STR(str(json_array_get(subjects, 2), "rel"), "tag");
    json_t *alt = json_array_get(json_object_get(item, "altids"), 0);
    CHECK_STR(str(alt, "role"), "slug");
    CHECK_STR(str(alt, "value"), "a-slug");
    /* GSN's defaults: its producer holds the copyright; the footer's words are the terms. */
    CHECK_STR(str(item, "copyrightholder"), "National Journal Group");
    CHECK_STR(str(item, "copyrightnotice"), "© 2014 National Journal Group");
    CHECK(strstr(str(item, "usageterms"),
                 "This article was published in Global Security Newswire, which is produced "
                 "independently by National Journal Group under contract with the Nuclear "
                 "Threat Initiative.") == str(item, "usageterms"));
    CHECK(strstr(str(item, "usageterms"), "Credit line:") != NULL);
    CHECK(!json_object_get(item, "rightsinfo")); /* no rights URL */
    CHECK(!json_object_get(item, "associations"));
    json_decref(item);

    /* Optional parts: embargo, ednote, a canceled version, a language, no dek or byline. */
    in.embargoed = 1796145300;
    in.ednote = "Do not use.";
    in.pubstatus = NINJS_CANCELED;
    in.language = "fr";
    in.dek = "";
    in.summary = NULL;
    in.byline = "";
    in.tag_count = 0;
    in.site_url = "https://example.com";
    item = ninjs_item(&in);
    CHECK_STR(str(item, "embargoed"), "2026-12-01T17:15:00Z");
    CHECK_STR(str(item, "ednote"), "Do not use.");
    CHECK_STR(str(item, "pubstatus"), "canceled");
    CHECK_STR(str(item, "language"), "fr");
    CHECK_INT(json_array_size(json_object_get(item, "headlines")), 1);
    CHECK(!json_object_get(item, "descriptions"));
    CHECK(!json_object_get(item, "by"));
    CHECK_INT(json_array_size(json_object_get(item, "subjects")), 1);
    json_decref(item);
    free(html);
}

static void test_escaping(void)
{
    char *html = markdown_to_html(markdown, strlen(markdown));
    struct ninjs_input in = input(html);
    json_t *item = ninjs_item(&in);
    /* The value is the text itself (JSON carries it; HTML escaping is the partner's). */
    CHECK_STR(str(json_array_get(json_object_get(item, "headlines"), 0), "value"),
              "Fish & Chips <b>\"Dé\" ☢");
    char *text = json_dumps(item, JSON_PRESERVE_ORDER);
    CHECK(strstr(text, "\"value\": \"Fish & Chips <b>\\\"Dé\\\" ☢\"") != NULL);
    free(text);
    text = json_dumps(item, JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    CHECK(strstr(text, "D\\u00E9\\\" \\u2622") != NULL);
    free(text);
    json_decref(item);
    /* Text that is not UTF-8 (never stored: import checks) is repaired, not dropped. */
    in.headline = "bad \xff byte";
    item = ninjs_item(&in);
    CHECK_STR(str(json_array_get(json_object_get(item, "headlines"), 0), "value"),
              "bad \xEF\xBF\xBD byte");
    json_decref(item);
    free(html);
}

static void test_preview(void)
{
    char *html = markdown_to_html(markdown, strlen(markdown));
    struct ninjs_input in = input(html);
    in.preview = 1;
    json_t *item = ninjs_item(&in);
    json_t *body = json_array_get(json_object_get(item, "bodies"), 0);
    CHECK_STR(str(body, "role"), "preview");
    CHECK_STR(str(body, "value"), "<p>Opening words here.</p>\n");
    CHECK_INT(json_integer_value(json_object_get(body, "wordcount")), 3);
    CHECK_INT(json_integer_value(json_object_get(body, "charcount")), 19);
    char *text = json_dumps(item, 0);
    CHECK(!strstr(text, "zebra") && !strstr(text, "quokka") && !strstr(text, "middle"));
    free(text);
    json_decref(item);
    /* Two paragraphs: the second comes, the third does not. */
    in.preview_paragraphs = 2;
    item = ninjs_item(&in);
    text = json_dumps(item, 0);
    CHECK(strstr(text, "zebra") && !strstr(text, "quokka"));
    free(text);
    json_decref(item);
    /* A preview is cut from the Markdown, whatever body_html holds. */
    in.preview_paragraphs = 1;
    in.body_html = "<p>quokka zebra</p>";
    item = ninjs_item(&in);
    text = json_dumps(item, 0);
    CHECK(!strstr(text, "zebra") && !strstr(text, "quokka"));
    free(text);
    json_decref(item);
    free(html);
}

static void test_counts(void)
{
    int64_t chars, words;
    ninjs_count("", &chars, &words);
    CHECK_INT(chars, 0);
    CHECK_INT(words, 0);
    /* Tags are not text; entities are one character; a paragraph break separates words. */
    ninjs_count("<p>Fish &amp; <em>chips</em></p>\n<p>Two</p>\n", &chars, &words);
    CHECK_INT(words, 4); /* Fish & chips Two */
    CHECK_INT(chars, (int64_t)strlen("Fish & chips Two"));
    /* Inline markup inside a word keeps it one word; non-ASCII counts by character. */
    ninjs_count("<p>wo<strong>rd</strong> Dé ☢</p>", &chars, &words);
    CHECK_INT(words, 3);
    CHECK_INT(chars, 9); /* "word Dé ☢" */
    /* Spaces collapse: "a   b\n\nc" is "a b c". */
    ninjs_count("a   b\n\n<br>c", &chars, &words);
    CHECK_INT(words, 3);
    CHECK_INT(chars, 5);
    ninjs_count("<ul><li>one</li><li>two</li></ul>", &chars, &words);
    CHECK_INT(words, 2);
    CHECK_INT(chars, 7);
}

static void test_rights(void)
{
    struct ninjs_rights r;
    ninjs_rights_resolve(&gsn, "Site", 2014, &r);
    CHECK_STR(r.holder, "National Journal Group");
    CHECK_STR(r.notice, "© 2014 National Journal Group");
    CHECK_STR(r.url, "");
    ninjs_rights_free(&r);
    /* The host publication: no producer gives the site's name; no partner, no terms. */
    struct publication host = {.slug = "nj", .name = "National Journal", .is_host = 1};
    ninjs_rights_resolve(&host, "The Site", 2020, &r);
    CHECK_STR(r.holder, "The Site");
    CHECK_STR(r.notice, "© 2020 The Site");
    CHECK_STR(r.terms, "");
    ninjs_rights_free(&r);
    /* Set rights win, and a rights URL makes rightsinfo.linkedrights. */
    struct publication set = gsn;
    set.copyright_holder = "NTI";
    set.copyright_notice = "Copyright NTI";
    set.usage_terms = "Use freely.";
    set.rights_url = "https://example.org/rights";
    CHECK(ninjs_rights_problem(&set) == NULL);
    char html[] = "<p>x</p>";
    struct ninjs_input in = input(html);
    in.publication = &set;
    json_t *item = ninjs_item(&in);
    CHECK_STR(str(item, "copyrightholder"), "NTI");
    CHECK_STR(str(item, "copyrightnotice"), "Copyright NTI");
    CHECK_STR(str(item, "usageterms"), "Use freely.");
    CHECK_STR(str(json_object_get(item, "rightsinfo"), "linkedrights"),
              "https://example.org/rights");
    json_decref(item);
    /* Checks: the URL's scheme and shape, control characters, lengths. */
    set.rights_url = "ftp://example.org/";
    CHECK(ninjs_rights_problem(&set) != NULL);
    set.rights_url = "https:///path";
    CHECK(ninjs_rights_problem(&set) != NULL);
    set.rights_url = "https://example.org/a b";
    CHECK(ninjs_rights_problem(&set) != NULL);
    set.rights_url = "javascript:alert(1)";
    CHECK(ninjs_rights_problem(&set) != NULL);
    set.rights_url = "";
    CHECK(ninjs_rights_problem(&set) == NULL);
    set.copyright_holder = "A\nB";
    CHECK(ninjs_rights_problem(&set) != NULL);
    set.copyright_holder = "NTI";
    set.usage_terms = "Line one.\nLine two.";
    CHECK(ninjs_rights_problem(&set) == NULL);
    char long_text[NINJS_TERMS_MAX + 2];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    set.usage_terms = long_text;
    CHECK(ninjs_rights_problem(&set) != NULL);
    long_text[NINJS_TERMS_MAX] = '\0';
    CHECK(ninjs_rights_problem(&set) == NULL);
    set.copyright_notice = "\xff";
    CHECK(ninjs_rights_problem(&set) != NULL);
}

void suite_ninjs(void)
{
    RUN(test_fields);
    RUN(test_escaping);
    RUN(test_preview);
    RUN(test_counts);
    RUN(test_rights);
}
