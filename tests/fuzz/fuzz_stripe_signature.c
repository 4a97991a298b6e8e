/*
 * fuzz_stripe_signature.c: the Stripe-Signature header check (stripe_verify_signature,
 * src/stripe.c), which anyone can reach by posting to /stripe/webhook. Input: one mode byte,
 * then two NUL-separated fields: a header and the payload (which may hold NUL bytes).
 *   mode bit 0 clear: the header is used as it is (the fuzzer cannot forge a signature, so this
 *     explores the parser and every refusal);
 *   mode bit 0 set: the target signs the payload itself at a time taken from the next four
 *     bytes and sends "t=TIME,v1=SIGNATURE" followed by the fuzzed header, so the paths after a
 *     match (the tolerance, several v1 values) are reached too.
 *
 * Checks: the result is one of the enum; a correct signature with nothing after it is OK inside
 * the tolerance and STALE outside; an empty or missing header is MISSING; every result has a
 * reason.
 */
#include <sodium.h>

#include "fuzz.h"
#include "stripe.h"

#define SECRET "whsec_fuzz_5WbX5kEWLlfzsGNjH64I8lOOqUB6"
#define NOW INT64_C(1750000000)
#define TOLERANCE 300

/* "t=T,v1=HEX" for payload[0..len) signed at t, into out (at least 96 bytes). */
static void sign(int64_t t, const char *payload, size_t len, char *out, size_t size)
{
    char stamp[24];
    int stamp_len = snprintf(stamp, sizeof stamp, "%lld.", (long long)t);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, (const unsigned char *)SECRET, strlen(SECRET));
    crypto_auth_hmacsha256_update(&state, (const unsigned char *)stamp, (size_t)stamp_len);
    crypto_auth_hmacsha256_update(&state, (const unsigned char *)payload, len);
    crypto_auth_hmacsha256_final(&state, mac);
    char hex[2 * sizeof mac + 1];
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    snprintf(out, size, "t=%lld,v1=%s", (long long)t, hex);
}

/* One input: a mode byte, a header and a payload (see the top of the file). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int self_signed = fuzz_take_byte(&data, &size) & 1;
    int64_t t = NOW;
    if (self_signed && size >= 4) { /* within twice the tolerance of NOW, either way */
        uint32_t offset =
            (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 | data[3];
        t = NOW - 2 * TOLERANCE + (int64_t)(offset % (4 * TOLERANCE + 1));
        data += 4;
        size -= 4;
    }
    struct fuzz_fields f;
    fuzz_fields_split(&f, data, size, 2);
    const char *payload = f.field[1];
    size_t payload_len = f.len[1];

    char *header;
    size_t header_size = f.len[0] + 128;
    header = malloc(header_size);
    if (!header)
        abort();
    if (self_signed) {
        sign(t, payload, payload_len, header, header_size);
        if (*f.field[0]) {
            strcat(header, ",");
            strcat(header, f.field[0]);
        }
    } else {
        snprintf(header, header_size, "%s", f.field[0]);
    }

    int rc = stripe_verify_signature(payload, payload_len, header, SECRET, NOW, TOLERANCE);
    FUZZ_CHECK(rc >= STRIPE_SIG_OK && rc <= STRIPE_SIG_STALE);
    FUZZ_CHECK(stripe_signature_reason(rc) != NULL);
    if (!*header)
        FUZZ_CHECK(rc == STRIPE_SIG_MISSING);
    if (self_signed && !*f.field[0]) {
        int64_t off = t > NOW ? t - NOW : NOW - t;
        FUZZ_CHECK(rc == (off <= TOLERANCE ? STRIPE_SIG_OK : STRIPE_SIG_STALE));
    }
    FUZZ_CHECK(stripe_verify_signature(payload, payload_len, NULL, SECRET, NOW, TOLERANCE) ==
               STRIPE_SIG_MISSING);
    free(header);
    fuzz_fields_free(&f);
    return 0;
}
