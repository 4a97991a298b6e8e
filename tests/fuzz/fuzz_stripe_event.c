/*
 * fuzz_stripe_event.c: the Stripe webhook's event handling (stripe_handle_event, src/stripe.c):
 * the JSON of an event, read and validated, then applied to a real store. Events are signed by
 * Stripe, but the code that reads them must still survive any JSON (a signing secret leaks, or
 * Stripe changes a shape). Input: the event's JSON.
 *
 * The store is a fresh SQLite database in a temporary directory with a reader and the unit
 * tests' three plans, made once (LLVMFuzzerInitialize) and removed at exit; events accumulate
 * in it, so repeated ids reach the duplicate path.
 *
 * Checks: the result is one of the enum, and a refused event (MALFORMED, FAILED) always says
 * why.
 */
#include <unistd.h>

#include "fuzz.h"
#include "store.h"
#include "stripe.h"

#define NOW INT64_C(1750000000)

static struct store *st;
static char dir[64], path[128];

/* atexit: closes the store and removes its files and directory. */
static void remove_store(void)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char file[160];
    store_close(st);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(file, sizeof file, "%s%s", path, suffixes[i]);
        unlink(file);
    }
    rmdir(dir);
}

/* Once at start: the store, its reader and plans; removed again at exit (remove_store). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[256] = "";
    int64_t user_id;
    snprintf(dir, sizeof dir, "/tmp/broadsheet-fuzz-stripe-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    snprintf(path, sizeof path, "%s/fuzz.db", dir);
    st = store_open(path, err, sizeof err);
    if (!st) {
        fprintf(stderr, "fuzz_stripe_event: store_open: %s\n", err);
        abort();
    }
    atexit(remove_store);
    struct plan monthly = {.slug = "monthly",
                           .name = "Monthly",
                           .period = "month",
                           .price_cents = 1500,
                           .stripe_price_id = "price_month",
                           .active = 1};
    struct plan annual = {.slug = "annual",
                          .name = "Annual",
                          .period = "year",
                          .price_cents = 15000,
                          .stripe_price_id = "price_year",
                          .active = 1};
    struct plan institutional = {
        .slug = "institutional", .name = "Institutions", .period = "contact", .active = 1};
    if (store_user_create(st, "reader@example.test", "A Reader", "", ROLE_READER, &user_id) !=
            STORE_OK ||
        store_plan_save(st, &monthly) != STORE_OK || store_plan_save(st, &annual) != STORE_OK ||
        store_plan_save(st, &institutional) != STORE_OK)
        abort();
    return 0;
}

/* One input: an event's JSON, applied to the store made at start. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    memset(err, 'x', sizeof err);
    int rc = stripe_handle_event(st, (const char *)data, size, NOW, err, sizeof err);
    FUZZ_CHECK(rc >= STRIPE_EVENT_PROCESSED && rc <= STRIPE_EVENT_STALE);
    FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL);
    if (rc == STRIPE_EVENT_MALFORMED || rc == STRIPE_EVENT_FAILED)
        FUZZ_CHECK(err[0] != '\0');
    return 0;
}
