/*
 * test_auth.c: tests of src/auth.c: argon2id hashing and verification (and rehash detection),
 * the dummy verification's cost, the bound on concurrent hashes, the password policy, the
 * compiled-in common-password list, tokens and their hashes (checked against BLAKE2b computed
 * independently), CSRF tokens (against HMAC-SHA256 computed independently), and email syntax.
 *
 * Argon2id at the INTERACTIVE limits costs about a tenth of a second and 64 MiB per call, so the
 * suite makes a dozen of them in all.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "auth.h"
#include "check.h"
#include "util.h"

/* The generated list (scripts/embed-passwords), to check its order. */
extern const char *const auth_common_passwords[];
extern const size_t auth_common_passwords_count;

static void test_init(void)
{
    CHECK_INT(auth_init(0), 0);
    CHECK_INT(auth_init(0), 0); /* again: fine */
}

static void test_hash_and_verify(void)
{
    char hash[AUTH_HASH_BYTES], weak[AUTH_HASH_BYTES];
    const char *password = "correct horse battery staple";
    CHECK_INT(auth_password_hash(password, hash), 0);
    CHECK(strncmp(hash, "$argon2id$", 10) == 0);
    CHECK_INT(auth_password_verify(hash, password), 1);
    CHECK_INT(auth_password_verify(hash, "correct horse battery stapler"), 0);
    CHECK_INT(auth_password_needs_rehash(hash), 0);

    /* A hash made with weaker parameters still verifies, and asks to be redone. (The minimum
     * limits cost next to nothing.) */
    CHECK(crypto_pwhash_str(weak, password, strlen(password), crypto_pwhash_OPSLIMIT_MIN,
                            crypto_pwhash_MEMLIMIT_MIN) == 0);
    CHECK_INT(auth_password_verify(weak, password), 1);
    CHECK_INT(auth_password_needs_rehash(weak), 1);

    /* An account without a password, or a garbled hash, never matches. */
    CHECK_INT(auth_password_verify("", ""), 0);
    CHECK_INT(auth_password_verify(NULL, password), 0);
    CHECK_INT(auth_password_verify("$argon2id$garbage", password), 0);
    CHECK_INT(auth_password_needs_rehash(""), 1);
    CHECK_INT(auth_password_needs_rehash(NULL), 1);
}

/* A log-in for an unknown email (dummy verification) or for an account without a password
 * costs what a real verification costs: timed loosely, a quarter is far from a fast path's
 * microseconds. */
static void test_dummy_verify_costs_a_verification(void)
{
    char hash[AUTH_HASH_BYTES];
    CHECK_INT(auth_password_hash("a real password here", hash), 0);
    int64_t t0 = util_monotonic_ms();
    CHECK_INT(auth_password_verify(hash, "a wrong password"), 0);
    int64_t t1 = util_monotonic_ms();
    auth_password_dummy_verify("a wrong password");
    int64_t t2 = util_monotonic_ms();
    CHECK_INT(auth_password_verify("", "a wrong password"), 0);
    int64_t t3 = util_monotonic_ms();
    int64_t real = t1 - t0, dummy = t2 - t1, no_hash = t3 - t2;
    if (dummy * 4 < real || no_hash * 4 < real)
        fprintf(stderr, "    real %lld ms, dummy %lld ms, no hash %lld ms\n", (long long)real,
                (long long)dummy, (long long)no_hash);
    CHECK(real >= 5);
    CHECK(dummy * 4 >= real);
    CHECK(no_hash * 4 >= real);
}

#define HASHING_THREADS 6

/* Hashes one password (the slot bound makes it wait its turn); *arg is set to the result. */
static void *hash_run(void *arg)
{
    char hash[AUTH_HASH_BYTES];
    *(int *)arg = auth_password_hash("concurrent password", hash);
    return NULL;
}

