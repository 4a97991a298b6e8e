/*
 * test_cidr.c: tests of cidr.h: parsing and normalising IPv4 and IPv6 ranges, formatting,
 * matching at the boundaries (/0, /32, /128, the first and last address of a range), IPv4-mapped
 * IPv6 addresses and ranges, a table of malformed input, and the client address behind trusted
 * proxies (an untrusted peer's header ignored, the rightmost untrusted hop taken, spoofed
 * leftmost entries and garbage entries).
 */
#include <sys/socket.h>

#include "check.h"
#include "cidr.h"
#include "util.h"

/* Parses text and formats it back, returning the text (or "(refused)"). */
static const char *normalised(const char *text, char out[CIDR_TEXT_MAX])
{
    struct cidr range;
    if (cidr_parse(text, &range) != 0 || cidr_format(&range, out, CIDR_TEXT_MAX) < 0)
        return "(refused)";
    return out;
}

static void test_parse_and_normalise(void)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"192.0.2.0/24", "192.0.2.0/24"},
        {"192.0.2.77/24", "192.0.2.0/24"}, /* host bits cleared */
        {"192.0.2.5", "192.0.2.5/32"},     /* a bare address is one host */
        {"10.1.2.3/8", "10.0.0.0/8"},
        {"172.16.255.255/12", "172.16.0.0/12"},
        {"192.0.2.255/31", "192.0.2.254/31"},
        {"203.0.113.9/0", "0.0.0.0/0"},
        {"0.0.0.0/0", "0.0.0.0/0"},
        {"255.255.255.255/32", "255.255.255.255/32"},
        {"2001:db8::/32", "2001:db8::/32"},
        {"2001:DB8:0:0:0:0:0:0/32", "2001:db8::/32"}, /* canonical text */
        {"2001:db8:abcd:12::1/48", "2001:db8:abcd::/48"},
        {"2001:db8::1", "2001:db8::1/128"},
        {"::/0", "::/0"},
        {"ffff::1/1", "8000::/1"},
        {"2001:db8::ff/121", "2001:db8::80/121"},
        {"::ffff:192.0.2.0/120", "::ffff:192.0.2.0/120"},
        {"::1/128", "::1/128"},
    };
    char buf[CIDR_TEXT_MAX];
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const char *got = normalised(cases[i].text, buf);
        if (strcmp(got, cases[i].want) != 0)
            fprintf(stderr, "    case %s\n", cases[i].text);
        CHECK_STR(got, cases[i].want);
    }

    struct cidr range;
    CHECK_INT(cidr_parse("192.0.2.0/24", &range), 0);
    CHECK_INT(range.family, AF_INET);
    CHECK_INT(range.prefix, 24);
    CHECK_INT(range.addr[0], 192);
    CHECK_INT(range.addr[2], 2);
    CHECK_INT(range.addr[3], 0);
    CHECK_INT(range.addr[4], 0); /* the rest of an IPv4 range's bytes are zero */
    CHECK_INT(cidr_parse("2001:db8::/32", &range), 0);
    CHECK_INT(range.family, AF_INET6);
    CHECK_INT(range.prefix, 32);
    CHECK_INT(range.addr[0], 0x20);
    CHECK_INT(range.addr[3], 0xb8);
}

static void test_parse_refuses(void)
{
    static const char *const bad[] = {
        "",
        "/",
        "/24",
        "192.0.2.0/",
        "192.0.2.0/33",
        "192.0.2.0/-1",
        "192.0.2.0/+24",
        "192.0.2.0/024",
        "192.0.2.0/24/1",
        "192.0.2.0/2a",
        "192.0.2.0/ 24",
        "192.0.2.0 /24",
        " 192.0.2.0/24",
        "192.0.2.0/24 ",
        "192.0.2/24",
        "192.0.2.256/32",
        "192.0.2.0.1",
        "010.0.0.0/8",
        "0x0a.0.0.0/8",
        "10",
        "2001:db8::/129",
        "2001:db8::/1280",
        "2001:db8:::/32",
        "2001:db8::g/32",
        "[2001:db8::]/32",
        "fe80::1%eth0/64",
        "1:2:3:4:5:6:7:8:9/64",
        "localhost",
        "192.0.2.0/24\n",
        "192.0.2.1:80",
        "12345678901234567890123456789012345678901234567890/8",
    };
    struct cidr range = {.family = 99, .prefix = 77};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        int rc = cidr_parse(bad[i], &range);
        if (rc != -1)
            fprintf(stderr, "    accepted [%s]\n", bad[i]);
        CHECK_INT(rc, -1);
    }
    CHECK_INT(cidr_parse(NULL, &range), -1);
    CHECK_INT(range.family, 99); /* untouched on failure */
    CHECK_INT(range.prefix, 77);
}

