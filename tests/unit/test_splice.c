/*
 * test_splice.c: tests of src/splice.c, the per-reader bytes spliced into a cached page. A small
 * template set of its own (account-links and reader-note that show every field they get)
 * checks what a personal response sends (the page's holes found by splice_find_holes, filled by
 * splice_fills, sent as entity_parts): the page untouched for an anonymous reader with nothing
 * to be told; the signed-in reader's links (name, email, role, verified, a CSRF token bound to
 * the session) between the account markers; the note (institution and meter sentence) between
 * the reader-note markers; both, in whichever order the page has them; a page missing a
 * marker, or with them reversed, left as it is. Then every case of the meter's sentence, the
 * default theme's own templates, and the meter's notes kept for the app's life against the same
 * notes rendered per request.
 */
#include <string.h>

#include "access.h"
#include "auth.h"
#include "buf.h"
#include "check.h"
#include "entity.h"
#include "paywall.h"
#include "reader.h"
#include "splice.h"
#include "test_request.h"
#include "tmpl.h"
#include "util.h"

static const char *const templates[] = {
    "account-links",
    "{{#reader}}[{{reader.name}}|{{reader.email}}|{{reader.role}}|"
    "{{#reader.verified}}verified{{/reader.verified}}{{^reader.verified}}unverified"
    "{{/reader.verified}}|{{csrf}}]{{/reader}}{{^reader}}[Log in]{{/reader}}",
    "reader-note",
    "{{#has_institution}}(by {{institution.name}}){{/has_institution}}"
    "{{#has_meter}}(meter: {{meter.message}}){{/has_meter}}",
    NULL,
};

/* A signed-in reader with a session token hash of "ab…ab". */
static struct reader *signed_in(struct req *r, const char *name)
{
    struct reader *reader = arena_calloc(r->arena, 1, sizeof *reader);
    reader->user.id = 7;
    reader->user.email = "ann@example.org";
    reader->user.display_name = name;
    reader->user.role = ROLE_EDITOR;
    reader->user.email_verified_at = 1700000000;
    memset(reader->token_hash, 'a', 64);
    reader->token_hash[64] = '\0';
    return reader;
}

/* The body a personal response sends r for page (its identity variant), as a NUL-terminated
 * string in r's arena. */
static const char *spliced(struct req *r, const char *page)
{
    struct entity_hole holes[SPLICE_SLOTS];
    size_t n = splice_find_holes(page, strlen(page), holes);
    struct entity *e =
        entity_new_holes(200, "text/html", "no-cache", page, strlen(page), 0, holes, n);
    struct entity_fill fills[SPLICE_SLOTS];
    splice_fills(r, fills, NULL);
    struct entity_parts parts;
    entity_parts(e, fills, SPLICE_SLOTS, 0, r->arena, &parts);
    char *result = arena_alloc(r->arena, parts.len + 1);
    size_t at = 0;
    for (size_t i = 0; i < parts.count; i++) {
        memcpy(result + at, parts.iov[i].iov_base, parts.iov[i].iov_len);
        at += parts.iov[i].iov_len;
    }
    result[at] = '\0';
    CHECK_INT(at, parts.len);
    entity_free(e);
    return result;
}

/* The CSRF token a form for this reader must carry. */
static const char *expected_csrf(struct req *r)
{
    char *token = arena_alloc(r->arena, AUTH_CSRF_CHARS + 1);
    auth_csrf_token(r->app->csrf_key, r->reader->token_hash, token);
    return token;
}

static const char page[] = "<header><!--account--><a href=\"/login\">Log in</a><!--/account-->"
                           "</header><article><!--reader-note--><!--/reader-note-->text"
                           "</article>";

/* Nothing personal: the page goes out byte for byte (markers and their contents kept). */
static void test_anonymous_unchanged(void)
{
    struct test_app t;
    test_app_init(&t, templates);
    struct req r = test_req_make(&t.app);
    CHECK_STR(spliced(&r, page), page);
    CHECK_STR(spliced(&r, ""), "");
    CHECK_INT(r.header_count, 0); /* and no cookie */
    test_req_done(&r);
    test_app_free(&t);
}

