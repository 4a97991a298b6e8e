/*
 * test_meter.c: tests of meter.h, the anonymous meter cookie: a round trip; every single-byte
 * change (to any byte value), every truncation, an extension, another key, another version and bad
 * base64url all give METER_INVALID; no cookie gives METER_ABSENT; pruning to the period; re-reads;
 * a full meter drops its oldest read; and a full meter's cookie stays small.
 */
#include <sodium.h>
#include <stdint.h>

#include "check.h"
#include "meter.h"
#include "util.h"

static const unsigned char key_bytes[METER_KEY_BYTES] = "0123456789abcdef0123456789abcdef";
static const unsigned char other_key_bytes[METER_KEY_BYTES] = "0123456789abcdef0123456789abcdeF";
static struct meter_key key, other_key; /* keyed in suite_meter */

#define NOW INT64_C(1767225600) /* 2026-01-01 */
#define DAY 86400

/* A meter of n reads of articles 100, 101… a day apart, the last at NOW. */
static struct meter meter_of(size_t n)
{
    struct meter m = {0};
    for (size_t i = 0; i < n; i++)
        meter_add(&m, 100 + (int64_t)i, NOW - (int64_t)(n - 1 - i) * DAY);
    return m;
}

static void test_round_trip(void)
{
    char cookie[METER_COOKIE_MAX + 1];
    struct meter m = meter_of(3), back;
    size_t len = meter_encode(&key, &m, cookie, sizeof cookie);
    CHECK(len > 0);
    CHECK_INT(len, strlen(cookie));
    for (size_t i = 0; i < len; i++) /* base64url: safe in a cookie without quoting */
        CHECK(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                     cookie[i]) != NULL);
    CHECK_INT(meter_decode(&key, cookie, &back), METER_VALID);
    CHECK_INT(back.count, 3);
    for (size_t i = 0; i < 3 && i < back.count; i++) {
        CHECK_INT(back.reads[i].article_id, m.reads[i].article_id);
        CHECK_INT(back.reads[i].read_at, m.reads[i].read_at);
    }

    /* An empty meter is valid too (a reader who read only free articles). */
    struct meter empty = {0};
    len = meter_encode(&key, &empty, cookie, sizeof cookie);
    CHECK(len > 0);
    back.count = 7;
    CHECK_INT(meter_decode(&key, cookie, &back), METER_VALID);
    CHECK_INT(back.count, 0);

    /* Large ids survive. */
    struct meter big = {0};
    meter_add(&big, INT64_MAX, NOW);
    meter_add(&big, 1, 0);
    CHECK(meter_encode(&key, &big, cookie, sizeof cookie) > 0);
    CHECK_INT(meter_decode(&key, cookie, &back), METER_VALID);
    CHECK_INT(back.count, 2);
    CHECK_INT(back.reads[0].article_id, INT64_MAX);
    CHECK_INT(back.reads[0].read_at, NOW);
    CHECK_INT(back.reads[1].read_at, 0);
}

static void test_absent(void)
{
    struct meter m = meter_of(2);
    CHECK_INT(meter_decode(&key, NULL, &m), METER_ABSENT);
    CHECK_INT(m.count, 0);
    m = meter_of(2);
    CHECK_INT(meter_decode(&key, "", &m), METER_ABSENT);
    CHECK_INT(m.count, 0);
}

static void test_every_byte_change_is_invalid(void)
{
    char cookie[METER_COOKIE_MAX + 1], changed[METER_COOKIE_MAX + 1];
    struct meter m = meter_of(3), back;
    size_t len = meter_encode(&key, &m, cookie, sizeof cookie);
    int accepted = 0;
    for (size_t i = 0; i < len; i++) {
        for (int c = 1; c < 256; c++) { /* every byte value but NUL (that is a truncation) */
            if ((char)c == cookie[i])
                continue;
            memcpy(changed, cookie, len + 1);
            changed[i] = (char)c;
            back.count = 5;
            if (meter_decode(&key, changed, &back) != METER_INVALID || back.count != 0) {
                if (!accepted++)
                    fprintf(stderr, "    accepted a change at %zu to byte 0x%02x\n", i, c);
            }
        }
    }
    CHECK_INT(accepted, 0);
}

