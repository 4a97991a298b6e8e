/*
 * partner.h: contract publishing's partners (issue 13): their API keys, and the default content
 * of a new partner's product. The partners themselves are kept by the store (store.h,
 * "Partners"); this module knows nothing of the database.
 *
 * A key is "bsk_" and 32 random bytes (libsodium's randombytes_buf) in base64url without
 * padding: 47 characters. The database keeps only the hex of its BLAKE2b-256 hash
 * (crypto_generichash): a fast hash is right for a random 256-bit secret, which no one can
 * guess or search for, while argon2id's slowness is for passwords people choose (from a small
 * space a slow hash makes expensive to search). A fast hash also lets the API find a partner by
 * its key in one indexed lookup on every request. The key's first 8 characters (the prefix,
 * "bsk_" and 4 more) are kept in clear to tell keys apart in lists and logs.
 */
#ifndef BROADSHEET_PARTNER_H
#define BROADSHEET_PARTNER_H

#include <stddef.h>

#include "store.h"

#define PARTNER_KEY_PREFIX "bsk_"
#define PARTNER_KEY_RANDOM_BYTES 32
#define PARTNER_KEY_LEN 47      /* "bsk_" and 43 base64url characters */
#define PARTNER_KEY_HASH_LEN 64 /* hex of 32 bytes */
#define PARTNER_KEY_SHOWN_LEN 8 /* the prefix kept in clear */

/* Makes a new random key into key (PARTNER_KEY_LEN + 1 bytes, NUL-terminated). The caller
 * prints it once and forgets it. Returns 0, or -1 when libsodium cannot be initialised. */
int partner_key_new(char key[PARTNER_KEY_LEN + 1]);

/* 1 if key has a key's shape (the prefix, then 43 base64url characters), else 0: what anything
 * else is can be refused without a lookup. */
int partner_key_valid(const char *key);

/* Writes the hex of key's BLAKE2b-256 hash (what the database keeps) into hash, and its first
 * PARTNER_KEY_SHOWN_LEN characters into prefix (both NUL-terminated). key must be valid
 * (partner_key_valid). Returns 0, or -1 for a key that is not. */
int partner_key_digest(const char *key, char hash[PARTNER_KEY_HASH_LEN + 1],
                       char prefix[PARTNER_KEY_SHOWN_LEN + 1]);

/* The content a new partner named name gets when the operator does not say (`partner add`
 * without --content): "full" when every one of the n publications of its product (n >= 1) is
 * produced for this partner (its partner field equals name, ignoring ASCII case, or its
 * partner_short does: the publication's own contract partner), else "preview" (a licensee,
 * for teasers unless told otherwise). Returns a static string. */
const char *partner_default_content(const char *name, const struct publication *publications,
                                    size_t n);

#endif
