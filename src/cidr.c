/*
 * cidr.c: address and range parsing, matching, and the client address behind trusted proxies.
 * See cidr.h for the rules; the comments here say how they are kept.
 *
 * Matching works on bytes: an address is in a range when its first `prefix` bits equal the
 * range's. Before comparing, an IPv4-mapped IPv6 address (::ffff:0:0/96) is turned into its IPv4
 * address, and an IPv6 range inside ::ffff:0:0/96 into the IPv4 range it covers (prefix - 96),
 * so both spellings of an IPv4 client meet both spellings of an IPv4 range.
 */
#include "cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* The longest X-Forwarded-For entry that can hold an address: "[IPv6]:65535". */
#define HOP_TEXT_MAX (CIDR_IP_TEXT_MAX + 8)

/* The 12-byte prefix of an IPv4-mapped IPv6 address, ::ffff:0:0/96. */
static const unsigned char mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* 1 if the IPv6 address addr is IPv4-mapped. */
static int is_mapped(const unsigned char addr[16])
{
    return memcmp(addr, mapped_prefix, sizeof mapped_prefix) == 0;
}

/* Turns an IPv4-mapped IPv6 address in (*family, addr) into its IPv4 address; leaves any other
 * address alone. */
static void unmap_address(int *family, unsigned char addr[16])
{
    if (*family != AF_INET6 || !is_mapped(addr))
        return;
    memmove(addr, addr + 12, 4);
    memset(addr + 4, 0, 12);
    *family = AF_INET;
}

/* Clears the bits of addr (16 bytes) below the first prefix bits. */
static void mask_host_bits(unsigned char addr[16], int prefix)
{
    for (int i = 0; i < 16; i++) {
        int bits = prefix - 8 * i; /* bits of this byte that belong to the network */
        if (bits >= 8)
            continue;
        addr[i] = bits <= 0 ? 0 : (unsigned char)(addr[i] & (0xff << (8 - bits)));
    }
}

/* 1 if the first prefix bits of a and b are equal. */
static int prefix_equal(const unsigned char *a, const unsigned char *b, int prefix)
{
    int whole = prefix / 8, rest = prefix % 8;
    if (memcmp(a, b, (size_t)whole) != 0)
        return 0;
    if (rest == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

/* The largest prefix of family, or -1 for an unknown family. */
static int max_prefix(int family)
{
    return family == AF_INET ? 32 : family == AF_INET6 ? 128 : -1;
}

int ip_parse(const char *text, int *family, unsigned char addr[16])
{
    unsigned char bytes[16] = {0};
    if (!text || !*text)
        return -1;
    /* inet_pton reads up to the NUL; an address never needs more than this, so anything longer
     * is refused without being scanned further. */
    if (strnlen(text, CIDR_IP_TEXT_MAX) >= CIDR_IP_TEXT_MAX)
        return -1;
    int fam = strchr(text, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(fam, text, bytes) != 1)
        return -1;
    *family = fam;
    memcpy(addr, bytes, sizeof bytes);
    return 0;
}

/* Parses the decimal prefix text (digits only, no leading zero, at most max) into *prefix.
 * Returns 0 or -1. */
static int parse_prefix(const char *text, int max, int *prefix)
{
    int value = 0;
    size_t len = strlen(text);
    if (len == 0 || len > 3 || (text[0] == '0' && len > 1))
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        value = value * 10 + (text[i] - '0');
    }
    if (value > max)
        return -1;
    *prefix = value;
    return 0;
}

int cidr_parse(const char *text, struct cidr *out)
{
    char address[CIDR_IP_TEXT_MAX];
    struct cidr range = {0};
    if (!text)
        return -1;
    const char *slash = strchr(text, '/');
    size_t len = slash ? (size_t)(slash - text) : strlen(text);
    if (len == 0 || len >= sizeof address)
        return -1;
    memcpy(address, text, len);
    address[len] = '\0';
    if (ip_parse(address, &range.family, range.addr) != 0)
        return -1;
    range.prefix = max_prefix(range.family);
    if (slash && parse_prefix(slash + 1, range.prefix, &range.prefix) != 0)
        return -1;
    mask_host_bits(range.addr, range.prefix);
    *out = range;
    return 0;
}

int cidr_format(const struct cidr *range, char *out, size_t size)
{
    char address[CIDR_IP_TEXT_MAX];
    int max = max_prefix(range->family);
    if (max < 0 || range->prefix < 0 || range->prefix > max)
        return -1;
    if (!inet_ntop(range->family, range->addr, address, sizeof address))
        return -1;
    int n = snprintf(out, size, "%s/%d", address, range->prefix);
    if (n < 0 || (size_t)n >= size)
        return -1;
    return n;
}

/* 1 if the address (family, addr) is inside range, with mapped addresses and ranges compared as
 * IPv4 (see the top of the file). */
static int contains_address(const struct cidr *range, int family, const unsigned char addr[16])
{
    unsigned char ip[16], net[16];
    int net_family = range->family, net_prefix = range->prefix;
    memcpy(ip, addr, sizeof ip);
    memcpy(net, range->addr, sizeof net);
    unmap_address(&family, ip);
    if (net_family == AF_INET6 && net_prefix >= 96 && is_mapped(net)) {
        unmap_address(&net_family, net);
        net_prefix -= 96;
    }
    if (family != net_family || net_prefix < 0 || net_prefix > max_prefix(net_family))
        return 0;
    return prefix_equal(ip, net, net_prefix);
}

int cidr_contains(const struct cidr *range, const char *ip_text)
{
    int family;
    unsigned char addr[16];
    if (ip_parse(ip_text, &family, addr) != 0)
        return 0;
    return contains_address(range, family, addr);
}

/* 1 if the address is inside one of trusted[0..n). */
static int trusted_address(const struct cidr *trusted, size_t n, int family,
                           const unsigned char addr[16])
{
    for (size_t i = 0; i < n; i++)
        if (contains_address(&trusted[i], family, addr))
            return 1;
    return 0;
}

/* 1 if s (NUL-terminated) is a port: 1 to 5 digits, at most 65535. */
static int is_port(const char *s)
{
    size_t len = strlen(s);
    long value = 0;
    if (len == 0 || len > 5)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        value = value * 10 + (s[i] - '0');
    }
    return value <= 65535;
}

