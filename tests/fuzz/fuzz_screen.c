/*
 * fuzz_screen.c: the request screen (src/screen.c), the state machine every byte a client sends
 * passes before libmicrohttpd parses it. Input: one byte that seeds where the stream is cut,
 * then the bytes of a connection.
 *
 * Checks screen.h's contract: the verdict does not depend on how the bytes arrive (the whole
 * stream at once, or cut into pieces at seeded places, at one instant: no time rule applies);
 * a verdict is one of the statuses the header names and stays once given; `good` never exceeds
 * the piece it speaks of; screen_idle holds exactly when nothing of a next request is pending.
 */
#include "fuzz.h"
#include "screen.h"

/* 1 if status is one a screen may give. */
static int known_status(unsigned status)
{
    return status == 400 || status == 408 || status == 414 || status == 431 || status == 501 ||
           status == 505;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned seed = fuzz_take_byte(&data, &size);
    struct screen_limits limits = {.head_deadline_ms = 10000, .body_min_rate = 1000};
    struct screen whole, pieces;
    screen_init(&whole, &limits);
    screen_init(&pieces, &limits);

    size_t good = 0;
    unsigned verdict = screen_feed(&whole, (const char *)data, size, 1, &good);
    FUZZ_CHECK(verdict == 0 || known_status(verdict));
    FUZZ_CHECK(good <= size);
    if (verdict) {
        size_t again = 0;
        FUZZ_CHECK(screen_feed(&whole, "GET / HTTP/1.1\r\n\r\n", 18, 1, &again) == verdict);
        FUZZ_CHECK(again == 0);
    }

    unsigned piecewise = 0;
    size_t at = 0, step = (seed % 7) + 1;
    while (at < size && !piecewise) {
        size_t n = size - at < step ? size - at : step;
        size_t piece_good = 0;
        piecewise = screen_feed(&pieces, (const char *)data + at, n, 1, &piece_good);
        FUZZ_CHECK(piece_good <= n);
        at += n;
        step = (step * 5 + seed) % 13 + 1;
    }
    FUZZ_CHECK(piecewise == verdict);
    if (!verdict && size)
        FUZZ_CHECK(screen_idle(&whole) == screen_idle(&pieces));
    return 0;
}