static void test_concurrent_hashes_bounded(void)
{
    pthread_t threads[HASHING_THREADS];
    int results[HASHING_THREADS];
    CHECK_INT(auth_init(2), 0);
    CHECK_INT(auth_hashes_in_flight_max(), 0);
    for (int i = 0; i < HASHING_THREADS; i++) {
        results[i] = -2;
        CHECK(pthread_create(&threads[i], NULL, hash_run, &results[i]) == 0);
    }
    for (int i = 0; i < HASHING_THREADS; i++) {
        pthread_join(threads[i], NULL);
        CHECK_INT(results[i], 0);
    }
    /* At most 2 at once; and 2 did run together (each takes ~100 ms), so the bound is not
     * accidentally 1. */
    CHECK_INT(auth_hashes_in_flight_max(), 2);
    CHECK_INT(auth_init(0), 0);
}

static void test_password_policy(void)
{
    static const struct {
        const char *password;
        int ok;
    } cases[] = {
        {"abcdefghi", 0},  /* 9 characters */
        {"xkcd-bats1", 1}, /* 10 */
        {"", 0},
        {"password123", 0}, /* common */
        {"PassWord123", 0}, /* common, whatever the case */
        {"1234567890", 0},  /* common */
        {"qwertyuiop", 0},  /* common */
        {"iloveyou12", 0},  /* common */
        {"1q2w3e4r5t", 0},  /* common */
        {"\xc3\x85\xc3\x85\xc3\x85\xc3\x85\xc3\x85\xc3\x85\xc3\x85\xc3\x85\xc3\x85\xc3\x85", 1},
        {"\xc3\x85\xc3\x85\xc3\x85\xc3\x85\xc3\x85\xc3\x85\xc3\x85\xc3\x85\xc3\x85", 0},
        {"valid start \xff\xfe end", 0},     /* not UTF-8 */
        {"overlong \xc0\xaf slash!", 0},     /* not UTF-8 (overlong) */
        {"correct horse battery staple", 1}, /* spaces are fine */
        {"ada.lovelace@example.com", 0},     /* the email */
        {"ADA.LOVELACE@example.com", 0},
        {"ada.lovelace", 0},       /* the email's local part */
        {"Ada Lovelace Byron", 0}, /* the name */
        {"ada lovelace byron 1815", 1},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const char *problem = auth_password_problem(cases[i].password, "ada.lovelace@example.com",
                                                    "Ada Lovelace Byron");
        if ((problem == NULL) != cases[i].ok) {
            fprintf(stderr, "    case %zu: %s\n", i, problem ? problem : "(accepted)");
            CHECK(0);
        }
    }
    /* Messages a reader can act on. */
    CHECK_STR(auth_password_problem("short", NULL, NULL),
              "Please use a password of at least 10 characters.");
    CHECK(strstr(auth_password_problem("password123", NULL, NULL), "commonly used") != NULL);
    CHECK(
        strstr(auth_password_problem("ada.lovelace@example.com", "ada.lovelace@example.com", NULL),
               "email") != NULL);
    CHECK(strstr(auth_password_problem("Ada Lovelace Byron", NULL, "Ada Lovelace Byron"), "name") !=
          NULL);
    CHECK(auth_password_problem(NULL, NULL, NULL) != NULL);

    /* 256 bytes is the most; 257 is refused. */
    char long_password[300];
    memset(long_password, 'x', 256);
    memcpy(long_password, "unique-", 7);
    long_password[256] = '\0';
    CHECK(auth_password_problem(long_password, NULL, NULL) == NULL);
    long_password[256] = 'x';
    long_password[257] = '\0';
    CHECK(strstr(auth_password_problem(long_password, NULL, NULL), "too long") != NULL);
}