static void test_format(void)
{
    struct cidr range;
    char small[8], exact[sizeof "192.0.2.0/24"];
    CHECK_INT(cidr_parse("192.0.2.0/24", &range), 0);
    CHECK_INT(cidr_format(&range, small, sizeof small), -1);
    CHECK_INT(cidr_format(&range, exact, sizeof exact), (int)strlen("192.0.2.0/24"));
    CHECK_STR(exact, "192.0.2.0/24");
    CHECK_INT(cidr_format(&range, exact, sizeof exact - 1), -1); /* no room for the NUL */
    range.prefix = 33;
    CHECK_INT(cidr_format(&range, exact, sizeof exact), -1);
    range.family = 12345;
    CHECK_INT(cidr_format(&range, exact, sizeof exact), -1);
}

static void test_ip_parse(void)
{
    int family = 0;
    unsigned char addr[16];
    memset(addr, 0xaa, sizeof addr);
    CHECK_INT(ip_parse("192.0.2.5", &family, addr), 0);
    CHECK_INT(family, AF_INET);
    CHECK_INT(addr[3], 5);
    CHECK_INT(addr[15], 0);
    CHECK_INT(ip_parse("::ffff:192.0.2.5", &family, addr), 0);
    CHECK_INT(family, AF_INET6); /* as written */
    CHECK_INT(addr[10], 0xff);
    CHECK_INT(addr[15], 5);
    CHECK_INT(ip_parse("192.0.2.5/32", &family, addr), -1);
    CHECK_INT(ip_parse("", &family, addr), -1);
    CHECK_INT(ip_parse(NULL, &family, addr), -1);
    CHECK_INT(ip_parse("192.0.2.5 ", &family, addr), -1);
}

/* 1 if ip is in the range text (which must parse). */
static int in(const char *range_text, const char *ip)
{
    struct cidr range;
    if (cidr_parse(range_text, &range) != 0) {
        fprintf(stderr, "    range %s does not parse\n", range_text);
        check_fail(__FILE__, __LINE__, "range parses");
        return -1;
    }
    return cidr_contains(&range, ip);
}

