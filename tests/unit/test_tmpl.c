/*
 * test_tmpl.c: tests of src/tmpl.c. The Mustache spec's own test files (interpolation,
 * sections, inverted, partials, comments, delimiters) run case by case in spec mode, one RUN
 * per file; the rest checks what the site relies on: escaping by default, raw output only for
 * trusted HTML, loading a theme directory, syntax errors that name the file and line, and
 * identical output when many threads render one set.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "html.h"
#include "tmpl.h"

/* The name the spec runner gives a case's main source; no spec partial is called this. */
#define SPEC_TEMPLATE "(spec case)"

static size_t spec_passed, spec_total; /* over all spec files run so far */

/* Runs every case of the spec file shared/conformance/mustache-spec/FILE in TMPL_RAW_TRIPLE
 * mode, printing each failing case and a count; the test fails unless every case passes. */
static void run_spec_file(const char *file)
{
    /* The project's shared/ beside the repository is the reference; a clone without it (a
     * scratch directory) uses the copy in tests/unit/fixtures/mustache-spec (see its SOURCE). */
    char path[4096];
    snprintf(path, sizeof path, "%s/conformance/mustache-spec/%s", check_shared_dir(), file);
    if (access(path, R_OK) != 0)
        snprintf(path, sizeof path, "tests/unit/fixtures/mustache-spec/%s", file);
    fprintf(stderr, "mustache spec file: %s\n", path);
    json_error_t error;
    json_t *spec = json_load_file(path, 0, &error);
    if (!spec) {
        fprintf(stderr, "  cannot load %s: %s (line %d)\n", path, error.text, error.line);
        CHECK(spec != NULL);
        return;
    }
    json_t *cases = json_object_get(spec, "tests");
    size_t passed = 0, total = json_array_size(cases);
    for (size_t i = 0; i < total; i++) {
        json_t *one = json_array_get(cases, i);
        json_t *source = json_object_get(one, "template");
        json_t *expected = json_object_get(one, "expected");
        const char *name = json_string_value(json_object_get(one, "name"));
        struct tmpl_set *set = tmpl_set_new(TMPL_RAW_TRIPLE);
        struct buf out = BUF_INIT;
        char err[256] = "";
        int ok = 1;

        const char *partial_name;
        json_t *partial;
        json_object_foreach(json_object_get(one, "partials"), partial_name, partial)
        {
            if (tmpl_set_add(set, partial_name, json_string_value(partial),
                             json_string_length(partial), err, sizeof err) != 0)
                ok = 0;
        }
        if (ok && tmpl_set_add(set, SPEC_TEMPLATE, json_string_value(source),
                               json_string_length(source), err, sizeof err) != 0)
            ok = 0;
        if (ok && tmpl_render(set, SPEC_TEMPLATE, json_object_get(one, "data"), &out) != 0)
            ok = 0;
        if (ok)
            ok = out.len == json_string_length(expected) &&
                 memcmp(out.data ? out.data : "", json_string_value(expected), out.len) == 0;
        if (ok) {
            passed++;
        } else {
            fprintf(stderr,
                    "  spec case failed: %s / %s\n    template: [%s]\n    expected: [%s]\n"
                    "    got:      [%s]\n    error:    [%s]\n",
                    file, name, json_string_value(source), json_string_value(expected),
                    out.data ? out.data : "", err);
        }
        buf_free(&out);
        tmpl_set_free(set);
    }
    fprintf(stderr, "mustache spec %s: %zu of %zu cases passed\n", file, passed, total);
    spec_passed += passed;
    spec_total += total;
    CHECK(total > 0);
    CHECK_INT(passed, total);
    json_decref(spec);
}

static void test_spec_interpolation(void)
{
    run_spec_file("interpolation.json");
}

static void test_spec_sections(void)
{
    run_spec_file("sections.json");
}

static void test_spec_inverted(void)
{
    run_spec_file("inverted.json");
}

static void test_spec_partials(void)
{
    run_spec_file("partials.json");
}

static void test_spec_comments(void)
{
    run_spec_file("comments.json");
}

static void test_spec_delimiters(void)
{
    run_spec_file("delimiters.json");
}

/* Renders source (added as "t" to a set made with flags) with data, returning a heap string the
 * caller frees, or NULL if adding or rendering failed. Takes ownership of data. */
