/*
 * test_account.c: tests of the field checks in src/account.c that every account page relies
 * on: account_safe_next (where a form sends the reader afterwards: a local path only, never
 * another site, by "//host", "/\host", a scheme, or characters a browser would strip or
 * reinterpret), account_name_problem (a display name: UTF-8, 1 to 100 characters, no control
 * characters, C1 included), account_refill (a value put back in a form only when it is UTF-8)
 * and account_trim.
 */
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "check.h"
#include "test_request.h"
#include "util.h"

static void test_safe_next_local(void)
{
    static const char *const local[] = {
        "/",
        "/account",
        "/articles/some-slug",
        "/articles/x?y=1&z=%2F%2F#comments",
        "/a/b/c/",
        "/%2F%2Fevil.example", /* encoded: a path on this site, not a host */
        "/.//evil.example",
        "/a//b",
        "/~reader/!$&'()*+,;=:@",
    };
    for (size_t i = 0; i < ARRAY_LEN(local); i++) {
        const char *got = account_safe_next(local[i]);
        CHECK(got == local[i]);
        if (got != local[i])
            fprintf(stderr, "    [%s] became [%s]\n", local[i], got);
    }

    /* 500 bytes is the most taken */
    char longest[501];
    longest[0] = '/';
    memset(longest + 1, 'a', sizeof longest - 2);
    longest[sizeof longest - 1] = '\0';
    CHECK(account_safe_next(longest) == longest);
}

static void test_safe_next_refused(void)
{
    static const char *const refused[] = {
        "",
        "account",
        "//evil.example",
        "//evil.example/path",
        "///evil.example",
        "/\\evil.example",
        "/\\/evil.example",
        "\\\\evil.example",
        "/a\\b",
        "https://evil.example/",
        "http:/evil.example",
        "javascript:alert(1)",
        "data:text/html,x",
        " /account",
        "/account ",
        "/a b",
        "/\t/evil.example", /* browsers strip tabs and newlines from URLs */
        "/\n/evil.example",
        "/\r/evil.example",
        "/a\x01",
        "/a\x7f",
        "/caf\xc3\xa9",
        "/\xe2\x80\xae", /* a right-to-left override */
        "?next=/",
        "#/",
    };
    for (size_t i = 0; i < ARRAY_LEN(refused); i++) {
        const char *got = account_safe_next(refused[i]);
        if (strcmp(got, "/") != 0)
            fprintf(stderr, "    [%s] kept\n", refused[i]);
        CHECK_STR(got, "/");
    }
    CHECK_STR(account_safe_next(NULL), "/");

    char too_long[502];
    too_long[0] = '/';
    memset(too_long + 1, 'a', sizeof too_long - 2);
    too_long[sizeof too_long - 1] = '\0';
    CHECK_STR(account_safe_next(too_long), "/");
}

static void test_name_problem(void)
{
    static const char *const fine[] = {
        "Ann",      "Ann Reader", "A",    "O'Brien-Smith, Jr.",
        "Zoë Æsir", "李小龍",     "🙂", "<script>", /* escaped on output, not refused */
    };
    for (size_t i = 0; i < ARRAY_LEN(fine); i++) {
        const char *problem = account_name_problem(fine[i]);
        if (problem)
            fprintf(stderr, "    [%s]: %s\n", fine[i], problem);
        CHECK(problem == NULL);
    }

    CHECK_STR(account_name_problem(""), "Enter the name to show with your account.");

    static const char *const not_text[] = {
        "Ann\x01",
        "Ann\tReader",
        "Ann\nReader",
        "Ann\rReader",
        "Ann\x1b[31m",
        "Ann\x7f",
        "\xff",
        "Ann\xc3",
        "\xc0\xaf",
        "\xed\xa0\x80",
        "Ann\xc2\x85", /* NEL, a C1 control character */
        "Ann\xc2\x9b"
        "31m", /* CSI */
        "\xc2\x80",
        "\xc2\x9f",
    };
    for (size_t i = 0; i < ARRAY_LEN(not_text); i++) {
        const char *problem = account_name_problem(not_text[i]);
        if (!problem || strcmp(problem, "Use letters, numbers and punctuation only."))
            fprintf(stderr, "    case %zu: %s\n", i, problem ? problem : "(accepted)");
        CHECK_STR(problem, "Use letters, numbers and punctuation only.");
    }
    /* U+00A0 and later are characters like any other */
    CHECK(account_name_problem("Ann\xc2\xa0Reader") == NULL);

    /* 100 characters, counted as characters, not bytes */
    char name[512] = "";
    for (int i = 0; i < ACCOUNT_NAME_MAX; i++)
        strcat(name, "\xc3\xa9"); /* é, two bytes */
    CHECK(account_name_problem(name) == NULL);
    strcat(name, "x");
    CHECK_STR(account_name_problem(name), "Use at most 100 characters.");
    memset(name, 'a', ACCOUNT_NAME_MAX);
    name[ACCOUNT_NAME_MAX] = '\0';
    CHECK(account_name_problem(name) == NULL);
    name[ACCOUNT_NAME_MAX] = 'a';
    name[ACCOUNT_NAME_MAX + 1] = '\0';
    CHECK_STR(account_name_problem(name), "Use at most 100 characters.");
}

static void test_refill(void)
{
    const char *value = "Zoë <b>";
    CHECK(account_refill(value) == value); /* as typed: the template escapes it */
    CHECK_STR(account_refill(""), "");
    CHECK_STR(account_refill(NULL), "");
    CHECK_STR(account_refill("bad \xff byte"), "");
    CHECK_STR(account_refill("cut \xe2\x82"), "");
}

static void test_trim(void)
{
    struct test_app t;
    test_app_init(&t, NULL);
    struct req r = test_req_make(&t.app);
    CHECK_STR(account_trim(&r, "  Ann Reader \t\r\n"), "Ann Reader");
    CHECK_STR(account_trim(&r, "Ann"), "Ann");
    CHECK_STR(account_trim(&r, " \t "), "");
    CHECK_STR(account_trim(&r, ""), "");
    CHECK_STR(account_trim(&r, NULL), "");
    CHECK_STR(account_trim(&r, " a  b "), "a  b");
    test_req_done(&r);
    test_app_free(&t);
}

void suite_account(void)
{
    RUN(test_safe_next_local);
    RUN(test_safe_next_refused);
    RUN(test_name_problem);
    RUN(test_refill);
    RUN(test_trim);
}
