/*
 * fuzz_webhook.c: the webhook rules (src/webhook.c): webhook_url_check, which reads the URL an
 * operator registers for a partner, and webhook_address_refused, which judges every address
 * the delivery worker is about to connect to. Input: a URL; its first 4 bytes, when there are
 * at least 4, are also an IPv4 address and its first 16 an IPv6 one.
 *
 * Checks: an accepted URL is at most WEBHOOK_URL_MAX bytes of printable ASCII, starts with
 * http:// or https:// (any case) and has no '@' before its path; one accepted without
 * webhook_allow_private is accepted with it; a refusal says why, and the message never
 * overruns its buffer, whatever its size (ASan). An IPv4 address is judged the same as its
 * IPv4-mapped and NAT64 forms.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "webhook.h"

/* webhook_address_refused for IPv6 bytes. */
static const char *refused6(const unsigned char bytes[16])
{
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
    memcpy(in6.sin6_addr.s6_addr, bytes, 16);
    return webhook_address_refused((const struct sockaddr *)&in6);
}

static void check_addresses(const uint8_t *data, size_t size)
{
    if (size < 4)
        return;
    struct sockaddr_in in = {.sin_family = AF_INET};
    memcpy(&in.sin_addr, data, 4);
    const char *v4 = webhook_address_refused((const struct sockaddr *)&in);
    unsigned char mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    unsigned char nat64[16] = {0, 0x64, 0xff, 0x9b};
    memcpy(mapped + 12, data, 4);
    memcpy(nat64 + 12, data, 4);
    const char *m = refused6(mapped), *n = refused6(nat64);
    FUZZ_CHECK((v4 == NULL) == (m == NULL) && (!v4 || !strcmp(v4, m)));
    FUZZ_CHECK((v4 == NULL) == (n == NULL) && (!v4 || !strcmp(v4, n)));
    if (size >= 16)
        (void)refused6(data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_addresses(data, size);
    char *url = malloc(size + 1);
    memcpy(url, data, size);
    url[size] = '\0';
    size_t why_size = size ? data[size - 1] % 200 + 1 : 1;
    char *why = malloc(why_size);
    int strict = webhook_url_check(url, 0, why, why_size);
    if (strict != 0)
        FUZZ_CHECK(memchr(why, '\0', why_size) != NULL);
    int loose = webhook_url_check(url, 1, why, why_size);
    if (strict == 0)
        FUZZ_CHECK(loose == 0);
    if (loose == 0) {
        size_t len = strlen(url);
        FUZZ_CHECK(len <= WEBHOOK_URL_MAX);
        for (size_t i = 0; i < len; i++)
            FUZZ_CHECK(url[i] > ' ' && url[i] < 0x7f);
        FUZZ_CHECK(!strncasecmp(url, "http://", 7) || !strncasecmp(url, "https://", 8));
        const char *authority = strstr(url, "//");
        FUZZ_CHECK(authority != NULL);
        authority += 2;
        size_t end = strcspn(authority, "/?#");
        FUZZ_CHECK(!memchr(authority, '@', end));
    }
    free(why);
    free(url);
    return 0;
}
