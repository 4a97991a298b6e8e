/*
 * runner.c: runs every unit-test suite and prints "N passed, N failed" as the last line; exits
 * non-zero if any test failed. Arguments choose suites: one that is a suite's whole name runs
 * that suite, any other runs the suites whose name contains it (`build/unit-tests tmpl`;
 * `build/unit-tests store` runs only the suite "store", `build/unit-tests _store` all whose
 * name has "_store").
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "suites.h"

int check_failures_in_test;
static int passed, failed;

void check_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "  FAIL %s:%d: %s\n", file, line, what);
    check_failures_in_test++;
}

void check_run(const char *name, void (*fn)(void))
{
    check_failures_in_test = 0;
    fn();
    if (check_failures_in_test) {
        fprintf(stderr, "not ok %s\n", name);
        failed++;
    } else {
        passed++;
    }
}

const char *check_shared_dir(void)
{
    const char *dir = getenv("BROADSHEET_SHARED");
    return dir && *dir ? dir : "../shared";
}

int main(int argc, char **argv)
{
    const size_t nsuites = sizeof suites / sizeof suites[0];
    for (size_t i = 0; i < nsuites; i++) {
        int chosen = argc == 1;
        for (int a = 1; a < argc && !chosen; a++) {
            int whole = 0; /* argv[a] is some suite's whole name */
            for (size_t j = 0; j < nsuites && !whole; j++)
                whole = strcmp(suites[j].name, argv[a]) == 0;
            chosen = whole ? strcmp(suites[i].name, argv[a]) == 0
                           : strstr(suites[i].name, argv[a]) != NULL;
        }
        if (!chosen)
            continue;
        int before_failed = failed, before_passed = passed;
        suites[i].fn();
        fprintf(stderr, "suite %-10s %d passed, %d failed\n", suites[i].name,
                passed - before_passed, failed - before_failed);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