static void test_account_links(void)
{
    struct test_app t;
    test_app_init(&t, templates);
    struct req r = test_req_make(&t.app);
    r.reader = signed_in(&r, "Ann <Editor> & \"Co\"");
    const char *got = spliced(&r, page);
    char want[1024];
    snprintf(want, sizeof want,
             "<header><!--account-->[Ann &lt;Editor&gt; &amp; &quot;Co&quot;|ann@example.org|"
             "editor|verified|%s]<!--/account--></header><article><!--reader-note-->"
             "<!--/reader-note-->text</article>",
             expected_csrf(&r));
    CHECK_STR(got, want);
    /* the token in the links is one the reader's forms pass with */
    const char *csrf = strstr(got, "verified|") + strlen("verified|");
    char token[AUTH_CSRF_CHARS + 1];
    snprintf(token, sizeof token, "%.*s", AUTH_CSRF_CHARS, csrf);
    CHECK_INT(auth_csrf_verify(t.app.csrf_key, r.reader->token_hash, token), 1);
    CHECK_INT(r.header_count, 0); /* a signed-in reader needs no anonymous binding cookie */

    r.reader->user.email_verified_at = 0;
    r.reader->user.role = ROLE_READER;
    got = spliced(&r, "<!--account--><!--/account-->");
    snprintf(want, sizeof want,
             "<!--account-->[Ann &lt;Editor&gt; &amp; &quot;Co&quot;|ann@example.org|reader|"
             "unverified|%s]<!--/account-->",
             expected_csrf(&r));
    CHECK_STR(got, want);
    test_req_done(&r);
    test_app_free(&t);
}

/* The markers must be present, whole and in order; otherwise the page is left as it is. */
static void test_account_markers_missing(void)
{
    static const char *const pages[] = {
        "<header>no markers</header>",
        "<header><!--account-->only the opening one</header>",
        "<header>only the closing one<!--/account--></header>",
        "<header><!--/account-->reversed<!--account--></header>",
        "<header><!-- account -->spaced<!-- /account --></header>",
        "<header><!--ACCOUNT-->upper case<!--/ACCOUNT--></header>",
        "<header><!--account->cut<!--/account--></header>",
        "<!--account",
        "",
    };
    struct test_app t;
    test_app_init(&t, templates);
    struct req r = test_req_make(&t.app);
    r.reader = signed_in(&r, "Ann");
    for (size_t i = 0; i < ARRAY_LEN(pages); i++)
        CHECK_STR(spliced(&r, pages[i]), pages[i]);
    test_req_done(&r);
    test_app_free(&t);
}

/* Only the first pair is filled; the rest of the page is copied as it is. */
static void test_account_markers_twice(void)
{
    struct test_app t;
    test_app_init(&t, templates);
    struct req r = test_req_make(&t.app);
    r.reader = signed_in(&r, "Ann");
    char want[512];
    snprintf(want, sizeof want,
             "a<!--account-->[Ann|ann@example.org|editor|verified|%s]<!--/account-->b"
             "<!--account-->x<!--/account-->c",
             expected_csrf(&r));
    CHECK_STR(spliced(&r, "a<!--account--><!--/account-->b<!--account-->x<!--/account-->c"), want);
    test_req_done(&r);
    test_app_free(&t);
}

