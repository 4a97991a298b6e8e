/*
 * ratelimit.h: the keys of the rate limits on log-in, registration, password reset and the
 * other account forms (account.c), such as "password-ip-login:192.0.2.1" or
 * "password-account:a@b.example": here, the part that names a client's address.
 *
 * The limits themselves live in the database (store_limit_hit in store.h, store_limits.c), so
 * that every node serving the site from one database counts against one allowance per key.
 */
#ifndef BROADSHEET_RATELIMIT_H
#define BROADSHEET_RATELIMIT_H

#include <stddef.h>

/* The part of a client address (text, as req_client_ip gives it) that keys its limits, into
 * out (size bytes; 64 is enough): an IPv4 address as it is ("192.0.2.1", also when written
 * IPv4-mapped, "::ffff:192.0.2.1"); an IPv6 address as its /64 ("2001:db8:1:2::/64"), since a
 * single client is usually given a whole /64 and would otherwise have 2^64 allowances, one per
 * address it sends from; anything else as it is. */
void ratelimit_address_key(const char *ip, char *out, size_t size);

#endif