static char *render_with(unsigned flags, const char *source, json_t *data)
{
    struct tmpl_set *set = tmpl_set_new(flags);
    struct buf out = BUF_INIT;
    char *result = NULL;
    char err[256];
    if (tmpl_set_add(set, "t", source, strlen(source), err, sizeof err) != 0) {
        fprintf(stderr, "    add failed: %s\n", err);
        goto out;
    }
    if (tmpl_render(set, "t", data, &out) != 0)
        goto out;
    result = buf_detach(&out, NULL);
out:
    buf_free(&out);
    tmpl_set_free(set);
    json_decref(data);
    return result;
}

/* CHECK_STR on a string render_with made, which it then frees. */
#define CHECK_RENDER(flags, source, data, want)                                                    \
    do {                                                                                           \
        char *got_ = render_with((flags), (source), (data));                                       \
        CHECK_STR(got_, (want));                                                                   \
        free(got_);                                                                                \
    } while (0)

static void test_escapes_by_default(void)
{
    json_t *data = json_pack("{s:s}", "x", "<script>&\"'");
    CHECK_RENDER(0, "{{x}}", data, "&lt;script&gt;&amp;&quot;&#39;");
}

static void test_triple_escapes_plain_strings(void)
{
    CHECK_RENDER(0, "{{{x}}}|{{&x}}", json_pack("{s:s}", "x", "<b>"), "&lt;b&gt;|&lt;b&gt;");
    /* Spec mode is the only way a plain string goes out raw. */
    CHECK_RENDER(TMPL_RAW_TRIPLE, "{{{x}}}|{{&x}}|{{x}}", json_pack("{s:s}", "x", "<b>"),
                 "<b>|<b>|&lt;b&gt;");
}

static void test_triple_writes_trusted_html(void)
{
    json_t *data = json_object();
    json_object_set_new(data, "x", html_trusted("<p>hi</p>"));
    CHECK_RENDER(0, "{{{x}}}|{{&x}}", data, "<p>hi</p>|<p>hi</p>");
}

static void test_double_escapes_trusted_html(void)
{
    json_t *data = json_object();
    json_object_set_new(data, "x", html_trusted("<p>hi</p>"));
    CHECK_RENDER(0, "{{x}}", data, "&lt;p&gt;hi&lt;/p&gt;");

    /* A section on trusted HTML pushes it like any object; {{{.}}} inside still works and
     * the names around it still resolve through the outer context. */
    data = json_object();
    json_object_set_new(data, "x", html_trusted("<i>a</i>"));
    json_object_set_new(data, "y", json_string("y"));
    CHECK_RENDER(0, "{{#x}}{{{.}}}{{y}}{{/x}}", data, "<i>a</i>y");
}

static void test_values(void)
{
    json_t *data = json_pack("{s:i, s:f, s:f, s:f, s:b, s:n, s:s, s:[i,i], s:{s:s}}", "int", -42,
                             "real", 1.21, "sum", 0.1 + 0.2, "big", 1e300, "yes", 1, "nil", "empty",
                             "", "list", 1, 2, "object", "a", "b");
    CHECK_RENDER(0, "{{int}} {{real}} {{sum}} {{big}} {{yes}} [{{nil}}] [{{list}}] [{{object}}]",
                 data, "-42 1.21 0.30000000000000004 1e+300 true [] [] []");
    /* Only false, null, missing and [] are falsey, as in the spec's data. */
    data = json_pack("{s:s, s:i, s:[], s:b, s:n}", "empty", "", "zero", 0, "none", "no", 0, "nil");
    CHECK_RENDER(0,
                 "{{#empty}}E{{/empty}}{{#zero}}Z{{/zero}}{{#none}}N{{/none}}{{#no}}F{{/no}}"
                 "{{#nil}}L{{/nil}}{{#missing}}M{{/missing}}|{{^none}}n{{/none}}{{^no}}f{{/no}}"
                 "{{^nil}}l{{/nil}}{{^missing}}m{{/missing}}{{^empty}}e{{/empty}}",
                 data, "EZ|nflm");
}

static void test_nested_partial_indentation(void)
{
    struct tmpl_set *set = tmpl_set_new(0);
    static const char *const sources[][2] = {
        {"page", "<div>\n  {{>list}}\n</div>\n"},
        {"list", "<ul>\n  {{#items}}\n  {{>item}}\n  {{/items}}\n</ul>\n"},
        {"item", "<li>{{.}}</li>\n"},
        {"inline", "<p>{{>two}}</p>\n"},
        {"two", "a\nb"},
    };
    for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++)
        CHECK_INT(tmpl_set_add(set, sources[i][0], sources[i][1], strlen(sources[i][1]), NULL, 0),
                  0);
    json_t *data = json_pack("{s:[s,s]}", "items", "a", "b");
    struct buf out = BUF_INIT;
    CHECK_INT(tmpl_render(set, "page", data, &out), 0);
    CHECK_STR(out.data, "<div>\n  <ul>\n    <li>a</li>\n    <li>b</li>\n  </ul>\n</div>\n");

    /* An inline partial is not indented, even inside an indented one. */
    const char *outer = "x\n  {{>inline}}\n";
    CHECK_INT(tmpl_set_add(set, "outer", outer, strlen(outer), NULL, 0), 0);
    buf_reset(&out);
    CHECK_INT(tmpl_render(set, "outer", data, &out), 0);
    CHECK_STR(out.data, "x\n  <p>a\nb</p>\n");
    buf_free(&out);
    json_decref(data);
    tmpl_set_free(set);
}