static void test_note(void)
{
    struct test_app t;
    test_app_init(&t, templates);
    struct req r = test_req_make(&t.app);

    /* an institution's reader, anonymous: the note alone; the account links are untouched */
    struct paywall_note institution = {.institution = "Example University & Co"};
    r.note = &institution;
    CHECK_STR(spliced(&r, page),
              "<header><!--account--><a href=\"/login\">Log in</a><!--/account--></header>"
              "<article><!--reader-note-->(by Example University &amp; Co)<!--/reader-note-->"
              "text</article>");

    /* the meter's sentence */
    struct paywall_note meter = {.metered = 1,
                                 .outcome = ACCESS_FULL,
                                 .reason = ACCESS_REASON_METER_COUNTED,
                                 .remaining = 2,
                                 .allowance = 3};
    r.note = &meter;
    CHECK_STR(spliced(&r, "<!--reader-note-->old<!--/reader-note-->"),
              "<!--reader-note-->(meter: 2 free articles left this month.)<!--/reader-note-->");

    /* a note with nothing to say (not metered, no institution): the markers stay empty */
    struct paywall_note nothing = {.outcome = ACCESS_FULL, .reason = ACCESS_REASON_FREE_ARTICLE};
    r.note = &nothing;
    CHECK_STR(spliced(&r, "<!--reader-note-->old<!--/reader-note-->"),
              "<!--reader-note--><!--/reader-note-->");

    /* a page without the markers is left as it is */
    r.note = &meter;
    CHECK_STR(spliced(&r, "<p>no slot</p><!--reader-note-->"), "<p>no slot</p><!--reader-note-->");
    test_req_done(&r);
    test_app_free(&t);
}

/* Both fills, whichever of the two slots comes first in the page. */
static void test_both_in_either_order(void)
{
    struct test_app t;
    test_app_init(&t, templates);
    struct req r = test_req_make(&t.app);
    r.reader = signed_in(&r, "Ann");
    struct paywall_note note = {.institution = "Uni",
                                .metered = 0,
                                .outcome = ACCESS_FULL,
                                .reason = ACCESS_REASON_INSTITUTION};
    r.note = &note;
    char links[256], want[1024];
    snprintf(links, sizeof links, "[Ann|ann@example.org|editor|verified|%s]", expected_csrf(&r));

    snprintf(want, sizeof want,
             "<h><!--account-->%s<!--/account--></h><a><!--reader-note-->(by Uni)"
             "<!--/reader-note--></a>",
             links);
    CHECK_STR(spliced(&r, "<h><!--account-->x<!--/account--></h><a><!--reader-note-->"
                          "<!--/reader-note--></a>"),
              want);

    snprintf(want, sizeof want,
             "<a><!--reader-note-->(by Uni)<!--/reader-note--></a><h><!--account-->%s"
             "<!--/account--></h>",
             links);
    CHECK_STR(spliced(&r, "<a><!--reader-note--><!--/reader-note--></a><h><!--account-->x"
                          "<!--/account--></h>"),
              want);

    /* one pair missing: the other is still filled */
    snprintf(want, sizeof want, "<h><!--account-->%s<!--/account--></h><a>none</a>", links);
    CHECK_STR(spliced(&r, "<h><!--account--><!--/account--></h><a>none</a>"), want);
    CHECK_STR(spliced(&r, "<a><!--reader-note--><!--/reader-note--></a><h>none</h>"),
              "<a><!--reader-note-->(by Uni)<!--/reader-note--></a><h>none</h>");
    test_req_done(&r);
    test_app_free(&t);
}

/* splice_meter_message for a metered note n. */
static const char *meter_message(struct req *r, struct paywall_note n)
{
    r->note = &n;
    const char *message = splice_meter_message(r);
    r->note = NULL;
    return message ? message : "(none)";
}

