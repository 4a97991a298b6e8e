/*
 * ratelimit.h: an in-memory, thread-safe rate limiter for log-in, registration and password
 * reset requests, keyed by strings such as "login-ip:192.0.2.1" or "login-account:a@b.example".
 *
 * The rule is a token bucket per key (computed as GCRA, the generic cell rate algorithm, which
 * keeps one timestamp per key): a key may make `limit` requests at once, and then one more every
 * window_seconds / limit seconds; after window_seconds without requests it has all `limit`
 * again. So "10 per 15 minutes" allows a burst of 10, then one every 90 seconds. Unlike a fixed
 * window it has no boundary at which a client can make 2 × limit requests in a moment.
 *
 * Memory is bounded: at most max_keys keys are tracked; a new key beyond that evicts the key
 * used least recently (an idle key's bucket has refilled, so forgetting it loses nothing; size
 * max_keys well above the keys active in one window, as each key costs about 100 bytes and its
 * name). Keys hash with SipHash under a random key, so clients cannot aim keys at one bucket.
 *
 * State is per process: behind a load balancer each app node limits on its own, which
 * multiplies the allowance by the number of nodes.
 */
#ifndef BROADSHEET_RATELIMIT_H
#define BROADSHEET_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

struct ratelimit;

/* A limiter tracking at most max_keys keys (0: 1). Free with ratelimit_free. */
struct ratelimit *ratelimit_new(size_t max_keys);
/* Frees the limiter and every key. NULL is fine. */
void ratelimit_free(struct ratelimit *rl);

/* Counts a request by key at time now (unix seconds) against `limit` requests per
 * window_seconds (each clamped to at least 1) and returns 1 if it is allowed, or 0 if it is over
 * the limit: then it is not counted, and *retry_after (when not NULL) is the whole number of
 * seconds (at least 1) after which a request would be allowed, for a Retry-After header. A key
 * should always be used with the same limit and window; when they change, the key starts
 * afresh. */
int ratelimit_hit(struct ratelimit *rl, const char *key, int limit, int window_seconds, int64_t now,
                  int *retry_after);

/* The part of a client address (text, as req_client_ip gives it) that keys its limits, into
 * out (size bytes; 64 is enough): an IPv4 address as it is ("192.0.2.1", also when written
 * IPv4-mapped, "::ffff:192.0.2.1"); an IPv6 address as its /64 ("2001:db8:1:2::/64"), since a
 * single client is usually given a whole /64 and would otherwise have 2^64 allowances, one per
 * address it sends from; anything else as it is. */
void ratelimit_address_key(const char *ip, char *out, size_t size);

/* The number of keys tracked now (for tests and statistics). */
size_t ratelimit_keys(struct ratelimit *rl);

#endif