/* Parses one X-Forwarded-For entry, text[0..len) (not NUL-terminated), into (*family, addr):
 * spaces and tabs around it are trimmed, then it is "ADDRESS", "[IPv6]", "[IPv6]:PORT" or
 * "IPv4:PORT". Returns 0, or -1 for anything else. */
static int hop_parse(const char *text, size_t len, int *family, unsigned char addr[16])
{
    char hop[HOP_TEXT_MAX];
    while (len && (text[0] == ' ' || text[0] == '\t')) {
        text++;
        len--;
    }
    while (len && (text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    if (len == 0 || len >= sizeof hop)
        return -1;
    memcpy(hop, text, len);
    hop[len] = '\0';

    if (hop[0] == '[') {
        char *close = strchr(hop, ']');
        if (!close || (close[1] != '\0' && (close[1] != ':' || !is_port(close + 2))))
            return -1;
        *close = '\0';
        if (ip_parse(hop + 1, family, addr) != 0 || *family != AF_INET6)
            return -1;
        return 0;
    }
    char *colon = strchr(hop, ':');
    if (colon && strchr(hop, '.') && !strchr(colon + 1, ':')) { /* one colon, dots: IPv4:PORT */
        if (!is_port(colon + 1))
            return -1;
        *colon = '\0';
        if (ip_parse(hop, family, addr) != 0 || *family != AF_INET)
            return -1;
        return 0;
    }
    return ip_parse(hop, family, addr);
}

const char *cidr_client_ip(const char *peer_ip, const char *x_forwarded_for,
                           const struct cidr *trusted, size_t ntrusted, char *out, size_t size)
{
    int family, hop_family;
    unsigned char addr[16], hop[16];
    char text[CIDR_IP_TEXT_MAX];

    if (size)
        out[0] = '\0';
    if (ip_parse(peer_ip, &family, addr) != 0)
        return NULL;

    if (trusted_address(trusted, ntrusted, family, addr) && x_forwarded_for && *x_forwarded_for) {
        /* Walk the entries right to left; (family, addr) is always the last good hop. */
        const char *end = x_forwarded_for + strlen(x_forwarded_for);
        for (;;) {
            const char *start = end;
            while (start > x_forwarded_for && start[-1] != ',')
                start--;
            if (hop_parse(start, (size_t)(end - start), &hop_family, hop) != 0)
                break; /* malformed: keep the hop to its right */
            family = hop_family;
            memcpy(addr, hop, sizeof addr);
            if (!trusted_address(trusted, ntrusted, family, addr))
                break; /* the first untrusted hop from the right is the client */
            if (start == x_forwarded_for)
                break; /* all trusted: the leftmost */
            end = start - 1;
        }
    }

    unmap_address(&family, addr);
    if (!inet_ntop(family, addr, text, sizeof text) || strlen(text) >= size)
        return NULL;
    memcpy(out, text, strlen(text) + 1);
    return out;
}
