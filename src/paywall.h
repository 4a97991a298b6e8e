/*
 * paywall.h: the paywall as the server applies it, per request. It gathers what access.h's
 * decision needs (subscription, institution, meter), decides, counts the read, and leaves the
 * facts a reader is told ("2 free articles left this month", "Access provided by
 * ORGANISATION") in r->note, which splice.h words and splices into the cached page.
 *
 * Anonymous readers are metered in a signed cookie (meter.h, key: the "meter" server secret);
 * signed-in readers in the database, where a read is judged and recorded in one step
 * (store_meter_take). When the database cannot do that (locked past the HTTP thread's short
 * wait, or failing), the reader gets the preview, and a note saying why (unavailable): a read is
 * never given in full without being counted. A tampered cookie is kept as it is and counts as a
 * spent meter: deleting the cookie is the only way to a fresh one, as for any anonymous meter.
 *
 * Organisations' address ranges are kept in memory and reloaded when the store's paywall
 * version changes (paywall_refresh, from the server's watch loop), so deciding institutional
 * access costs no query.
 */
#ifndef BROADSHEET_PAYWALL_H
#define BROADSHEET_PAYWALL_H

#include "access.h"
#include "config.h"
#include "req.h"
#include "store.h"

#define PAYWALL_METER_COOKIE "bs_meter"

struct paywall;

/* Loads the meter key and the organisations' ranges. NULL with err set on failure. */
struct paywall *paywall_new(const struct config *config, struct store *store, char *err,
                            size_t errlen);
void paywall_free(struct paywall *p);

/* Reloads the ranges if the store's paywall version changed. */
void paywall_refresh(struct paywall *p, struct store *store);

/* The name of the organisation whose active range holds ip, into the arena, or NULL. */
const char *paywall_institution(struct paywall *p, struct arena *a, const char *ip);

/* What the paywall tells one reader about this read: facts, worded by splice.c. */
struct paywall_note {
    const char *institution; /* the organisation providing access, or NULL */
    int metered;             /* the meter applied to this read: say how it stands */
    enum access_outcome outcome;
    enum access_reason reason;
    int remaining;   /* metered reads left (access.h) */
    int allowance;   /* reads per period */
    int unavailable; /* the meter could not be read or recorded: a preview, and say so */
};

/* Decides whether r's reader gets the article (id, level) in full, counts the read when the
 * meter says so (a Set-Cookie for an anonymous reader, a row for a signed-in one), and sets
 * r->note to what the reader is told (NULL when there is nothing to say). */
struct access_decision paywall_decide(struct req *r, int64_t article_id, enum access_level level);

#endif
