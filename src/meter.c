/*
 * meter.c: the anonymous meter cookie: its fixed binary layout, its HMAC and its base64url
 * text. See meter.h for the format and the rules callers must keep.
 *
 * Verification order: the text is bounded and decoded first (base64url_decode refuses any
 * character outside the alphabet, a length no encoding can have and non-zero padding bits, so
 * each byte string has exactly one accepted spelling), then the MAC is checked over everything
 * before it, in constant time, and only a payload whose MAC matches is parsed. Nothing of an
 * unverified cookie is used, so parsing never sees attacker-chosen bytes.
 *
 * Cost: every anonymous read of a metered article decodes and verifies a cookie, so the two steps
 * that used to dominate it are done differently. The HMAC's key setup (hashing the key padded
 * with ipad and opad: two SHA-256 compressions, as many as the message itself) is done once, in
 * meter_key_init, and each MAC starts from a copy of that keyed state. The base64url decoder is a
 * plain table lookup: the cookie is not secret (the reader holds it, and the MAC is what protects
 * it), so libsodium's constant-time decoder bought nothing here and cost a tenth of the request.
 *
 * HMAC-SHA256 needs no sodium_init (it uses no random numbers and no CPU dispatch), so this file
 * works before auth_init; libsodium is initialised at start anyway.
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

void meter_key_init(struct meter_key *k, const unsigned char key[METER_KEY_BYTES])
{
    crypto_auth_hmacsha256_init(&k->keyed, key, METER_KEY_BYTES);
}

void meter_key_wipe(struct meter_key *k)
{
    sodium_memzero(k, sizeof *k);
}

/* HMAC-SHA256 of data[0..len) under k into mac, from a copy of k's keyed state (the state is
 * plain data: two SHA-256 states, no pointers). */
static void sign(const struct meter_key *k, const unsigned char *data, size_t len,
                 unsigned char mac[MAC_BYTES])
{
    crypto_auth_hmacsha256_state state = k->keyed;
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

/* One more than each byte's base64url digit value (A-Z a-z 0-9 - _), 0 for a byte outside the
 * alphabet (bytes from 0x80 up included: it is indexed by unsigned char). */
static const unsigned char base64url_table[256] = {
    /* clang-format off */
    ['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
    ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
    ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
    ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
    ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
    ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
    ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
    ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['-'] = 63, ['_'] = 64,
    /* clang-format on */
};

/* c's base64url digit value, or -1 when c is not in the alphabet. */
static int digit(unsigned char c)
{
    return base64url_table[c] - 1;
}

/* Decodes text[0..len) (base64url without padding) into out, which holds size bytes; the decoded
 * length in *out_len. Returns 0, or -1 for a character outside the alphabet, a length no encoding
 * has (len % 4 == 1), non-zero bits after the last byte (so each byte string has exactly one
 * accepted spelling, as meter.h promises), or more bytes than size. Not constant-time: the cookie
 * is not secret (its reader holds it); what protects it is the MAC. */
static int base64url_decode(const char *text, size_t len, unsigned char *out, size_t size,
                            size_t *out_len)
{
    if (len % 4 == 1 || len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0) > size)
        return -1;
    const unsigned char *in = (const unsigned char *)text;
    size_t n = 0, i = 0;
    for (; i + 4 <= len; i += 4) {
        int a = digit(in[i]), b = digit(in[i + 1]), c = digit(in[i + 2]), d = digit(in[i + 3]);
        if ((a | b | c | d) < 0)
            return -1;
        uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
        out[n++] = (unsigned char)(v >> 16);
        out[n++] = (unsigned char)(v >> 8);
        out[n++] = (unsigned char)v;
    }
    if (len - i == 2) { /* one byte: 6 + 2 bits, the last digit's low 4 bits must be 0 */
        int a = digit(in[i]), b = digit(in[i + 1]);
        if ((a | b) < 0 || (b & 0x0f))
            return -1;
        out[n++] = (unsigned char)(a << 2 | b >> 4);
    } else if (len - i == 3) { /* two bytes: the last digit's low 2 bits must be 0 */
        int a = digit(in[i]), b = digit(in[i + 1]), c = digit(in[i + 2]);
        if ((a | b | c) < 0 || (c & 0x03))
            return -1;
        uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6;
        out[n++] = (unsigned char)(v >> 16);
        out[n++] = (unsigned char)(v >> 8);
    }
    *out_len = n;
    return 0;
}

enum meter_status meter_decode(const struct meter_key *key, const char *cookie_value,
                               struct meter *out)
{
    unsigned char bytes[COOKIE_BYTES_MAX], mac[MAC_BYTES];
    size_t len = 0;
    enum meter_status status = METER_INVALID;

    out->count = 0;
    if (!cookie_value || !*cookie_value)
        return METER_ABSENT;
    /* Longer than any cookie we write: refuse before decoding (also bounds the work). */
    size_t text_len = strnlen(cookie_value, METER_COOKIE_MAX + 1);
    if (text_len > METER_COOKIE_MAX)
        return METER_INVALID;
    if (base64url_decode(cookie_value, text_len, bytes, sizeof bytes, &len) != 0)
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

size_t meter_encode(const struct meter_key *key, const struct meter *m, char *out, size_t size)
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
