/*
 * fuzz_meter.c: the signed meter cookie (src/meter.c), which every anonymous reader sends back.
 * Input, read two ways:
 *   - as the cookie's value (up to its first NUL) for meter_decode: anything but a cookie this
 *     key signed must be INVALID (or ABSENT when empty), and a VALID one holds at most
 *     METER_MAX_READS reads and encodes back to exactly the same text (one spelling per meter);
 *   - as a meter (a count byte, then 16 bytes per read: article id and time, each 8 bytes
 *     big-endian, times outside 32 bits included) for the round trip: meter_encode of any meter
 *     that fits is at most METER_COOKIE_MAX characters and decodes to the same reads with the
 *     times clamped as meter.h says, and after meter_prune and meter_add the meter still fits.
 */
#include "fuzz.h"
#include "meter.h"

/* The unit tests' key, so that their cookies and the seed corpus's verify here. */
static const unsigned char key_bytes[METER_KEY_BYTES] = "0123456789abcdef0123456789abcdef";
static struct meter_key key; /* keyed on the first input */
static int keyed;

/* n bytes big-endian at p. */
static uint64_t big_endian(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* The cookie side: decode, and re-encode what verifies. */
static void decode_cookie(const uint8_t *data, size_t size)
{
    char *cookie = fuzz_string(data, size);
    struct meter m;
    enum meter_status status = meter_decode(&key, cookie, &m);
    FUZZ_CHECK(status == METER_ABSENT || status == METER_VALID || status == METER_INVALID);
    FUZZ_CHECK(status != METER_ABSENT || *cookie == '\0');
    if (status == METER_VALID) {
        char again[METER_COOKIE_MAX + 1];
        FUZZ_CHECK(m.count <= METER_MAX_READS);
        FUZZ_CHECK(meter_encode(&key, &m, again, sizeof again) == strlen(cookie));
        FUZZ_CHECK(strcmp(again, cookie) == 0);
    } else {
        FUZZ_CHECK(m.count == 0);
    }
    free(cookie);
}

/* The meter side: build one from the bytes, encode, decode, compare; then prune and add. */
static void round_trip(const uint8_t *data, size_t size)
{
    if (size == 0)
        return;
    struct meter m = {0};
    size_t want = data[0] % (METER_MAX_READS + 2); /* one more than fits, too */
    data++;
    size--;
    for (size_t i = 0; i < want && i < METER_MAX_READS && size >= 16; i++, data += 16, size -= 16) {
        m.reads[i].article_id = (int64_t)big_endian(data, 8);
        m.reads[i].read_at = (int64_t)big_endian(data + 8, 8);
        m.count = i + 1;
    }
    if (want > METER_MAX_READS)
        m.count = want; /* meter_encode must refuse it, meter_add must not write past the end */

    char cookie[METER_COOKIE_MAX + 1];
    size_t len = meter_encode(&key, &m, cookie, sizeof cookie);
    if (m.count > METER_MAX_READS) {
        FUZZ_CHECK(len == 0 && cookie[0] == '\0');
    } else {
        struct meter back;
        FUZZ_CHECK(len > 0 && len <= METER_COOKIE_MAX && len == strlen(cookie));
        FUZZ_CHECK(meter_decode(&key, cookie, &back) == METER_VALID);
        FUZZ_CHECK(back.count == m.count);
        for (size_t i = 0; i < m.count; i++) {
            int64_t at = m.reads[i].read_at;
            int64_t clamped = at < 0 ? 0 : at > (int64_t)UINT32_MAX ? (int64_t)UINT32_MAX : at;
            FUZZ_CHECK(back.reads[i].article_id == m.reads[i].article_id);
            FUZZ_CHECK(back.reads[i].read_at == clamped);
        }
        /* Too small a buffer gives 0 and "", never a cut cookie. */
        char small[64];
        if (len >= sizeof small)
            FUZZ_CHECK(meter_encode(&key, &m, small, sizeof small) == 0 && small[0] == '\0');
    }

    int64_t now = (int64_t)(size >= 8 ? big_endian(data, 8) >> 1 : 1767225600);
    int64_t article = (int64_t)(size >= 16 ? big_endian(data + 8, 8) : 42);
    meter_prune(&m, now - 30 * 86400);
    FUZZ_CHECK(m.count <= METER_MAX_READS);
    meter_add(&m, article, now);
    FUZZ_CHECK(m.count >= 1 && m.count <= METER_MAX_READS);
    FUZZ_CHECK(meter_has(&m, article));
    FUZZ_CHECK(meter_encode(&key, &m, cookie, sizeof cookie) > 0);
}

/* One input, read as a cookie and as a meter (see the top of the file). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!keyed) {
        meter_key_init(&key, key_bytes);
        keyed = 1;
    }
    decode_cookie(data, size);
    round_trip(data, size);
    return 0;
}