static void test_recursion_is_bounded(void)
{
    struct tmpl_set *set = tmpl_set_new(0);
    CHECK_INT(tmpl_set_add(set, "loop", "x{{>loop}}", 10, NULL, 0), 0);
    struct buf out = BUF_INIT;
    CHECK_INT(tmpl_render(set, "loop", NULL, &out), 0);
    /* It stops at the depth bound (100 partials deep) instead of overflowing the stack. */
    CHECK(out.len >= 100 && out.len <= 101);
    buf_free(&out);
    tmpl_set_free(set);
}

/* Monotonic seconds, for the tests that must finish quickly. */
static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Finding 14 of the hardening issue: MAX_DEPTH bounds depth, not fan-out. */
static void test_fan_out_is_capped(void)
{
    struct tmpl_set *set = tmpl_set_new(0);
    struct buf out = BUF_INIT;
    buf_puts(&out, "before");

    /* A partial that includes itself twice would make 2^100 calls inside the depth bound: it
     * fails at once, and leaves out as it was. */
    CHECK_INT(tmpl_set_add(set, "main", "{{> main}}{{> main}}", 20, NULL, 0), 0);
    double start = seconds_now();
    CHECK_INT(tmpl_render(set, "main", NULL, &out), -1);
    CHECK(seconds_now() - start < 2.0);
    CHECK(out.len == 6 && !strcmp(out.data, "before")); /* out as it was */

    /* A finite fan-out past the cap: 2^20 expansions, 20 partials deep (well inside MAX_DEPTH),
     * each writing a byte. */
    for (int level = 0; level < 20; level++) {
        char name[16], source[64];
        snprintf(name, sizeof name, "f%d", level);
        snprintf(source, sizeof source, "x{{> f%d}}{{> f%d}}", level + 1, level + 1);
        CHECK_INT(tmpl_set_add(set, name, source, strlen(source), NULL, 0), 0);
    }
    CHECK_INT(tmpl_render(set, "f0", NULL, &out), -1);
    CHECK(out.len == 6 && !strcmp(out.data, "before")); /* out as it was */

    /* A section over a very long list counts one expansion per item. */
    json_t *items = json_array();
    for (int i = 0; i < 200000; i++)
        json_array_append_new(items, json_integer(i));
    json_t *data = json_pack("{s:o}", "items", items);
    CHECK_INT(tmpl_set_add(set, "list", "{{#items}}.{{/items}}", 21, NULL, 0), 0);
    CHECK_INT(tmpl_render(set, "list", data, &out), -1);
    CHECK(out.len == 6 && !strcmp(out.data, "before")); /* out as it was */
    json_decref(data);

    /* Output: 40 copies of a 1 MiB value are more than a page can be. */
    size_t big_len = 1024 * 1024;
    char *big = malloc(big_len + 1);
    memset(big, 'a', big_len);
    big[big_len] = '\0';
    items = json_array();
    for (int i = 0; i < 40; i++)
        json_array_append_new(items, json_integer(i));
    data = json_pack("{s:o, s:s}", "items", items, "big", big);
    CHECK_INT(tmpl_set_add(set, "large", "{{#items}}{{big}}{{/items}}", 27, NULL, 0), 0);
    CHECK_INT(tmpl_render(set, "large", data, &out), -1);
    CHECK(out.len == 6 && !strcmp(out.data, "before")); /* out as it was */
    json_decref(data);
    free(big);

    buf_free(&out);
    tmpl_set_free(set);
}

/* The caps leave room for any real page: the largest list the store hands out (1000 items),
 * each through a partial with sections of its own. */
