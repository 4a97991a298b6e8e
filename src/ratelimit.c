/*
 * ratelimit.c: the address part of rate-limit keys (ratelimit.h).
 */
#include "ratelimit.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

void ratelimit_address_key(const char *ip, char *out, size_t size)
{
    struct in6_addr a6;
    struct in_addr a4;
    if (!size)
        return;
    if (!ip)
        ip = "";
    if (inet_pton(AF_INET6, ip, &a6) == 1) {
        if (IN6_IS_ADDR_V4MAPPED(&a6)) { /* an IPv4 client on a dual-stack socket */
            memcpy(&a4, a6.s6_addr + 12, 4);
            if (inet_ntop(AF_INET, &a4, out, (socklen_t)size))
                return;
        } else {
            memset(a6.s6_addr + 8, 0, 8); /* the interface half */
            char text[INET6_ADDRSTRLEN];
            if (inet_ntop(AF_INET6, &a6, text, sizeof text)) {
                snprintf(out, size, "%s/64", text);
                return;
            }
        }
    }
    snprintf(out, size, "%s", ip);
}