static void test_common_list(void)
{
    CHECK(auth_common_passwords_count >= 500);
    size_t long_ones = 0;
    for (size_t i = 0; i < auth_common_passwords_count; i++) {
        if (strlen(auth_common_passwords[i]) >= AUTH_PASSWORD_MIN_CHARS)
            long_ones++;
        if (i > 0 && strcmp(auth_common_passwords[i - 1], auth_common_passwords[i]) >= 0) {
            fprintf(stderr, "    out of order: %s, %s\n", auth_common_passwords[i - 1],
                    auth_common_passwords[i]);
            CHECK(0);
        }
        for (const char *p = auth_common_passwords[i]; *p; p++)
            CHECK(!(*p >= 'A' && *p <= 'Z'));
    }
    CHECK(long_ones >= 200);
    /* Every long entry is refused, and the first and last (the binary search's edges). */
    for (size_t i = 0; i < auth_common_passwords_count; i++)
        if (strlen(auth_common_passwords[i]) >= AUTH_PASSWORD_MIN_CHARS)
            CHECK(auth_password_problem(auth_common_passwords[i], NULL, NULL) != NULL);
}

/* 1 if s is n characters of base64url. */
static int is_base64url(const char *s, size_t n)
{
    if (strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", s[i]))
            return 0;
    return 1;
}

static void test_tokens(void)
{
    char token[AUTH_TOKEN_CHARS + 1], other[AUTH_TOKEN_CHARS + 1];
    char hash[AUTH_TOKEN_HASH_HEX + 1], other_hash[AUTH_TOKEN_HASH_HEX + 1],
        again[AUTH_TOKEN_HASH_HEX + 1];
    auth_token_new(token, hash);
    auth_token_new(other, other_hash);
    CHECK(is_base64url(token, 43));
    CHECK_INT(strlen(hash), 64);
    CHECK(strspn(hash, "0123456789abcdef") == 64);
    CHECK(strcmp(token, other) != 0);
    CHECK(strcmp(hash, other_hash) != 0);
    CHECK_INT(auth_token_hash(token, again), 0);
    CHECK_STR(again, hash);

    /* BLAKE2b-256 of the token's text, as Python's hashlib.blake2b(digest_size=32) gives. */
    CHECK_INT(auth_token_hash("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", again), 0);
    CHECK_STR(again, "6342b384e5d6294c5df1110132b93b97b395a2ff4cca498af637b3e06b3095dd");

    /* Malformed: refused before any lookup, the output untouched. */
    static const char *const malformed[] = {
        "",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",   /* 42 */
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* 44 */
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  /* padding */
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",  /* standard base64 */
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/",
        "AAAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAA'AAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAA\xc3\x85"
        "AAAAAAAAAAAAAAAAAAAA",
    };
    for (size_t i = 0; i < ARRAY_LEN(malformed); i++) {
        strcpy(again, "untouched");
        CHECK_INT(auth_token_hash(malformed[i], again), -1);
        CHECK_STR(again, "untouched");
    }
    CHECK_INT(auth_token_hash(NULL, again), -1);
}

static void test_csrf(void)
{
    unsigned char key[32], other_key[32];
    char token[AUTH_CSRF_CHARS + 1], altered[AUTH_CSRF_CHARS + 1];
    for (int i = 0; i < 32; i++) {
        key[i] = (unsigned char)i;
        other_key[i] = (unsigned char)(i + 1);
    }
    auth_csrf_token(key, "session-hash-1", token);
    CHECK(is_base64url(token, 43));
    /* base64url(HMAC-SHA256(key, binding)), as Python's hmac module gives. */
    CHECK_STR(token, "RN3-_sfPgF9BC78873fZSV4ETUZ66fdMiXAMFMUswGg");
    CHECK_INT(auth_csrf_verify(key, "session-hash-1", token), 1);

    memcpy(altered, token, sizeof token);
    altered[10] = altered[10] == 'A' ? 'B' : 'A';
    CHECK_INT(auth_csrf_verify(key, "session-hash-1", altered), 0);
    CHECK_INT(auth_csrf_verify(key, "session-hash-2", token), 0); /* another reader's */
    CHECK_INT(auth_csrf_verify(other_key, "session-hash-1", token), 0);
    CHECK_INT(auth_csrf_verify(key, "session-hash-1", NULL), 0);
    CHECK_INT(auth_csrf_verify(key, "session-hash-1", ""), 0);
    altered[42] = '\0';
    CHECK_INT(auth_csrf_verify(key, "session-hash-1", altered), 0); /* truncated */
    char longer[AUTH_CSRF_CHARS + 2];
    snprintf(longer, sizeof longer, "%sA", token);
    CHECK_INT(auth_csrf_verify(key, "session-hash-1", longer), 0);
    auth_csrf_token(key, "", token);
    CHECK_INT(auth_csrf_verify(key, "", token), 0); /* no binding, no token */
    CHECK_INT(auth_csrf_verify(key, NULL, token), 0);
}

static void test_email_valid(void)
{
    static const struct {
        const char *email;
        int ok;
    } cases[] = {
        {"reader@example.com", 1},
        {"a@b.c", 1},
        {"first.last+news@mail.example.co.uk", 1},
        {"o'brien@example.ie", 1},
        {"j\xc3\xbcrgen@example.de", 1},        /* SMTPUTF8 */
        {"reader@b\xc3\xbc\x63her.example", 1}, /* an IDN in UTF-8 */
        {"", 0},
        {"a@", 0},
        {"@example.com", 0},
        {"reader", 0},
        {"reader@localhost", 0}, /* no dot */
        {"reader@.example.com", 0},
        {"reader@example.com.", 0},
        {"reader@example..com", 0},
        {"two@@example.com", 0},
        {"one@two@example.com", 0},
        {"with space@example.com", 0},
        {" reader@example.com", 0},
        {"reader@example.com\n", 0},
        {"tab\t@example.com", 0},
        {"<reader@example.com>", 0},
        {"\"quoted\"@example.com", 0},
        {"a,b@example.com", 0},
        {"a;b@example.com", 0},
        {"a:b@example.com", 0},
        {"a\\b@example.com", 0},
        {"a(b)@example.com", 0},
        {"a[b]@example.com", 0},
        {"del\x7f@example.com", 0},
        {"c1\xc2\x85@example.com", 0}, /* U+0085, a C1 control */
        {"bad\xff@example.com", 0},    /* not UTF-8 */
        {"reader@exa\xc3.com", 0},     /* truncated UTF-8 */
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        if (auth_email_valid(cases[i].email) != cases[i].ok) {
            fprintf(stderr, "    case %zu: [%s] want %d\n", i, cases[i].email, cases[i].ok);
            CHECK(0);
        }
    }
    CHECK_INT(auth_email_valid(NULL), 0);

    /* Lengths: local part at most 64, whole at most 254. */
    char email[300];
    memset(email, 'a', 64);
    strcpy(email + 64, "@example.com");
    CHECK_INT(auth_email_valid(email), 1);
    memset(email, 'a', 65);
    strcpy(email + 65, "@example.com");
    CHECK_INT(auth_email_valid(email), 0);
    strcpy(email, "reader@");
    size_t len = strlen(email);
    while (len < 250)
        email[len++] = 'd';
    strcpy(email + len, ".com"); /* 254 bytes */
    CHECK_INT(strlen(email), 254);
    CHECK_INT(auth_email_valid(email), 1);
    strcpy(email + len, ".coms"); /* 255 */
    CHECK_INT(auth_email_valid(email), 0);
}

static void test_email_normalize(void)
{
    struct arena *a = arena_new(0);
    CHECK_STR(auth_email_normalize(a, "  Ada.Lovelace@Example.COM \r\n"),
              "ada.lovelace@example.com");
    CHECK_STR(auth_email_normalize(a, "J\xc3\x9crgen@Example.de"), "j\xc3\x9crgen@example.de");
    CHECK_STR(auth_email_normalize(a, "   "), "");
    CHECK_STR(auth_email_normalize(a, NULL), "");
    CHECK_INT(auth_email_valid(auth_email_normalize(a, " Reader@Example.com ")), 1);
    arena_free(a);
}

void suite_auth(void)
{
    RUN(test_init);
    RUN(test_hash_and_verify);
    RUN(test_dummy_verify_costs_a_verification);
    RUN(test_concurrent_hashes_bounded);
    RUN(test_password_policy);
    RUN(test_common_list);
    RUN(test_tokens);
    RUN(test_csrf);
    RUN(test_email_valid);
    RUN(test_email_normalize);
}