static void test_large_page_renders(void)
{
    static const char *const sources[][2] = {
        {"page", "<ul>\n{{#articles}}\n<li>{{> card}}</li>\n{{/articles}}\n</ul>\n"},
        {"card", "<h3>{{headline}}</h3>{{#dek}}<p>{{dek}}</p>{{/dek}}{{^paywall}}free{{/paywall}}"
                 "{{#tags}}<i>{{.}}</i>{{/tags}}\n"},
    };
    struct tmpl_set *set = tmpl_set_new(0);
    for (size_t i = 0; i < 2; i++)
        CHECK_INT(tmpl_set_add(set, sources[i][0], sources[i][1], strlen(sources[i][1]), NULL, 0),
                  0);
    json_t *articles = json_array();
    for (int i = 0; i < 1000; i++)
        json_array_append_new(articles, json_pack("{s:s, s:s, s:b, s:[s,s,s]}", "headline",
                                                  "A headline of a usual length for a story", "dek",
                                                  "A dek", "paywall", 0, "tags", "a", "b", "c"));
    json_t *data = json_pack("{s:o}", "articles", articles);
    struct buf out = BUF_INIT;
    CHECK_INT(tmpl_render(set, "page", data, &out), 0);
    CHECK(out.data && strstr(out.data, "<i>c</i>\n</li>\n</ul>\n"));
    buf_free(&out);
    json_decref(data);
    tmpl_set_free(set);
}

/* Writes contents to dir/file; returns 0 or -1. */
static int write_file(const char *dir, const char *file, const char *contents)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int ok = fputs(contents, f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* Removes dir/file, if there. */
static void remove_file(const char *dir, const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    unlink(path);
}

static void test_load_dir(void)
{
    char dir[] = "/tmp/broadsheet-tmpl-XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp failed");
        return;
    }
    CHECK_INT(write_file(dir, "page.mustache", "<h1>{{title}}</h1>\n  {{> item}}\n"), 0);
    CHECK_INT(write_file(dir, "item.mustache", "<p>{{body}}</p>\n<p>end</p>\n"), 0);
    CHECK_INT(write_file(dir, "notes.txt", "{{not a template"), 0);

    struct tmpl_set *set = tmpl_set_new(0);
    char err[512] = "";
    CHECK_INT(tmpl_set_load_dir(set, dir, err, sizeof err), 2);
    CHECK(tmpl_set_has(set, "page"));
    CHECK(tmpl_set_has(set, "item"));
    CHECK(!tmpl_set_has(set, "notes"));
    json_t *data = json_pack("{s:s, s:s}", "title", "A & B", "body", "<i>");
    struct buf out = BUF_INIT;
    CHECK_INT(tmpl_render(set, "page", data, &out), 0);
    CHECK_STR(out.data, "<h1>A &amp; B</h1>\n  <p>&lt;i&gt;</p>\n  <p>end</p>\n");

    /* A broken file fails the whole load, names the file and line, and adds nothing. */
    CHECK_INT(write_file(dir, "broken.mustache", "ok\n{{#open}}\n"), 0);
    CHECK_INT(write_file(dir, "zzz.mustache", "fine"), 0);
    CHECK_INT(tmpl_set_load_dir(set, dir, err, sizeof err), -1);
    CHECK(strstr(err, "broken.mustache:2: ") != NULL);
    CHECK(strstr(err, "unclosed section") != NULL);
    CHECK(!tmpl_set_has(set, "zzz"));
    buf_reset(&out);
    CHECK_INT(tmpl_render(set, "page", data, &out), 0); /* the old set still works */

    remove_file(dir, "page.mustache");
    remove_file(dir, "item.mustache");
    remove_file(dir, "notes.txt");
    remove_file(dir, "broken.mustache");
    remove_file(dir, "zzz.mustache");
    CHECK_INT(rmdir(dir), 0);

    CHECK_INT(tmpl_set_load_dir(set, "/nonexistent/broadsheet-theme", err, sizeof err), -1);
    CHECK(strstr(err, "/nonexistent/broadsheet-theme") != NULL);
    buf_free(&out);
    json_decref(data);
    tmpl_set_free(set);
}