static void test_meter_message(void)
{
    struct test_app t;
    test_app_init(&t, templates);
    struct req r = test_req_make(&t.app);
    const enum access_outcome full = ACCESS_FULL, preview = ACCESS_PREVIEW;
    const enum access_reason counted = ACCESS_REASON_METER_COUNTED,
                             reread = ACCESS_REASON_METER_REREAD,
                             exhausted = ACCESS_REASON_METER_EXHAUSTED;

    r.note = NULL;
    CHECK(splice_meter_message(&r) == NULL); /* no note */
    CHECK_STR(meter_message(&r, (struct paywall_note){.institution = "Uni", .metered = 0}),
              "(none)"); /* not metered: nothing about the meter */

    /* counted now, some left */
    CHECK_STR(meter_message(&r, (struct paywall_note){.metered = 1,
                                                      .outcome = full,
                                                      .reason = counted,
                                                      .remaining = 2,
                                                      .allowance = 3}),
              "2 free articles left this month.");
    CHECK_STR(meter_message(&r, (struct paywall_note){.metered = 1,
                                                      .outcome = full,
                                                      .reason = counted,
                                                      .remaining = 1,
                                                      .allowance = 3}),
              "1 free article left this month.");
    /* counted now, the last one */
    CHECK_STR(meter_message(&r, (struct paywall_note){.metered = 1,
                                                      .outcome = full,
                                                      .reason = counted,
                                                      .remaining = 0,
                                                      .allowance = 3}),
              "This is your last free article this month.");
    /* a re-read, some left / none left */
    CHECK_STR(meter_message(&r, (struct paywall_note){.metered = 1,
                                                      .outcome = full,
                                                      .reason = reread,
                                                      .remaining = 1,
                                                      .allowance = 3}),
              "1 free article left this month.");
    CHECK_STR(meter_message(&r, (struct paywall_note){.metered = 1,
                                                      .outcome = full,
                                                      .reason = reread,
                                                      .remaining = 0,
                                                      .allowance = 3}),
              "You have used all 3 free articles this month.");
    CHECK_STR(meter_message(&r, (struct paywall_note){.metered = 1,
                                                      .outcome = full,
                                                      .reason = reread,
                                                      .remaining = 0,
                                                      .allowance = 1}),
              "You have used all 1 free article this month.");
    /* the meter spent: a preview */
    CHECK_STR(meter_message(&r, (struct paywall_note){.metered = 1,
                                                      .outcome = preview,
                                                      .reason = exhausted,
                                                      .remaining = 0,
                                                      .allowance = 3}),
              "You have read your 3 free articles this month.");
    CHECK_STR(meter_message(&r, (struct paywall_note){.metered = 1,
                                                      .outcome = preview,
                                                      .reason = exhausted,
                                                      .remaining = 0,
                                                      .allowance = 1}),
              "You have read your 1 free article this month.");
    /* the meter could not be read or recorded: say so, whatever else the note holds */
    static const char unavailable[] = "We could not check your free articles just now, so this "
                                      "is a preview. Please reload the page in a moment.";
    CHECK_STR(meter_message(&r, (struct paywall_note){.metered = 1,
                                                      .unavailable = 1,
                                                      .outcome = preview,
                                                      .reason = exhausted,
                                                      .allowance = 10}),
              unavailable);
    CHECK_STR(meter_message(&r, (struct paywall_note){.metered = 1,
                                                      .unavailable = 1,
                                                      .outcome = full,
                                                      .reason = counted,
                                                      .remaining = 0,
                                                      .allowance = 10}),
              unavailable);

    /* spliced, the sentence is escaped like any text */
    struct paywall_note note = {.metered = 1,
                                .outcome = full,
                                .reason = counted,
                                .remaining = 0,
                                .allowance = 3,
                                .institution = "A&B"};
    r.note = &note;
    CHECK_STR(spliced(&r, "<!--reader-note--><!--/reader-note-->"),
              "<!--reader-note-->(by A&amp;B)(meter: This is your last free article this month.)"
              "<!--/reader-note-->");
    test_req_done(&r);
    test_app_free(&t);
}

/* The default theme's own templates, spliced into its own markers. */
static void test_default_theme(void)
{
    struct test_app t;
    test_app_init(&t, NULL);
    char err[256] = "";
    CHECK(tmpl_set_load_dir(t.app.templates, "themes/default", err, sizeof err) > 0);
    struct req r = test_req_make(&t.app);
    r.reader = signed_in(&r, "Ann <b>");
    struct paywall_note note = {.institution = "Example University",
                                .metered = 0,
                                .outcome = ACCESS_FULL,
                                .reason = ACCESS_REASON_INSTITUTION};
    r.note = &note;
    const char *got = spliced(&r, "<div class=\"slot\" data-slot=\"account\"><!--account-->"
                                  "<a href=\"/login\">Log in</a><!--/account--></div><div "
                                  "class=\"slot\" data-slot=\"reader-note\"><!--reader-note-->"
                                  "<!--/reader-note--></div>");
    CHECK(strstr(got, "Ann &lt;b&gt;") != NULL);
    CHECK(strstr(got, "href=\"/account\"") != NULL);
    CHECK(strstr(got, expected_csrf(&r)) != NULL);
    CHECK(strstr(got, "href=\"/login\"") == NULL); /* the signed-out link is replaced */
    CHECK(strstr(got, "Access provided by Example University") != NULL);

    r.reader = NULL;
    r.note = NULL;
    CHECK_STR(spliced(&r, "<!--account-->x<!--/account-->"), "<!--account-->x<!--/account-->");
    test_req_done(&r);
    test_app_free(&t);
}

