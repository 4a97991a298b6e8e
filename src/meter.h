/*
 * meter.h: the anonymous reader's meter, carried in a signed cookie. Signed-in readers are
 * metered in the database instead (store_meter_* in store.h); the decision itself is access.h's.
 *
 * The cookie holds the articles the reader has read inside the rolling period and when each was
 * first counted. The server trusts it only because it is signed: HMAC-SHA256 under a 32-byte
 * server secret (the caller takes it from store_secret(st, "meter", key), so every app node
 * shares it). The reader can see what it holds but cannot change it: any change, forgery,
 * truncation or extension makes meter_decode return METER_INVALID.
 *
 * An INVALID meter must be treated by callers as exhausted, never as fresh: otherwise tampering
 * with the cookie would be a free reset. The caller should also leave such a cookie in place
 * rather than replace it with a fresh meter (see access.h's meter_invalid). Deleting the cookie
 * does give a fresh meter; no anonymous meter can prevent that, and it is why readers who sign
 * in are metered in the database.
 *
 * Format (version 1): base64url without padding of
 *     payload = 0x01 || count × (article_id: 8 bytes big-endian, read_at: 4 bytes big-endian)
 *     cookie  = payload || HMAC-SHA256(key, payload)   (32 bytes)
 * so a full meter (METER_MAX_READS reads) is 1 + 32 × 12 + 32 = 417 bytes, 556 characters:
 * comfortably inside a cookie. read_at is unsigned 32-bit unix seconds (good until 2106).
 * Changing the format means a new version byte; cookies of another version are INVALID, so a
 * format change (or a change of the key) exhausts every anonymous meter until its reads age out.
 *
 * Memory: a struct meter is a plain value (no pointers); nothing here allocates. Thread-safe:
 * a struct meter_key is only read after meter_key_init.
 */
#ifndef BROADSHEET_METER_H
#define BROADSHEET_METER_H

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#define METER_KEY_BYTES 32
#define METER_MAX_READS 32
#define METER_VERSION 1
/* The longest cookie value meter_encode writes, without its NUL (base64url of 417 bytes). */
#define METER_COOKIE_MAX 556

enum meter_status { METER_ABSENT = 0, METER_VALID = 1, METER_INVALID = 2 };

/* The meter key, keyed once: HMAC-SHA256's inner and outer states after the padded key, which
 * every MAC starts from (a copy of them), so no request pays for the key setup. It holds the
 * secret as well as the key does: keep it where the key would be kept, and wipe it with
 * meter_key_wipe. */
struct meter_key {
    crypto_auth_hmacsha256_state keyed;
};

/* Keys k with the 32-byte secret key (which the caller may then wipe). */
void meter_key_init(struct meter_key *k, const unsigned char key[METER_KEY_BYTES]);

/* Zeroes k. */
void meter_key_wipe(struct meter_key *k);

struct meter_read {
    int64_t article_id;
    int64_t read_at; /* unix seconds when this article was counted */
};

/* The reads, oldest first (meter_add appends). */
struct meter {
    size_t count;
    struct meter_read reads[METER_MAX_READS];
};

/* Decodes and verifies the cookie value into *out (always set: empty unless METER_VALID).
 * Returns METER_ABSENT for NULL or "" (no meter yet: a fresh one), METER_VALID, or METER_INVALID
 * for anything else: bad base64url (non-canonical spellings included), a wrong length, another
 * version, more than METER_MAX_READS reads, or a MAC that does not match (compared in constant
 * time). An INVALID meter counts as exhausted (see above). */
enum meter_status meter_decode(const struct meter_key *key, const char *cookie_value,
                               struct meter *out);

/* Drops the reads counted before since (read_at < since), keeping the others in order. */
void meter_prune(struct meter *m, int64_t since);

/* 1 if article_id is among m's reads, else 0. */
int meter_has(const struct meter *m, int64_t article_id);

/* Counts a read of article_id at now. An article already in m keeps its original time (a
 * re-read inside the period costs nothing and does not extend it). When m is full, the oldest
 * read (smallest read_at) is dropped to make room. Prune before adding, so that reads of a past
 * period are not kept. */
void meter_add(struct meter *m, int64_t article_id, int64_t now);

/* Encodes and signs m into out as a NUL-terminated cookie value (base64url, safe in a cookie
 * without quoting). read_at values outside 0..2^32-1 are clamped into it. Returns the length
 * (without the NUL; at most METER_COOKIE_MAX), or 0 (out set to "" when size allows) if out is
 * smaller than the value and its NUL (METER_COOKIE_MAX + 1 is always enough) or m->count is more
 * than METER_MAX_READS. */
size_t meter_encode(const struct meter_key *key, const struct meter *m, char *out, size_t size);

#endif