static void test_contains(void)
{
    static const struct {
        const char *range, *ip;
        int want;
    } cases[] = {
        /* IPv4 boundaries */
        {"192.0.2.0/24", "192.0.2.0", 1},
        {"192.0.2.0/24", "192.0.2.255", 1},
        {"192.0.2.0/24", "192.0.1.255", 0},
        {"192.0.2.0/24", "192.0.3.0", 0},
        {"192.0.2.128/25", "192.0.2.127", 0},
        {"192.0.2.128/25", "192.0.2.128", 1},
        {"10.0.0.0/9", "10.127.255.255", 1},
        {"10.0.0.0/9", "10.128.0.0", 0},
        {"192.0.2.5/32", "192.0.2.5", 1},
        {"192.0.2.5/32", "192.0.2.4", 0},
        {"192.0.2.5/32", "192.0.2.6", 0},
        {"192.0.2.5", "192.0.2.5", 1},
        {"0.0.0.0/0", "0.0.0.0", 1},
        {"0.0.0.0/0", "255.255.255.255", 1},
        {"0.0.0.0/0", "2001:db8::1", 0}, /* families do not mix */
        /* IPv6 boundaries */
        {"2001:db8::/32", "2001:db8::", 1},
        {"2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 1},
        {"2001:db8::/32", "2001:db9::", 0},
        {"2001:db8::/32", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", 0},
        {"2001:db8::/33", "2001:db8:7fff::1", 1},
        {"2001:db8::/33", "2001:db8:8000::", 0},
        {"2001:db8::1/128", "2001:db8::1", 1},
        {"2001:db8::1/128", "2001:db8::0", 0},
        {"2001:db8::1/128", "2001:db8::2", 0},
        {"::/0", "::", 1},
        {"::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1},
        {"::/0", "192.0.2.5", 0},
        /* IPv4-mapped IPv6 addresses are their IPv4 address */
        {"192.0.2.0/24", "::ffff:192.0.2.5", 1},
        {"192.0.2.0/24", "::ffff:c000:205", 1},
        {"192.0.2.0/24", "::ffff:192.0.3.5", 0},
        {"0.0.0.0/0", "::ffff:1.2.3.4", 1},
        {"::ffff:192.0.2.0/120", "192.0.2.5", 1},
        {"::ffff:192.0.2.0/120", "192.0.3.5", 0},
        {"::ffff:192.0.2.0/120", "::ffff:192.0.2.200", 1},
        {"::ffff:0:0/96", "8.8.8.8", 1},
        {"::/0", "::ffff:192.0.2.5", 0}, /* a mapped client is an IPv4 client */
        {"::/64", "::ffff:192.0.2.5", 0},
        {"::192.0.2.0/120", "192.0.2.5", 0}, /* IPv4-compatible is not mapped */
        /* not addresses */
        {"0.0.0.0/0", "", 0},
        {"0.0.0.0/0", "192.0.2", 0},
        {"0.0.0.0/0", "192.0.2.5/32", 0},
        {"::/0", "garbage", 0},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        int got = in(cases[i].range, cases[i].ip);
        if (got != cases[i].want)
            fprintf(stderr, "    case %s in %s\n", cases[i].ip, cases[i].range);
        CHECK_INT(got, cases[i].want);
    }
    struct cidr range;
    CHECK_INT(cidr_parse("0.0.0.0/0", &range), 0);
    CHECK_INT(cidr_contains(&range, NULL), 0);
}

/* The proxies of the tests: a load balancer network and one IPv6 proxy. */
static struct cidr proxies[2];

static void make_proxies(void)
{
    CHECK_INT(cidr_parse("10.0.0.0/8", &proxies[0]), 0);
    CHECK_INT(cidr_parse("2001:db8:ffff::1", &proxies[1]), 0);
}

/* cidr_client_ip with the test proxies, into a static buffer ("(null)" for NULL). */
static const char *client(const char *peer, const char *xff)
{
    static char out[CIDR_IP_TEXT_MAX];
    const char *got = cidr_client_ip(peer, xff, proxies, ARRAY_LEN(proxies), out, sizeof out);
    return got ? got : "(null)";
}

static void test_client_ip(void)
{
    make_proxies();
    static const struct {
        const char *peer, *xff, *want;
    } cases[] = {
        /* An untrusted peer is the client; its header is ignored, whatever it says. */
        {"203.0.113.7", NULL, "203.0.113.7"},
        {"203.0.113.7", "", "203.0.113.7"},
        {"203.0.113.7", "198.51.100.1", "203.0.113.7"},
        {"203.0.113.7", "10.0.0.1", "203.0.113.7"},
        {"2001:db8::7", "198.51.100.1", "2001:db8::7"},
        /* A trusted peer without a header: the peer. */
        {"10.0.0.2", NULL, "10.0.0.2"},
        {"10.0.0.2", "", "10.0.0.2"},
        /* A trusted peer: the rightmost untrusted hop. */
        {"10.0.0.2", "198.51.100.1", "198.51.100.1"},
        {"10.0.0.2", "198.51.100.1, 10.0.0.3", "198.51.100.1"},
        {"10.0.0.2", "198.51.100.1,10.1.2.3,10.0.0.3", "198.51.100.1"},
        {"10.0.0.2", "\t198.51.100.1 ,  10.0.0.3 ", "198.51.100.1"},
        {"2001:db8:ffff::1", "2001:db8::42", "2001:db8::42"},
        {"10.0.0.2", "2001:db8::42, 2001:db8:ffff::1", "2001:db8::42"},
        /* Spoofed entries left of the client are never used. */
        {"10.0.0.2", "1.2.3.4, 198.51.100.1", "198.51.100.1"},
        {"10.0.0.2", "10.9.9.9, 1.2.3.4, 198.51.100.1", "198.51.100.1"},
        {"10.0.0.2", "garbage, 198.51.100.1", "198.51.100.1"},
        {"10.0.0.2", "1.2.3.4, 198.51.100.1, 10.0.0.3", "198.51.100.1"},
        /* All trusted: the leftmost. */
        {"10.0.0.2", "10.0.0.9, 10.0.0.3", "10.0.0.9"},
        /* Malformed entries stop the walk: the last good hop. */
        {"10.0.0.2", "garbage", "10.0.0.2"},
        {"10.0.0.2", "198.51.100.1,", "10.0.0.2"},
        {"10.0.0.2", "198.51.100.1, ", "10.0.0.2"},
        {"10.0.0.2", ",", "10.0.0.2"},
        {"10.0.0.2", "   ", "10.0.0.2"},
        {"10.0.0.2", "198.51.100.1, unknown, 10.0.0.3", "10.0.0.3"},
        {"10.0.0.2", "198.51.100.1,,10.0.0.3", "10.0.0.3"},
        {"10.0.0.2", "198.51.100.1, 10.0.0.3 10.0.0.4", "10.0.0.2"},
        {"10.0.0.2", "198.51.100.1/32", "10.0.0.2"},
        {"10.0.0.2", "999.1.1.1", "10.0.0.2"},
        {"10.0.0.2", "[198.51.100.1]", "10.0.0.2"}, /* brackets are for IPv6 */
        {"10.0.0.2", "198.51.100.1:99999", "10.0.0.2"},
        {"10.0.0.2", "198.51.100.1:", "10.0.0.2"},
        {"10.0.0.2", "[2001:db8::42", "10.0.0.2"},
        {"10.0.0.2", "[2001:db8::42]x", "10.0.0.2"},
        {"10.0.0.2", "1.2.3.4, 123456789012345678901234567890123456789012345678901234567890",
         "10.0.0.2"},
        /* Ports and brackets some proxies add. */
        {"10.0.0.2", "198.51.100.1:4711", "198.51.100.1"},
        {"10.0.0.2", "[2001:db8::42]", "2001:db8::42"},
        {"10.0.0.2", "[2001:db8::42]:443", "2001:db8::42"},
        /* Mapped addresses: matched and written as IPv4. */
        {"::ffff:10.0.0.2", "198.51.100.1", "198.51.100.1"},
        {"::ffff:203.0.113.7", "198.51.100.1", "203.0.113.7"},
        {"10.0.0.2", "::ffff:198.51.100.1", "198.51.100.1"},
        {"10.0.0.2", "198.51.100.1, ::ffff:10.0.0.3", "198.51.100.1"},
        /* A peer that is not an address. */
        {"", NULL, "(null)"},
        {NULL, "198.51.100.1", "(null)"},
        {"unix:/run/socket", "198.51.100.1", "(null)"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const char *got = client(cases[i].peer, cases[i].xff);
        if (strcmp(got, cases[i].want) != 0)
            fprintf(stderr, "    case peer %s, X-Forwarded-For [%s]\n",
                    cases[i].peer ? cases[i].peer : "(null)",
                    cases[i].xff ? cases[i].xff : "(null)");
        CHECK_STR(got, cases[i].want);
    }

    /* No trusted proxies at all: always the peer. */
    char out[CIDR_IP_TEXT_MAX];
    CHECK_STR(cidr_client_ip("10.0.0.2", "198.51.100.1", NULL, 0, out, sizeof out), "10.0.0.2");
    /* Too small a buffer. */
    char tiny[4] = "xyz";
    CHECK(cidr_client_ip("10.0.0.2", NULL, proxies, 2, tiny, sizeof tiny) == NULL);
    CHECK_STR(tiny, "");
}

void suite_cidr(void)
{
    RUN(test_parse_and_normalise);
    RUN(test_parse_refuses);
    RUN(test_format);
    RUN(test_ip_parse);
    RUN(test_contains);
    RUN(test_client_ip);
}
