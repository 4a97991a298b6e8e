/*
 * auth.c: password hashing and policy, tokens, CSRF and email syntax on libsodium. See auth.h.
 *
 * The hashing bound is a counting semaphore made of a mutex and a condition variable (rather
 * than sem_t) so that auth_init can change the bound at run time and tests can read the most
 * that ever ran at once. A waiting request holds no memory beyond its thread's stack; the
 * 64 MiB of an argon2id computation is only allocated once it holds a slot.
 */
#include "auth.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

_Static_assert(AUTH_HASH_BYTES == crypto_pwhash_STRBYTES, "AUTH_HASH_BYTES must match libsodium");
_Static_assert(AUTH_TOKEN_CHARS + 1 ==
                   sodium_base64_ENCODED_LEN(AUTH_TOKEN_BYTES,
                                             sodium_base64_VARIANT_URLSAFE_NO_PADDING),
               "a token is 43 base64url characters");
_Static_assert(AUTH_CSRF_CHARS + 1 ==
                   sodium_base64_ENCODED_LEN(crypto_auth_hmacsha256_BYTES,
                                             sodium_base64_VARIANT_URLSAFE_NO_PADDING),
               "a CSRF token is 43 base64url characters");
_Static_assert(crypto_auth_hmacsha256_KEYBYTES == 32, "the CSRF key is 32 bytes");

/* The common-password list, generated from src/passwords_common.txt by scripts/embed-passwords:
 * lowercase, unique, sorted by strcmp. */
extern const char *const auth_common_passwords[];
extern const size_t auth_common_passwords_count;

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_ready; /* 1 once sodium_init succeeded */

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[AUTH_HASH_BYTES]; /* "" if it could not be made */

static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slots_freed = PTHREAD_COND_INITIALIZER;
static int slots_limit = AUTH_DEFAULT_CONCURRENT_HASHES; /* hashes allowed at once */
static int slots_in_use;                                 /* hashes running now */
static int slots_in_use_max;                             /* the most seen (for tests) */

/* pthread_once routine: libsodium must be initialised before any other call into it. */
static void sodium_setup(void)
{
    sodium_ready = sodium_init() >= 0;
}

/* pthread_once routine: hashes a random password, whose only use is to be verified against by
 * auth_password_dummy_verify with the same cost as a real account's hash. */
static void dummy_setup(void)
{
    unsigned char random[16];
    char password[sizeof random * 2 + 1];
    randombytes_buf(random, sizeof random);
    sodium_bin2hex(password, sizeof password, random, sizeof random);
    if (crypto_pwhash_str(dummy_hash, password, strlen(password),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        fprintf(stderr, "broadsheet: auth: cannot make the dummy password hash (out of memory)\n");
        dummy_hash[0] = '\0';
    }
    sodium_memzero(password, sizeof password);
}

/* Waits until fewer than slots_limit hashes run, then takes a slot. */
static void slot_acquire(void)
{
    pthread_mutex_lock(&slots_lock);
    while (slots_in_use >= slots_limit)
        pthread_cond_wait(&slots_freed, &slots_lock);
    slots_in_use++;
    if (slots_in_use > slots_in_use_max)
        slots_in_use_max = slots_in_use;
    pthread_mutex_unlock(&slots_lock);
}

/* Gives a slot back and wakes one waiter. */
static void slot_release(void)
{
    pthread_mutex_lock(&slots_lock);
    slots_in_use--;
    pthread_cond_signal(&slots_freed);
    pthread_mutex_unlock(&slots_lock);
}

int auth_init(int max_concurrent_hashes)
{
    pthread_once(&sodium_once, sodium_setup);
    if (!sodium_ready) {
        fprintf(stderr, "broadsheet: auth: libsodium cannot initialise\n");
        return -1;
    }
    pthread_mutex_lock(&slots_lock);
    slots_limit =
        max_concurrent_hashes > 0 ? max_concurrent_hashes : AUTH_DEFAULT_CONCURRENT_HASHES;
    slots_in_use_max = slots_in_use;
    pthread_cond_broadcast(&slots_freed); /* a larger bound frees several waiters at once */
    pthread_mutex_unlock(&slots_lock);
    pthread_once(&dummy_once, dummy_setup);
    return 0;
}

int auth_hashes_in_flight_max(void)
{
    pthread_mutex_lock(&slots_lock);
    int most = slots_in_use_max;
    pthread_mutex_unlock(&slots_lock);
    return most;
}

int auth_password_hash(const char *password, char out[AUTH_HASH_BYTES])
{
    if (!password)
        password = "";
    slot_acquire();
    int rc = crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                               crypto_pwhash_MEMLIMIT_INTERACTIVE);
    slot_release();
    if (rc != 0) {
        fprintf(stderr, "broadsheet: auth: password hashing failed (out of memory)\n");
        return -1;
    }
    return 0;
}

