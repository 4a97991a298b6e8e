/*
 * auth.h: the cryptography of reader accounts, on libsodium: password hashing and the password
 * policy, session and link tokens, CSRF tokens, and email syntax. It keeps no state but the
 * bound on concurrent password hashes and a dummy hash; what is stored lives in store.h.
 *
 * Passwords: argon2id through crypto_pwhash_str at libsodium's INTERACTIVE limits. Each hash or
 * verification takes crypto_pwhash_MEMLIMIT_INTERACTIVE (64 MiB) and about a tenth of a second,
 * so at most auth_init's bound run at once and the rest wait their turn: a burst of log-ins
 * slows down instead of exhausting memory. A log-in for an unknown email verifies against a
 * dummy hash (auth_password_dummy_verify), so it takes as long as one for a known email.
 *
 * Tokens (sessions, verification and reset links): 32 random bytes as 43 base64url characters.
 * Only the hex of BLAKE2b-256 of the token is stored (store.h), so the database does not hold
 * anything that signs a reader in. A token is high-entropy, so a fast unsalted hash is enough.
 *
 * Policy (NIST SP 800-63B §5.1.1.2): at least 10 characters (code points), at most 256 bytes,
 * UTF-8, not among the common passwords compiled in from src/passwords_common.txt, not the
 * account's email or name; no composition rules.
 *
 * Threads: every function is thread-safe once auth_init has returned.
 */
#ifndef BROADSHEET_AUTH_H
#define BROADSHEET_AUTH_H

#include <stddef.h>

#include "arena.h"

#define AUTH_TOKEN_BYTES 32         /* 256 bits of randomness */
#define AUTH_TOKEN_CHARS 43         /* base64url of 32 bytes, no padding */
#define AUTH_TOKEN_HASH_HEX 64      /* hex of a 32-byte BLAKE2b digest */
#define AUTH_CSRF_CHARS 43          /* base64url of a 32-byte HMAC-SHA256, no padding */
#define AUTH_PASSWORD_MIN_CHARS 10  /* code points */
#define AUTH_PASSWORD_MAX_BYTES 256 /* bounds the work a hash request can ask for */
#define AUTH_HASH_BYTES 128 /* crypto_pwhash_STRBYTES (asserted in auth.c): a hash and its NUL */
#define AUTH_DEFAULT_CONCURRENT_HASHES 2

/* Initialises libsodium and makes the dummy hash (one argon2id hash: call it at start-up, not
 * on a request), and sets how many password hashes or verifications may run at once
 * (max_concurrent_hashes; 0 or less: AUTH_DEFAULT_CONCURRENT_HASHES). May be called again to
 * change the bound (which also resets auth_hashes_in_flight_max). Returns 0, or -1 if libsodium
 * cannot initialise (then nothing here may be used). */
int auth_init(int max_concurrent_hashes);

/* Hashes password into out (a NUL-terminated "$argon2id$…" string), waiting for a free hashing
 * slot first. Returns 0, or -1 if libsodium failed (out of memory). */
int auth_password_hash(const char *password, char out[AUTH_HASH_BYTES]);
/* 1 if password matches hash (a crypto_pwhash_str string), 0 if not or if hash is not a valid
 * hash string (an account without a password). Waits for a hashing slot like
 * auth_password_hash. */
int auth_password_verify(const char *hash, const char *password);
/* 1 if hash was made with other parameters than auth_password_hash uses now (or is not a valid
 * hash string), so the caller should rehash the password it just verified and store the new
 * hash; 0 if it is current. Cheap: parses the string only. */
int auth_password_needs_rehash(const char *hash);
/* Verifies password against a fixed hash made by auth_init, discarding the answer: what a
 * log-in for an unknown email does instead of auth_password_verify, so that it takes the same
 * time and the response does not reveal whether the account exists. */
void auth_password_dummy_verify(const char *password);

/* NULL if password is acceptable for the account with this email and display name (either may
 * be NULL), else a reader-facing sentence saying why not (a static string). Checks, in order:
 * UTF-8, at most AUTH_PASSWORD_MAX_BYTES bytes, at least AUTH_PASSWORD_MIN_CHARS code points, not
 * a common password (case-insensitive), not the email, its part before '@' or the display name
 * (case-insensitive). */
const char *auth_password_problem(const char *password, const char *email,
                                  const char *display_name);

/* A new random token (AUTH_TOKEN_CHARS base64url characters and a NUL) for a cookie or a link,
 * and the hex hash of it that the store keeps (64 lowercase hex digits and a NUL). */
void auth_token_new(char token[AUTH_TOKEN_CHARS + 1], char hash_hex[AUTH_TOKEN_HASH_HEX + 1]);
/* The hex hash of a token a client sent, to look it up in the store. Returns 0, or -1 (hash_hex
 * untouched) if token is not exactly AUTH_TOKEN_CHARS base64url characters: a malformed token is
 * refused without touching the database. */
int auth_token_hash(const char *token, char hash_hex[AUTH_TOKEN_HASH_HEX + 1]);

/* The CSRF token for binding under key: base64url(HMAC-SHA256(key, binding)), AUTH_CSRF_CHARS
 * characters and a NUL. binding is the session's token hash for a signed-in reader, or an
 * anonymous pre-session id from a cookie, so a token lifted from one reader's page is useless in
 * another's. key is a server secret (store_secret). */
void auth_csrf_token(const unsigned char key[32], const char *binding,
                     char out[AUTH_CSRF_CHARS + 1]);
/* 1 if token (from a form; NULL is fine) is binding's CSRF token under key, compared in
 * constant time; 0 otherwise. */
int auth_csrf_verify(const unsigned char key[32], const char *binding, const char *token);

/* 1 if email is acceptable as an account address: UTF-8, 3 to 254 bytes, exactly one '@', a
 * local part of 1 to 64 bytes, a domain with a dot (not first or last, no empty label), and no
 * space, control character or character that means something in a mail header outside quotes
 * (< > ( ) [ ] \ , ; : and the double quote). The apostrophe (o'brien@…) and non-ASCII (SMTPUTF8)
 * are allowed. Call it on the normalized address. 0 otherwise. */
int auth_email_valid(const char *email);
/* email without surrounding ASCII whitespace and with ASCII letters lowercased, from a. NULL
 * gives "". */
char *auth_email_normalize(struct arena *a, const char *email);

/* For tests: the most password hashes or verifications that ran at once since auth_init. */
int auth_hashes_in_flight_max(void);

#endif
