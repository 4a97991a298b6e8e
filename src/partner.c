/*
 * partner.c: partners' API keys and the default content of a product (partner.h).
 */
#include "partner.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>

/* The base64url text of PARTNER_KEY_RANDOM_BYTES without padding: 43 characters. */
#define KEY_TEXT_LEN (PARTNER_KEY_LEN - (sizeof PARTNER_KEY_PREFIX - 1))

int partner_key_new(char key[PARTNER_KEY_LEN + 1])
{
    if (sodium_init() < 0)
        return -1;
    unsigned char random[PARTNER_KEY_RANDOM_BYTES];
    randombytes_buf(random, sizeof random);
    memcpy(key, PARTNER_KEY_PREFIX, sizeof PARTNER_KEY_PREFIX - 1);
    /* sodium_bin2base64 writes the text and its NUL: 44 bytes from the prefix's end */
    sodium_bin2base64(key + sizeof PARTNER_KEY_PREFIX - 1, KEY_TEXT_LEN + 1, random, sizeof random,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(random, sizeof random);
    return 0;
}

int partner_key_valid(const char *key)
{
    if (!key || strlen(key) != PARTNER_KEY_LEN ||
        strncmp(key, PARTNER_KEY_PREFIX, sizeof PARTNER_KEY_PREFIX - 1) != 0)
        return 0;
    for (const char *p = key + sizeof PARTNER_KEY_PREFIX - 1; *p; p++) {
        int ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                 *p == '-' || *p == '_';
        if (!ok)
            return 0;
    }
    /* 43 characters carry 258 bits: the last one's two low bits are 0 in any key we made */
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t last = (size_t)(strchr(alphabet, key[PARTNER_KEY_LEN - 1]) - alphabet);
    return (last & 3) == 0;
}

int partner_key_digest(const char *key, char hash[PARTNER_KEY_HASH_LEN + 1],
                       char prefix[PARTNER_KEY_SHOWN_LEN + 1])
{
    if (!partner_key_valid(key) || sodium_init() < 0)
        return -1;
    unsigned char digest[PARTNER_KEY_HASH_LEN / 2];
    crypto_generichash(digest, sizeof digest, (const unsigned char *)key, PARTNER_KEY_LEN, NULL, 0);
    sodium_bin2hex(hash, PARTNER_KEY_HASH_LEN + 1, digest, sizeof digest);
    memcpy(prefix, key, PARTNER_KEY_SHOWN_LEN);
    prefix[PARTNER_KEY_SHOWN_LEN] = '\0';
    return 0;
}

/* 1 if publication p names the partner called name as the one it is produced for. */
static int produced_for(const struct publication *p, const char *name)
{
    return (p->partner && *p->partner && !strcasecmp(p->partner, name)) ||
           (p->partner_short && *p->partner_short && !strcasecmp(p->partner_short, name));
}

const char *partner_default_content(const char *name, const struct publication *publications,
                                    size_t n)
{
    if (!name || !*name || n == 0)
        return "preview";
    for (size_t i = 0; i < n; i++)
        if (!produced_for(&publications[i], name))
            return "preview";
    return "full";
}
