/*
 * webhook.h: push to partners (issue 13, "Push"; docs/partners.md, "Webhooks"). A partner may
 * register a URL; every version of its product that enters the item log (store.h) is POSTed
 * there as the item's ninjs, in log order, signed, from the database (the log is the queue, a
 * cursor per partner says how far it was delivered: store.h, "Webhooks").
 *
 * The delivery worker is a thread of its own (webhooks_start), like the mailer: it never blocks
 * the HTTP threads or the job pool. Every second it claims due partners by a lease, so that of
 * several nodes on one database only one delivers a partner's items at a time, and POSTs each
 * one's next item with libcurl's multi interface, up to WEBHOOK_CONCURRENT partners at once:
 * a dead or slow partner (each request ends after webhook_timeout seconds) never delays
 * another. While a partner answers 2xx its next items follow in order; on anything else the
 * attempt is logged, and the next comes after webhook_retry_base seconds, doubling, at most an
 * hour, with jitter, for as long as it takes (at least once: a version is never skipped).
 *
 * Each POST carries Content-Type: application/json, Broadsheet-Item (the article's id),
 * Broadsheet-Version, Broadsheet-Delivery (the log's seq) and Broadsheet-Signature:
 * t=TIMESTAMP,v1=HEX, HEX the HMAC-SHA256 of "TIMESTAMP.BODY" keyed with the partner's signing
 * secret (the whole "bsw_…" text), which is Stripe's scheme.
 *
 * Requests go only where the operator registered: no redirect is followed (a 3xx is a failed
 * attempt), only http and https, no proxy from the environment, and every address curl is
 * about to connect to is checked (so DNS rebinding cannot slip an internal address in after a
 * check of the name): loopback, private, shared, link-local, unique-local, unspecified,
 * multicast and reserved addresses, and IPv4-mapped or NAT64 forms of them, are refused unless
 * webhook_allow_private is 1.
 */
#ifndef BROADSHEET_WEBHOOK_H
#define BROADSHEET_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config.h"
#include "store.h"

#define WEBHOOK_SECRET_PREFIX "bsw_"
#define WEBHOOK_SECRET_LEN 47 /* "bsw_" and 32 random bytes in base64url without padding */
#define WEBHOOK_URL_MAX 2000  /* bytes */
#define WEBHOOK_SIGNATURE_MAX 96
#define WEBHOOK_CONCURRENT 16  /* partners delivered to at once by one worker */
#define WEBHOOK_LOG_KEEP 1000  /* attempts kept in each partner's delivery log */
#define WEBHOOK_RETRY_MAX 3600 /* seconds: the longest wait between attempts */

/* Writes a new signing secret (WEBHOOK_SECRET_PREFIX and 43 base64url characters) and its NUL
 * into out. Returns 0, or -1 when libsodium cannot start. */
int webhook_secret_new(char out[WEBHOOK_SECRET_LEN + 1]);

/* Writes the Broadsheet-Signature value for body[0..len) sent at timestamp, signed with secret,
 * "t=TIMESTAMP,v1=HEX" (64 lowercase hex digits), and its NUL into out. */
void webhook_signature(const char *secret, int64_t timestamp, const char *body, size_t len,
                       char out[WEBHOOK_SIGNATURE_MAX]);

/* Why an outgoing connection to address sa must be refused without webhook_allow_private:
 * "loopback", "private", "link-local", "unique-local", "unspecified", "multicast", "reserved",
 * or "not an IP address" for another family; NULL when it may be reached. IPv4-mapped
 * (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) addresses are judged as the IPv4 address. */
const char *webhook_address_refused(const struct sockaddr *sa);

/* Checks a webhook URL at registration: at most WEBHOOK_URL_MAX bytes, no spaces or control
 * characters, http or https, a host, no user name or password, and (unless allow_private) a
 * host that is neither "localhost" nor a literal address webhook_address_refused refuses.
 * Returns 0, or -1 with the problem (a sentence fragment) in why. */
int webhook_url_check(const char *url, int allow_private, char *why, size_t size);

/* Seconds to wait after the attempts-th failure in a row (1, 2, …): base, doubling, at most
 * WEBHOOK_RETRY_MAX; then less a jitter of up to a quarter, from random (any value), so that
 * partners that failed together do not come back together. At least 1. */
int64_t webhook_retry_delay(int attempts, int base, uint32_t random);

/* When (Unix seconds) a retry delay seconds after now_ms (Unix milliseconds) may start: the
 * schedule is kept in whole seconds, so this rounds up, and a retry never comes sooner than
 * its delay (rounding down, a failure at 12.9 s with a delay of 1 s would be retried at 13). */
int64_t webhook_retry_at(int64_t now_ms, int64_t delay);

struct webhooks;

/* Starts the delivery worker for store, whose items name site_url (copied) and config's site
 * name (config outlives the worker). Never NULL (aborts when a thread cannot start). */
struct webhooks *webhooks_start(const struct config *config, struct store *store,
                                const char *site_url);
/* What w has done since it started, for /metrics: attempts answered 2xx, attempts that failed
 * (any other answer, a refused address, a time-out, no connection), and POSTs in flight now.
 * Safe from any thread while w runs. */
void webhooks_counts(struct webhooks *w, uint64_t *delivered, uint64_t *failed,
                     uint64_t *in_flight);
/* Stops the worker: deliveries in flight are abandoned and their partners' leases given up,
 * so that they are sent again (never lost). Frees w. NULL is fine. */
void webhooks_stop(struct webhooks *w);

#endif
