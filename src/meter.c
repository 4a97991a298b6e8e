/*
 * meter.c: the anonymous meter cookie: its fixed binary layout, its HMAC and its base64url
 * text. See meter.h for the format and the rules callers must keep.
 *
 * Verification order: the text is bounded, checked against the base64url alphabet and decoded
 * first (libsodium refuses a length no encoding can have and non-zero padding bits, so each byte
 * string has exactly one accepted spelling), then the MAC is checked over everything
 * before it, and only a payload whose MAC matches is parsed. Nothing of an unverified cookie is
 * used, so parsing never sees attacker-chosen bytes.
 *
 * HMAC-SHA256 and the base64 functions need no sodium_init (they use no random numbers and no
 * CPU dispatch), so this file works before auth_init; libsodium is initialised at start anyway.
 */
#include "meter.h"

#include <sodium.h>
#include <string.h>

#define READ_BYTES 12 /* article_id (8) + read_at (4) */
#define MAC_BYTES crypto_auth_hmacsha256_BYTES
#define PAYLOAD_MAX (1 + METER_MAX_READS * READ_BYTES)
#define COOKIE_BYTES_MAX (PAYLOAD_MAX + MAC_BYTES)

_Static_assert(crypto_auth_hmacsha256_KEYBYTES == METER_KEY_BYTES, "the meter key is 32 bytes");
_Static_assert(MAC_BYTES == 32, "HMAC-SHA256 is 32 bytes");
_Static_assert(sodium_base64_ENCODED_LEN(COOKIE_BYTES_MAX,
                                         sodium_base64_VARIANT_URLSAFE_NO_PADDING) ==
                   METER_COOKIE_MAX + 1,
               "METER_COOKIE_MAX is the longest cookie");

/* HMAC-SHA256 of data[0..len) under key into mac. */
static void sign(const unsigned char key[METER_KEY_BYTES], const unsigned char *data, size_t len,
                 unsigned char mac[MAC_BYTES])
{
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, key, METER_KEY_BYTES);
    crypto_auth_hmacsha256_update(&state, data, len);
    crypto_auth_hmacsha256_final(&state, mac);
    sodium_memzero(&state, sizeof state);
}

/* Writes value as n bytes big-endian at p. */
static void put_be(unsigned char *p, uint64_t value, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (unsigned char)(value & 0xff);
        value >>= 8;
    }
}

/* Reads n bytes big-endian at p. */
static uint64_t get_be(const unsigned char *p, int n)
{
    uint64_t value = 0;
    for (int i = 0; i < n; i++)
        value = (value << 8) | p[i];
    return value;
}

/* 1 if c is in the base64url alphabet (A-Z a-z 0-9 - _). */
static int base64url_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

enum meter_status meter_decode(const unsigned char key[METER_KEY_BYTES], const char *cookie_value,
                               struct meter *out)
{
    unsigned char bytes[COOKIE_BYTES_MAX], mac[MAC_BYTES];
    size_t len = 0;
    enum meter_status status = METER_INVALID;

    out->count = 0;
    if (!cookie_value || !*cookie_value)
        return METER_ABSENT;
    /* Longer than any cookie we write: refuse before decoding (also bounds the work). */
    if (strnlen(cookie_value, METER_COOKIE_MAX + 1) > METER_COOKIE_MAX)
        return METER_INVALID;
    /* libsodium 1.0.18's decoder accepts every byte from 0x80 up as some base64 digit (it reads
     * them as negative chars), so a changed cookie could decode to the same bytes and verify:
     * check the alphabet first. */
    for (const char *p = cookie_value; *p; p++)
        if (!base64url_char(*p))
            return METER_INVALID;
    /* ignore = NULL and b64_end = NULL: every character must be part of the encoding. */
    if (sodium_base642bin(bytes, sizeof bytes, cookie_value, strlen(cookie_value), NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        goto out;
    if (len < 1 + MAC_BYTES)
        goto out;
    size_t payload_len = len - MAC_BYTES;
    sign(key, bytes, payload_len, mac);
    if (sodium_memcmp(mac, bytes + payload_len, MAC_BYTES) != 0)
        goto out;
    /* Authentic from here on: only our encoder makes these bytes, but check the layout anyway
     * (an old version, or a bug) rather than read past what it holds. */
    if (bytes[0] != METER_VERSION || (payload_len - 1) % READ_BYTES != 0 ||
        (payload_len - 1) / READ_BYTES > METER_MAX_READS)
        goto out;
    size_t count = (payload_len - 1) / READ_BYTES;
    for (size_t i = 0; i < count; i++) {
        const unsigned char *p = bytes + 1 + i * READ_BYTES;
        out->reads[i].article_id = (int64_t)get_be(p, 8);
        out->reads[i].read_at = (int64_t)get_be(p + 8, 4);
    }
    out->count = count;
    status = METER_VALID;
out:
    sodium_memzero(mac, sizeof mac);
    return status;
}

void meter_prune(struct meter *m, int64_t since)
{
    size_t kept = 0;
    for (size_t i = 0; i < m->count && i < METER_MAX_READS; i++)
        if (m->reads[i].read_at >= since)
            m->reads[kept++] = m->reads[i];
    m->count = kept;
}

int meter_has(const struct meter *m, int64_t article_id)
{
    for (size_t i = 0; i < m->count && i < METER_MAX_READS; i++)
        if (m->reads[i].article_id == article_id)
            return 1;
    return 0;
}

void meter_add(struct meter *m, int64_t article_id, int64_t now)
{
    if (m->count > METER_MAX_READS) /* never from meter_decode; keep the array in bounds */
        m->count = METER_MAX_READS;
    if (meter_has(m, article_id))
        return;
    if (m->count == METER_MAX_READS) {
        size_t oldest = 0;
        for (size_t i = 1; i < m->count; i++)
            if (m->reads[i].read_at < m->reads[oldest].read_at)
                oldest = i;
        memmove(&m->reads[oldest], &m->reads[oldest + 1],
                (m->count - oldest - 1) * sizeof m->reads[0]);
        m->count--;
    }
    m->reads[m->count].article_id = article_id;
    m->reads[m->count].read_at = now;
    m->count++;
}

size_t meter_encode(const unsigned char key[METER_KEY_BYTES], const struct meter *m, char *out,
                    size_t size)
{
    unsigned char bytes[COOKIE_BYTES_MAX];
    if (size)
        out[0] = '\0';
    if (m->count > METER_MAX_READS)
        return 0;
    size_t payload_len = 1 + m->count * READ_BYTES;
    size_t text_size = sodium_base64_ENCODED_LEN(payload_len + MAC_BYTES,
                                                 sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    if (size < text_size)
        return 0;
    bytes[0] = METER_VERSION;
    for (size_t i = 0; i < m->count; i++) {
        unsigned char *p = bytes + 1 + i * READ_BYTES;
        int64_t at = m->reads[i].read_at;
        uint32_t at32 = at < 0 ? 0 : at > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)at;
        put_be(p, (uint64_t)m->reads[i].article_id, 8);
        put_be(p + 8, at32, 4);
    }
    sign(key, bytes, payload_len, bytes + payload_len);
    sodium_bin2base64(out, size, bytes, payload_len + MAC_BYTES,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return text_size - 1;
}
