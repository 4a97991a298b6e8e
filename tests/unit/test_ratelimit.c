/*
 * test_ratelimit.c: tests of src/ratelimit.c: the key of a client address (an IPv6 client's
 * /64). The limits themselves are tested in test_limits_store.c.
 */
#include <string.h>

#include "check.h"
#include "ratelimit.h"

/* IPv6 clients are keyed by their /64, IPv4 ones by their address. */
static void test_address_key(void)
{
    static const struct {
        const char *ip, *key;
    } cases[] = {
        {"192.0.2.1", "192.0.2.1"},
        {"::ffff:192.0.2.1", "192.0.2.1"},
        {"2001:db8:1:2::1", "2001:db8:1:2::/64"},
        {"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
        {"2001:DB8:1:2:0:0:0:99", "2001:db8:1:2::/64"},
        {"2001:db8:1:3::1", "2001:db8:1:3::/64"},
        {"::1", "::/64"},
        {"fe80::1:2:3:4", "fe80::/64"},
        {"not an address", "not an address"},
        {"", ""},
    };
    char out[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ratelimit_address_key(cases[i].ip, out, sizeof out);
        CHECK_STR(out, cases[i].key);
    }
    ratelimit_address_key(NULL, out, sizeof out);
    CHECK_STR(out, "");
    char small[8];
    ratelimit_address_key("2001:db8:1:2::1", small, sizeof small); /* cut, never overrun */
    CHECK_INT(strlen(small), 7);
}

void suite_ratelimit(void)
{
    RUN(test_address_key);
}