static void test_syntax_errors(void)
{
    static const char *const cases[][2] = {
        {"a\n{{x", "page:2: unclosed tag '{{'"},
        {"a\n{{{x}}", "page:2: unclosed tag '{{'"},
        {"{{#a}}\n\n", "page:1: unclosed section 'a'"},
        {"{{#a}}\n{{/b}}", "page:2: 'b' closes section 'a' opened on line 1"},
        {"x\n\n{{/a}}", "page:3: 'a' closes no open section"},
        {"{{=a=}}", "page:1: bad delimiter change 'a' (want two delimiters)"},
        {"{{= a b c =}}", "page:1: bad delimiter change 'a b c' (want two delimiters)"},
        {"{{=<% %>=}}\n<%x", "page:2: unclosed tag '<%'"},
        {"{{}}", "page:1: empty tag"},
        {"{{a..b}}", "page:1: bad name 'a..b'"},
    };
    struct tmpl_set *set = tmpl_set_new(0);
    CHECK_INT(tmpl_set_add(set, "page", "old", 3, NULL, 0), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256] = "";
        CHECK_INT(tmpl_set_add(set, "page", cases[i][0], strlen(cases[i][0]), err, sizeof err), -1);
        CHECK_STR(err, cases[i][1]);
    }
    /* A failed add leaves the template of that name as it was; a good one replaces it. */
    struct buf out = BUF_INIT;
    CHECK_INT(tmpl_render(set, "page", NULL, &out), 0);
    CHECK_STR(out.data, "old");
    CHECK_INT(tmpl_set_add(set, "page", "new", 3, NULL, 0), 0);
    buf_reset(&out);
    CHECK_INT(tmpl_render(set, "page", NULL, &out), 0);
    CHECK_STR(out.data, "new");
    buf_free(&out);
    tmpl_set_free(set);
}

static void test_missing_template(void)
{
    struct tmpl_set *set = tmpl_set_new(0);
    struct buf out = BUF_INIT;
    buf_puts(&out, "before");
    CHECK_INT(tmpl_render(set, "nope", NULL, &out), -1);
    CHECK_STR(out.data, "before");
    CHECK(!tmpl_set_has(set, "nope"));
    buf_free(&out);
    tmpl_set_free(set);
}

/* What one rendering thread needs, and what it found. */
struct render_job {
    const struct tmpl_set *set;
    const json_t *data;
    const char *want;
    int mismatches;
};

/* Thread body: renders the job's page many times, counting outputs that differ from want. */
static void *render_repeatedly(void *arg)
{
    struct render_job *job = arg;
    struct buf out = BUF_INIT;
    for (int i = 0; i < 200; i++) {
        buf_reset(&out);
        if (tmpl_render(job->set, "page", job->data, &out) != 0 || !out.data ||
            strcmp(out.data, job->want) != 0)
            job->mismatches++;
    }
    buf_free(&out);
    return NULL;
}

static void test_threads_render_identically(void)
{
    static const char *const sources[][2] = {
        {"page", "<main>\n  {{#articles}}\n  {{>card}}\n  {{/articles}}\n</main>\n"},
        {"card", "<article>\n  <h2>{{title}}</h2>\n  {{{body}}}\n</article>\n"},
    };
    struct tmpl_set *set = tmpl_set_new(0);
    for (size_t i = 0; i < 2; i++)
        CHECK_INT(tmpl_set_add(set, sources[i][0], sources[i][1], strlen(sources[i][1]), NULL, 0),
                  0);
    json_t *articles = json_array();
    for (int i = 0; i < 50; i++) {
        char title[32];
        snprintf(title, sizeof title, "Story <%d>", i);
        json_t *article = json_pack("{s:s}", "title", title);
        json_object_set_new(article, "body", html_trusted("<p>text</p>"));
        json_array_append_new(articles, article);
    }
    json_t *data = json_pack("{s:o}", "articles", articles);
    struct buf want = BUF_INIT;
    CHECK_INT(tmpl_render(set, "page", data, &want), 0);
    CHECK(want.data && strstr(want.data, "    <h2>Story &lt;49&gt;</h2>\n    <p>text</p>\n"));

    struct render_job jobs[4];
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (struct render_job){set, data, want.data ? want.data : "", 0};
        CHECK_INT(pthread_create(&threads[i], NULL, render_repeatedly, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        CHECK_INT(jobs[i].mismatches, 0);
    }
    buf_free(&want);
    json_decref(data);
    tmpl_set_free(set);
}

void suite_tmpl(void)
{
    spec_passed = spec_total = 0;
    RUN(test_spec_interpolation);
    RUN(test_spec_sections);
    RUN(test_spec_inverted);
    RUN(test_spec_partials);
    RUN(test_spec_comments);
    RUN(test_spec_delimiters);
    fprintf(stderr, "mustache spec: %zu of %zu cases passed\n", spec_passed, spec_total);
    RUN(test_escapes_by_default);
    RUN(test_triple_escapes_plain_strings);
    RUN(test_triple_writes_trusted_html);
    RUN(test_double_escapes_trusted_html);
    RUN(test_values);
    RUN(test_nested_partial_indentation);
    RUN(test_recursion_is_bounded);
    RUN(test_fan_out_is_capped);
    RUN(test_large_page_renders);
    RUN(test_load_dir);
    RUN(test_syntax_errors);
    RUN(test_missing_template);
    RUN(test_threads_render_identically);
}
