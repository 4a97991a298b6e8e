/*
 * cidr.h: IPv4 and IPv6 addresses and address ranges (CIDR blocks), for institutional access
 * (an organisation reads everything from its ranges) and for finding the client's address
 * behind trusted proxies (X-Forwarded-For). Pure functions on text and bytes, no allocation, no
 * state: every function is thread-safe.
 *
 * Addresses are parsed with inet_pton only: IPv4 in dotted-quad form ("192.0.2.5"; no octal,
 * hexadecimal or short forms such as "10.1"), IPv6 in any RFC 4291 text form ("2001:db8::1",
 * "::ffff:192.0.2.5"), without zone ids ("%eth0") or surrounding brackets or spaces.
 *
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, what a dual-stack socket reports for an IPv4
 * client) are the IPv4 address a.b.c.d wherever addresses are compared: ::ffff:192.0.2.5 is in
 * 192.0.2.0/24, and 192.0.2.5 is in the range ::ffff:192.0.2.0/120. Otherwise the families do
 * not mix: ::/0 holds every IPv6 address but no IPv4 one, 0.0.0.0/0 every IPv4 one and no IPv6.
 */
#ifndef BROADSHEET_CIDR_H
#define BROADSHEET_CIDR_H

#include <stddef.h>

/* Room for any address as text with its NUL (INET6_ADDRSTRLEN). */
#define CIDR_IP_TEXT_MAX 46
/* Room for any range as text ("address/128") with its NUL. */
#define CIDR_TEXT_MAX (CIDR_IP_TEXT_MAX + 4)

struct cidr {
    int family;             /* AF_INET or AF_INET6 */
    unsigned char addr[16]; /* network order; IPv4 uses the first 4 bytes, the rest are 0 */
    int prefix;             /* 0..32 (IPv4) or 0..128 (IPv6) */
};

/* Parses text, "ADDRESS/PREFIX" or a bare ADDRESS (a single host: /32 or /128), into *out.
 * PREFIX is decimal digits without sign or leading zeros, at most 32 for IPv4 and 128 for IPv6.
 * Host bits set below the prefix ("192.0.2.77/24") are accepted and cleared (192.0.2.0/24), so
 * that two spellings of one range compare equal after cidr_format. Returns 0, or -1 (*out
 * untouched) for NULL, an empty string, anything inet_pton refuses, a missing or out-of-range
 * prefix, or any other character (spaces included). */
int cidr_parse(const char *text, struct cidr *out);

/* Writes range as "ADDRESS/PREFIX" (always with the prefix; IPv6 in inet_ntop's compressed
 * form, "2001:db8::/32") into out. Returns the length written, or -1 if it does not fit in size
 * bytes (CIDR_TEXT_MAX always does) or range is not a valid struct cidr. */
int cidr_format(const struct cidr *range, char *out, size_t size);

/* Parses an address (no prefix) as cidr_parse does, into *family (AF_INET or AF_INET6) and addr
 * (network order; IPv4 in the first 4 bytes, the rest zeroed). Mapped addresses are returned as
 * written (AF_INET6). Returns 0, or -1 (nothing written) for NULL or anything inet_pton refuses. */
int ip_parse(const char *text, int *family, unsigned char addr[16]);

/* 1 if the address ip_text is inside range (with IPv4-mapped IPv6 addresses as IPv4, see the
 * top of this file), 0 if not or if ip_text is not an address. */
int cidr_contains(const struct cidr *range, const char *ip_text);

/* The client's address for a request whose TCP peer is peer_ip and which carried the
 * X-Forwarded-For value x_forwarded_for (NULL or "" if none), given the trusted proxies' ranges
 * trusted[0..ntrusted). Written to out as canonical text (inet_ntop's form; an IPv4-mapped
 * address as plain IPv4) and returned.
 *
 * The rule, exactly:
 *   1. If peer_ip is not trusted (not inside any trusted range), it is the client: the header is
 *      ignored entirely, because anyone can send one.
 *   2. Otherwise the header's comma-separated entries are walked from the right (the hop our
 *      proxy added) to the left. Each entry, with spaces and tabs around it trimmed, is an
 *      address, optionally "[IPv6]", "[IPv6]:port" or "IPv4:port" (some proxies add the port).
 *      The first entry that is not trusted is the client.
 *   3. A malformed entry (empty, not an address, longer than an address can be) stops the walk:
 *      the client is the last good hop, that is the entry just to its right, or the peer itself
 *      if the malformed entry is the rightmost. Entries left of it are never looked at.
 *   4. If every entry is valid and trusted, the client is the leftmost entry.
 * Entries left of the client (what the client itself claimed) are never used, so a spoofed
 * header cannot choose the address. Several X-Forwarded-For header lines are one list (RFC 9110):
 * the caller joins them with ", " in order (req_client_ip does), since a proxy may append a line
 * of its own after the client's rather than extend it, and the client's line alone would let
 * the client choose.
 *
 * Returns out, or NULL (out set to "" when size allows) if peer_ip is NULL or not an address,
 * or if size is too small (CIDR_IP_TEXT_MAX always suffices). */
const char *cidr_client_ip(const char *peer_ip, const char *x_forwarded_for,
                           const struct cidr *trusted, size_t ntrusted, char *out, size_t size);

#endif
