/*
 * fuzz.h: what the libFuzzer targets in tests/fuzz/ share. A target is one file, fuzz_NAME.c,
 * that defines LLVMFuzzerTestOneInput (declared here: the build's -Wmissing-prototypes wants a
 * prototype) and has its seed corpus in tests/fuzz/corpus/NAME/ and, optionally, a dictionary
 * in tests/fuzz/dict/NAME.dict. `make fuzz` and `make fuzz-smoke` build every such file with
 * clang's libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer against the library built
 * the same way (build/fuzz/), and run it (the Makefile's "fuzzing" section).
 *
 * Beyond not crashing, a target checks what the contract of the function under test promises
 * (FUZZ_CHECK): a broken promise aborts, as a sanitizer report does, so libFuzzer keeps the
 * input as a crash artifact and the run fails.
 *
 * Inputs that carry several strings (a header and a payload, a name and a value) hold them
 * separated by NUL bytes, which none of the strings can contain: fuzz_fields splits them. The
 * helpers are static inline, as in tests/unit/test_support.h, so the header needs no object file
 * of its own. Memory: a target frees everything it allocates for an input before it returns
 * (libFuzzer checks for leaks after inputs that malloc more than they free); what it sets up
 * once (LLVMFuzzerInitialize) stays reachable until exit.
 */
#ifndef BROADSHEET_FUZZ_H
#define BROADSHEET_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libFuzzer's entry points: called once per input, and (when a target defines it) once at
 * start. Return 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Reports a broken promise and aborts, which libFuzzer treats as a crash. */
__attribute__((noreturn)) static inline void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: fuzz check failed: %s\n", file, line, what);
    abort();
}

/* Aborts the run (keeping the input) unless cond holds. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fuzz_fail(__FILE__, __LINE__, #cond);                                                  \
    } while (0)

#define FUZZ_MAX_FIELDS 8

/* An input cut at its NUL bytes. field[i] is NUL-terminated and len[i] long; the last field
 * takes the rest of the input, NUL bytes included (len says how much), for functions that take
 * bytes and a length. Fields the input does not have are "". */
struct fuzz_fields {
    char *copy; /* the input with a NUL after each field; freed by fuzz_fields_free */
    const char *field[FUZZ_MAX_FIELDS];
    size_t len[FUZZ_MAX_FIELDS];
};

/* Splits data[0..size) into n fields (at most FUZZ_MAX_FIELDS) as described above. */
static inline void fuzz_fields_split(struct fuzz_fields *f, const uint8_t *data, size_t size,
                                     size_t n)
{
    f->copy = malloc(size + 1);
    if (!f->copy)
        abort();
    if (size)
        memcpy(f->copy, data, size);
    f->copy[size] = '\0';
    size_t start = 0;
    for (size_t i = 0; i < FUZZ_MAX_FIELDS; i++) {
        f->field[i] = "";
        f->len[i] = 0;
        if (i >= n || start > size)
            continue;
        const char *nul = i + 1 < n ? memchr(f->copy + start, '\0', size - start) : NULL;
        size_t end = nul ? (size_t)(nul - f->copy) : size;
        f->field[i] = f->copy + start;
        f->len[i] = end - start;
        start = end + 1;
    }
}

static inline void fuzz_fields_free(struct fuzz_fields *f)
{
    free(f->copy);
    f->copy = NULL;
}

/* The first byte of the input (0 when it is empty), which targets use to choose a mode;
 * advances *data and *size past it. */
static inline uint8_t fuzz_take_byte(const uint8_t **data, size_t *size)
{
    if (*size == 0)
        return 0;
    uint8_t b = **data;
    (*data)++;
    (*size)--;
    return b;
}

/* A NUL-terminated heap copy of data[0..size) (cut at its first NUL, as a C string would be).
 * The caller frees it. */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#endif