/* The meter's notes kept for the app's life (r->app->notes) are byte for byte what rendering per
 * request gives, for every kind of sentence and counts on both sides of the table's range, asked
 * for once (rendered and kept) and again (from the table); the default theme's too. */
static void check_kept_notes(struct test_app *t)
{
    static const enum access_outcome outcomes[] = {ACCESS_FULL, ACCESS_PREVIEW};
    static const enum access_reason reasons[] = {
        ACCESS_REASON_METER_COUNTED, ACCESS_REASON_METER_REREAD, ACCESS_REASON_METER_EXHAUSTED};
    static const int counts[] = {0, 1, 2, 3, 10, 63, 64, 65, 1000};
    struct splice_notes *notes = t->app.notes;
    int differ = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t o = 0; o < ARRAY_LEN(outcomes); o++)
            for (size_t re = 0; re < ARRAY_LEN(reasons); re++)
                for (size_t rem = 0; rem < ARRAY_LEN(counts); rem++)
                    for (size_t al = 0; al < ARRAY_LEN(counts); al++)
                        for (int unavailable = 0; unavailable < 2; unavailable++) {
                            struct req r = test_req_make(&t->app);
                            struct paywall_note n = {.metered = 1,
                                                     .outcome = outcomes[o],
                                                     .reason = reasons[re],
                                                     .remaining = counts[rem],
                                                     .allowance = counts[al],
                                                     .unavailable = unavailable};
                            r.note = &n;
                            const char *slot = "a<!--reader-note-->old<!--/reader-note-->b";
                            const char *kept = spliced(&r, slot);
                            t->app.notes = NULL;
                            const char *rendered = spliced(&r, slot);
                            t->app.notes = notes;
                            if (strcmp(kept, rendered) != 0 && !differ++)
                                fprintf(stderr, "    kept %s\n    rendered %s\n", kept, rendered);
                            test_req_done(&r);
                        }
    CHECK_INT(differ, 0);
}

static void test_kept_notes(void)
{
    struct test_app t;
    test_app_init(&t, templates);
    check_kept_notes(&t);
    test_app_free(&t);

    test_app_init(&t, NULL);
    char err[256] = "";
    CHECK(tmpl_set_load_dir(t.app.templates, "themes/default", err, sizeof err) > 0);
    check_kept_notes(&t);
    /* and one of them, to be sure the comparison compares something */
    struct req r = test_req_make(&t.app);
    struct paywall_note n = {.metered = 1,
                             .outcome = ACCESS_FULL,
                             .reason = ACCESS_REASON_METER_REREAD,
                             .remaining = 2,
                             .allowance = 3};
    r.note = &n;
    CHECK(strstr(spliced(&r, "<!--reader-note--><!--/reader-note-->"),
                 "<p class=\"reader-note meter\">2 free articles left this month.</p>") != NULL);
    test_req_done(&r);
    test_app_free(&t);
}

void suite_splice(void)
{
    RUN(test_anonymous_unchanged);
    RUN(test_account_links);
    RUN(test_account_markers_missing);
    RUN(test_account_markers_twice);
    RUN(test_note);
    RUN(test_both_in_either_order);
    RUN(test_meter_message);
    RUN(test_default_theme);
    RUN(test_kept_notes);
}
