/*
 * fuzz_cidr.c: address ranges and X-Forwarded-For (src/cidr.c): cidr_parse (config
 * trusted_proxies, `org range add`), cidr_contains, and cidr_client_ip, which reads a header any
 * client can send. Input: five NUL-separated fields: a range, an address, the TCP peer, the
 * X-Forwarded-For value, and a comma-separated list of trusted ranges; the last byte of the
 * input also picks a (possibly too small) output size.
 *
 * Checks: a parsed range has a prefix within its family's bits and survives cidr_format and
 * cidr_parse unchanged; its own network address is inside it; text without '/' is a range
 * exactly when it is an address; cidr_client_ip's answer is always
 * a plain address (never an IPv4-mapped one), is the peer itself when the peer is not trusted or
 * sent no header, and never overruns out, whatever its size (ASan).
 */
#include <arpa/inet.h>
#include <sys/socket.h>

#include "cidr.h"
#include "fuzz.h"

#define TRUSTED_MAX 8

/* Parses the comma-separated ranges of list into out (at most TRUSTED_MAX), skipping bad ones.
 * Returns how many. */
static size_t parse_list(const char *list, struct cidr *out)
{
    size_t n = 0;
    char item[128];
    while (*list && n < TRUSTED_MAX) {
        size_t len = strcspn(list, ",");
        if (len < sizeof item) {
            memcpy(item, list, len);
            item[len] = '\0';
            if (cidr_parse(item, &out[n]) == 0)
                n++;
        }
        list += len;
        if (*list == ',')
            list++;
    }
    return n;
}

/* The range's checks: bounds, the format/parse round trip, its network address inside it. */
static void check_range(const char *text, const char *address)
{
    struct cidr range, again;
    if (cidr_parse(text, &range) != 0) {
        int family;
        unsigned char addr[16];
        if (!strchr(text, '/')) /* a bare address is a range: the two parsers agree */
            FUZZ_CHECK(ip_parse(text, &family, addr) != 0);
        return;
    }
    FUZZ_CHECK(range.family == AF_INET || range.family == AF_INET6);
    FUZZ_CHECK(range.prefix >= 0 && range.prefix <= (range.family == AF_INET ? 32 : 128));
    char formatted[CIDR_TEXT_MAX];
    FUZZ_CHECK(cidr_format(&range, formatted, sizeof formatted) > 0);
    FUZZ_CHECK(cidr_parse(formatted, &again) == 0);
    FUZZ_CHECK(again.family == range.family && again.prefix == range.prefix &&
               memcmp(again.addr, range.addr, sizeof again.addr) == 0);
    char network[CIDR_IP_TEXT_MAX];
    FUZZ_CHECK(inet_ntop(range.family, range.addr, network, sizeof network) != NULL);
    FUZZ_CHECK(cidr_contains(&range, network) == 1);
    int inside = cidr_contains(&range, address);
    FUZZ_CHECK(inside == 0 || inside == 1);
}

/* The canonical text of an address as cidr_client_ip writes it, into out; -1 if not one. */
static int canonical(const char *text, char *out, size_t size)
{
    int family;
    unsigned char addr[16];
    if (ip_parse(text, &family, addr) != 0)
        return -1;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (family == AF_INET6 && !memcmp(addr, mapped, 12)) {
        memmove(addr, addr + 12, 4);
        family = AF_INET;
    }
    return inet_ntop(family, addr, out, (socklen_t)size) ? 0 : -1;
}

/* One input: the five fields and the output size described at the top of the file. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_fields f;
    size_t out_size = size ? data[size - 1] % (CIDR_IP_TEXT_MAX + 8) : CIDR_IP_TEXT_MAX;
    fuzz_fields_split(&f, data, size, 5);
    const char *peer = f.field[2], *xff = f.field[3];

    check_range(f.field[0], f.field[1]);

    struct cidr trusted[TRUSTED_MAX];
    size_t ntrusted = parse_list(f.field[4], trusted);
    char *out = malloc(out_size ? out_size : 1); /* exactly out_size bytes for ASan */
    if (!out)
        abort();
    const char *client = cidr_client_ip(peer, xff, trusted, ntrusted, out, out_size);
    char peer_text[CIDR_IP_TEXT_MAX];
    int peer_ok = canonical(peer, peer_text, sizeof peer_text) == 0;
    if (!peer_ok)
        FUZZ_CHECK(client == NULL);
    if (client) {
        char again[CIDR_IP_TEXT_MAX];
        FUZZ_CHECK(client == out && strlen(out) < out_size);
        FUZZ_CHECK(canonical(out, again, sizeof again) == 0 && strcmp(again, out) == 0);
        int trusted_peer = 0;
        for (size_t i = 0; i < ntrusted; i++)
            trusted_peer |= cidr_contains(&trusted[i], peer);
        if (!trusted_peer || !*xff)
            FUZZ_CHECK(strcmp(out, peer_text) == 0);
    } else if (out_size) {
        FUZZ_CHECK(out[0] == '\0');
    }
    free(out);
    fuzz_fields_free(&f);
    return 0;
}