static void test_truncation_and_extension_are_invalid(void)
{
    char cookie[METER_COOKIE_MAX + 1], cut[METER_COOKIE_MAX + 8];
    struct meter m = meter_of(4), back;
    size_t len = meter_encode(&key, &m, cookie, sizeof cookie);
    int accepted = 0;
    for (size_t n = 1; n < len; n++) { /* n = 0 is "": absent */
        memcpy(cut, cookie, n);
        cut[n] = '\0';
        if (meter_decode(&key, cut, &back) != METER_INVALID && !accepted++)
            fprintf(stderr, "    accepted a cookie cut to %zu characters\n", n);
        /* The tail alone is no better. */
        if (meter_decode(&key, cookie + n, &back) != METER_INVALID && !accepted++)
            fprintf(stderr, "    accepted the cookie's last %zu characters\n", len - n);
    }
    CHECK_INT(accepted, 0);
    /* Extended by a character or a whole encoded block. */
    snprintf(cut, sizeof cut, "%sA", cookie);
    CHECK_INT(meter_decode(&key, cut, &back), METER_INVALID);
    snprintf(cut, sizeof cut, "%sAAAA", cookie);
    CHECK_INT(meter_decode(&key, cut, &back), METER_INVALID);
    /* Far too long. */
    char huge[2000];
    memset(huge, 'A', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    CHECK_INT(meter_decode(&key, huge, &back), METER_INVALID);
}

/* Base64url of raw bytes, as a cookie value. */
static void encode_raw(const unsigned char *bytes, size_t len, char *out, size_t size)
{
    sodium_bin2base64(out, size, bytes, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void test_forgeries_are_invalid(void)
{
    char cookie[METER_COOKIE_MAX + 1], forged[METER_COOKIE_MAX + 64];
    unsigned char raw[600];
    struct meter m = meter_of(3), back;

    /* Signed under another key. */
    CHECK(meter_encode(&other_key, &m, cookie, sizeof cookie) > 0);
    CHECK_INT(meter_decode(&key, cookie, &back), METER_INVALID);
    CHECK_INT(back.count, 0);

    /* A well-formed payload with a zero MAC, or a MAC of the wrong key over it. */
    memset(raw, 0, sizeof raw);
    raw[0] = METER_VERSION;
    encode_raw(raw, 1 + 32, forged, sizeof forged);
    CHECK_INT(meter_decode(&key, forged, &back), METER_INVALID);

    /* Another version, correctly signed: refused. */
    unsigned char payload[1 + 12];
    memset(payload, 0, sizeof payload);
    payload[0] = 2;
    memcpy(raw, payload, sizeof payload);
    crypto_auth_hmacsha256(raw + sizeof payload, payload, sizeof payload, key_bytes);
    encode_raw(raw, sizeof payload + 32, forged, sizeof forged);
    CHECK_INT(meter_decode(&key, forged, &back), METER_INVALID);
    /* The same with version 1 is accepted: the test builds cookies the way the encoder does. */
    payload[0] = METER_VERSION;
    memcpy(raw, payload, sizeof payload);
    crypto_auth_hmacsha256(raw + sizeof payload, payload, sizeof payload, key_bytes);
    encode_raw(raw, sizeof payload + 32, forged, sizeof forged);
    CHECK_INT(meter_decode(&key, forged, &back), METER_VALID);
    CHECK_INT(back.count, 1);

    /* A correctly signed payload of a length no meter has. */
    unsigned char odd[1 + 5] = {METER_VERSION, 1, 2, 3, 4, 5};
    memcpy(raw, odd, sizeof odd);
    crypto_auth_hmacsha256(raw + sizeof odd, odd, sizeof odd, key_bytes);
    encode_raw(raw, sizeof odd + 32, forged, sizeof forged);
    CHECK_INT(meter_decode(&key, forged, &back), METER_INVALID);

    /* Only the MAC (an empty payload). */
    crypto_auth_hmacsha256(raw, raw, 0, key_bytes);
    encode_raw(raw, 32, forged, sizeof forged);
    CHECK_INT(meter_decode(&key, forged, &back), METER_INVALID);

    /* Not base64url at all; standard base64 and padding; spaces. */
    static const char *const junk[] = {"not a cookie", "!!!!",  "AAAA====", "a+b/", "=",
                                       " AAAA",        "AAAA ", "%41%41"};
    for (size_t i = 0; i < ARRAY_LEN(junk); i++)
        CHECK_INT(meter_decode(&key, junk[i], &back), METER_INVALID);
    /* The real cookie with standard-alphabet characters swapped in. */
    CHECK(meter_encode(&key, &m, cookie, sizeof cookie) > 0);
    for (char *p = cookie; *p; p++)
        *p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
    if (strpbrk(cookie, "+/"))
        CHECK_INT(meter_decode(&key, cookie, &back), METER_INVALID);
}

static void test_prune_has_add(void)
{
    struct meter m = meter_of(5); /* articles 100..104, read NOW-4d .. NOW */
    CHECK_INT(m.count, 5);
    CHECK(meter_has(&m, 100));
    CHECK(meter_has(&m, 104));
    CHECK(!meter_has(&m, 105));

    meter_prune(&m, NOW - 2 * DAY); /* keeps reads at or after the boundary */
    CHECK_INT(m.count, 3);
    CHECK(!meter_has(&m, 101));
    CHECK(meter_has(&m, 102));
    CHECK_INT(m.reads[0].article_id, 102);
    CHECK_INT(m.reads[0].read_at, NOW - 2 * DAY);
    CHECK_INT(m.reads[2].article_id, 104);

    /* A re-read keeps its original time and adds nothing. */
    meter_add(&m, 102, NOW + 5);
    CHECK_INT(m.count, 3);
    CHECK_INT(m.reads[0].read_at, NOW - 2 * DAY);
    /* A new read is appended. */
    meter_add(&m, 200, NOW + 5);
    CHECK_INT(m.count, 4);
    CHECK_INT(m.reads[3].article_id, 200);
    CHECK_INT(m.reads[3].read_at, NOW + 5);

    meter_prune(&m, NOW + 100);
    CHECK_INT(m.count, 0);
    CHECK(!meter_has(&m, 200));
}

static void test_full_meter_drops_oldest(void)
{
    struct meter m = meter_of(METER_MAX_READS); /* 100.. read oldest first */
    CHECK_INT(m.count, METER_MAX_READS);
    meter_add(&m, 999, NOW + 1);
    CHECK_INT(m.count, METER_MAX_READS);
    CHECK(!meter_has(&m, 100)); /* the oldest went */
    CHECK(meter_has(&m, 101));
    CHECK(meter_has(&m, 999));
    CHECK_INT(m.reads[METER_MAX_READS - 1].article_id, 999);

    /* The oldest by time, wherever it sits. */
    struct meter shuffled = {0};
    for (int i = 0; i < METER_MAX_READS; i++)
        meter_add(&shuffled, i + 1, i == 7 ? NOW - 100 * DAY : NOW - i);
    meter_add(&shuffled, 500, NOW);
    CHECK(!meter_has(&shuffled, 8));
    CHECK(meter_has(&shuffled, 1));
    CHECK(meter_has(&shuffled, 500));
    CHECK_INT(shuffled.count, METER_MAX_READS);
}

static void test_size_and_buffer(void)
{
    char cookie[METER_COOKIE_MAX + 1];
    struct meter m = {0}, back;
    for (int i = 0; i < METER_MAX_READS; i++) /* the largest ids and times there can be */
        meter_add(&m, INT64_MAX - i, INT64_C(4000000000) + i);
    size_t len = meter_encode(&key, &m, cookie, sizeof cookie);
    CHECK(len > 0);
    CHECK(len <= 600);
    CHECK_INT(len, METER_COOKIE_MAX);
    CHECK_INT(meter_decode(&key, cookie, &back), METER_VALID);
    CHECK_INT(back.count, METER_MAX_READS);
    CHECK_INT(back.reads[0].read_at, 4000000000); /* after 2038: unsigned 32 bits */

    /* Too small a buffer: 0 and "". */
    char small[100] = "x";
    CHECK_INT(meter_encode(&key, &m, small, sizeof small), 0);
    CHECK_STR(small, "");
    CHECK_INT(meter_encode(&key, &m, cookie, len), 0); /* no room for the NUL */
    /* A corrupt count is refused. */
    m.count = METER_MAX_READS + 1;
    CHECK_INT(meter_encode(&key, &m, cookie, sizeof cookie), 0);
    /* Times outside 32 bits are clamped, not wrapped. */
    struct meter odd = {0};
    meter_add(&odd, 1, -5);
    meter_add(&odd, 2, INT64_C(1) << 40);
    CHECK(meter_encode(&key, &odd, cookie, sizeof cookie) > 0);
    CHECK_INT(meter_decode(&key, cookie, &back), METER_VALID);
    CHECK_INT(back.reads[0].read_at, 0);
    CHECK_INT(back.reads[1].read_at, UINT32_MAX);
}

void suite_meter(void)
{
    meter_key_init(&key, key_bytes);
    meter_key_init(&other_key, other_key_bytes);
    RUN(test_round_trip);
    RUN(test_absent);
    RUN(test_every_byte_change_is_invalid);
    RUN(test_truncation_and_extension_are_invalid);
    RUN(test_forgeries_are_invalid);
    RUN(test_prune_has_add);
    RUN(test_full_meter_drops_oldest);
    RUN(test_size_and_buffer);
}
