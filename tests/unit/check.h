/*
 * check.h: the unit-test runner's few macros. A test is a function; CHECK records a failure
 * (file, line, expression) and goes on; the runner counts a test as passed when none of its
 * checks failed and ends with the plain line "N passed, N failed" that CI reads.
 *
 * Each tests/unit/test_MODULE.c defines `void suite_MODULE(void)` that calls RUN() on its tests;
 * runner.c calls every suite.
 */
#ifndef BROADSHEET_CHECK_H
#define BROADSHEET_CHECK_H

#include <stdio.h>
#include <string.h>

extern int check_failures_in_test; /* failed checks in the running test */

void check_run(const char *name, void (*fn)(void));
void check_fail(const char *file, int line, const char *what);

#define RUN(fn) check_run(#fn, fn)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            check_fail(__FILE__, __LINE__, #cond);                                                 \
    } while (0)

/* Compares two C strings (either may be NULL) and prints both when they differ. */
#define CHECK_STR(got, want)                                                                       \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        if (!g_ || !w_ || strcmp(g_, w_) != 0) {                                                   \
            check_fail(__FILE__, __LINE__, #got " == " #want);                                     \
            fprintf(stderr, "    got:  [%s]\n    want: [%s]\n", g_ ? g_ : "(null)",                \
                    w_ ? w_ : "(null)");                                                           \
        }                                                                                          \
    } while (0)

#define CHECK_INT(got, want)                                                                       \
    do {                                                                                           \
        long long g_ = (long long)(got), w_ = (long long)(want);                                   \
        if (g_ != w_) {                                                                            \
            check_fail(__FILE__, __LINE__, #got " == " #want);                                     \
            fprintf(stderr, "    got: %lld, want: %lld\n", g_, w_);                                \
        }                                                                                          \
    } while (0)

/* Directory of the repository's shared/ (the conformance data), from the environment
 * BROADSHEET_SHARED or ../shared relative to the repository. */
const char *check_shared_dir(void);

#endif