/* 1 if hash looks like one of crypto_pwhash_str's strings (an argon2 hash). An account created
 * without a password has "" here, and verifying against "" would answer at once. */
static int hash_usable(const char *hash)
{
    return hash && strncmp(hash, "$argon2", 7) == 0 && strlen(hash) < AUTH_HASH_BYTES;
}

/* Runs one argon2 verification of password against hash inside a hashing slot. 1 on a match. */
static int verify_in_slot(const char *hash, const char *password)
{
    slot_acquire();
    int match = crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
    slot_release();
    return match;
}

int auth_password_verify(const char *hash, const char *password)
{
    if (!password)
        password = "";
    if (!hash_usable(hash)) {
        /* Spend the time a real verification takes, so an account without a password does not
         * answer faster than one with. */
        auth_password_dummy_verify(password);
        return 0;
    }
    return verify_in_slot(hash, password);
}

int auth_password_needs_rehash(const char *hash)
{
    if (!hash_usable(hash))
        return 1;
    return crypto_pwhash_str_needs_rehash(hash, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0;
}

void auth_password_dummy_verify(const char *password)
{
    pthread_once(&dummy_once, dummy_setup);
    if (dummy_hash[0])
        (void)verify_in_slot(dummy_hash, password ? password : "");
}

/* qsort/bsearch comparison of two C strings held by pointer. */
static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* 1 if password, lowercased (ASCII), is in the common list. password is at most
 * AUTH_PASSWORD_MAX_BYTES long. */
static int password_is_common(const char *password)
{
    char lower[AUTH_PASSWORD_MAX_BYTES + 1];
    size_t i;
    for (i = 0; password[i] && i < AUTH_PASSWORD_MAX_BYTES; i++) {
        char c = password[i];
        lower[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    lower[i] = '\0';
    const char *key = lower;
    int found = bsearch(&key, auth_common_passwords, auth_common_passwords_count,
                        sizeof auth_common_passwords[0], compare_strings) != NULL;
    sodium_memzero(lower, sizeof lower);
    return found;
}

/* Code points in the valid UTF-8 string s: every byte that is not a continuation byte. */
static size_t utf8_code_points(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80)
            n++;
    return n;
}

const char *auth_password_problem(const char *password, const char *email, const char *display_name)
{
    if (!password)
        password = "";
    size_t len = strlen(password);
    if (!util_utf8_valid(password, len))
        return "That password contains characters that could not be read. Please type it again.";
    if (len > AUTH_PASSWORD_MAX_BYTES)
        return "That password is too long. Please use at most 256 characters (fewer if it has "
               "accented letters or other scripts).";
    if (utf8_code_points(password) < AUTH_PASSWORD_MIN_CHARS)
        return "Please use a password of at least 10 characters.";
    if (password_is_common(password))
        return "That password is one of the most commonly used, so it is easy to guess. Please "
               "choose another.";
    if (email && *email) {
        const char *at = strchr(email, '@');
        size_t local = at ? (size_t)(at - email) : 0;
        if (strcasecmp(password, email) == 0 ||
            (local && len == local && strncasecmp(password, email, local) == 0))
            return "Please don't use your email address as your password.";
    }
    if (display_name && *display_name && strcasecmp(password, display_name) == 0)
        return "Please don't use your name as your password.";
    return NULL;
}

/* hash_hex = hex BLAKE2b-256 of the len bytes of token. */
static void token_digest(const char *token, size_t len, char hash_hex[AUTH_TOKEN_HASH_HEX + 1])
{
    unsigned char digest[AUTH_TOKEN_HASH_HEX / 2];
    crypto_generichash(digest, sizeof digest, (const unsigned char *)token, len, NULL, 0);
    sodium_bin2hex(hash_hex, AUTH_TOKEN_HASH_HEX + 1, digest, sizeof digest);
}

void auth_token_new(char token[AUTH_TOKEN_CHARS + 1], char hash_hex[AUTH_TOKEN_HASH_HEX + 1])
{
    unsigned char random[AUTH_TOKEN_BYTES];
    pthread_once(&sodium_once, sodium_setup);
    randombytes_buf(random, sizeof random);
    sodium_bin2base64(token, AUTH_TOKEN_CHARS + 1, random, sizeof random,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(random, sizeof random);
    token_digest(token, AUTH_TOKEN_CHARS, hash_hex);
}

/* 1 if c is in the base64url alphabet (A-Z a-z 0-9 - _). */
static int base64url_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

int auth_token_hash(const char *token, char hash_hex[AUTH_TOKEN_HASH_HEX + 1])
{
    if (!token || strnlen(token, AUTH_TOKEN_CHARS + 1) != AUTH_TOKEN_CHARS)
        return -1;
    for (size_t i = 0; i < AUTH_TOKEN_CHARS; i++)
        if (!base64url_char(token[i]))
            return -1;
    token_digest(token, AUTH_TOKEN_CHARS, hash_hex);
    return 0;
}

void auth_csrf_token(const unsigned char key[32], const char *binding,
                     char out[AUTH_CSRF_CHARS + 1])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    if (!binding)
        binding = "";
    crypto_auth_hmacsha256(mac, (const unsigned char *)binding, strlen(binding), key);
    sodium_bin2base64(out, AUTH_CSRF_CHARS + 1, mac, sizeof mac,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(mac, sizeof mac);
}

int auth_csrf_verify(const unsigned char key[32], const char *binding, const char *token)
{
    char expected[AUTH_CSRF_CHARS + 1];
    /* The length is no secret (every token has it), so checking it first leaks nothing. An
     * empty binding would give every reader without one the same token: refuse it. */
    if (!token || !binding || !*binding || strnlen(token, AUTH_CSRF_CHARS + 1) != AUTH_CSRF_CHARS)
        return 0;
    auth_csrf_token(key, binding, expected);
    int match = sodium_memcmp(expected, token, AUTH_CSRF_CHARS) == 0;
    sodium_memzero(expected, sizeof expected);
    return match;
}

/* 1 if the domain part d (len bytes) has a dot, none first or last and no empty label. */
static int domain_valid(const char *d, size_t len)
{
    if (len == 0 || d[0] == '.' || d[len - 1] == '.' || !memchr(d, '.', len))
        return 0;
    for (size_t i = 1; i < len; i++)
        if (d[i] == '.' && d[i - 1] == '.')
            return 0;
    return 1;
}

int auth_email_valid(const char *email)
{
    if (!email)
        return 0;
    size_t len = strlen(email);
    if (len < 3 || len > 254 || !util_utf8_valid(email, len))
        return 0;
    const char *at = strchr(email, '@');
    if (!at || strchr(at + 1, '@'))
        return 0;
    size_t local = (size_t)(at - email);
    if (local == 0 || local > 64)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)email[i];
        if (c <= 0x20 || c == 0x7F || strchr("<>()[]\\,;:\"", c))
            return 0;
        /* C1 controls (U+0080..U+009F) are C2 80..C2 9F in UTF-8. */
        if (c == 0xC2 && i + 1 < len && (unsigned char)email[i + 1] <= 0x9F)
            return 0;
    }
    return domain_valid(at + 1, len - local - 1);
}

char *auth_email_normalize(struct arena *a, const char *email)
{
    static const char space[] = " \t\r\n\f\v";
    if (!email)
        email = "";
    while (*email && strchr(space, *email))
        email++;
    size_t len = strlen(email);
    while (len && strchr(space, email[len - 1]))
        len--;
    char *out = arena_strndup(a, email, len);
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return out;
}
