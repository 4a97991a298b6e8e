/*
 * runner.c: runs every unit-test suite and prints "N passed, N failed" as the last line; exits
 * non-zero if any test failed. An optional argument runs only the suites whose name contains
 * it (e.g. `build/unit-tests tmpl`).
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
    const char *only = argc > 1 ? argv[1] : NULL;
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
        if (only && !strstr(suites[i].name, only))
            continue;
        int before_failed = failed, before_passed = passed;
        suites[i].fn();
        fprintf(stderr, "suite %-10s %d passed, %d failed\n", suites[i].name,
                passed - before_passed, failed - before_failed);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
