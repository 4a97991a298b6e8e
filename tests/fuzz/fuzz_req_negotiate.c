/*
 * fuzz_req_negotiate.c: the request-header parsers of src/req.c that every page request runs:
 * req_accepts_gzip (Accept-Encoding) and req_etag_matches (If-None-Match). Input: two
 * NUL-separated fields, a header value and an entity tag.
 *
 * Checks: gzip is never accepted from a value that names neither gzip nor "*"; a well-formed
 * strong tag ("...", no quote or control character inside) always matches itself, its weak form
 * and a list that ends with it, and the fuzzed header is parsed against it and against a fixed
 * tag without reading past its end (ASan).
 */
#include <strings.h>

#include "fuzz.h"
#include "req.h"

/* 1 if tag is a quoted entity tag as Broadsheet makes them: '"', then printable ASCII without
 * '"', then '"'. */
static int well_formed_tag(const char *tag, size_t len)
{
    if (len < 2 || tag[0] != '"' || tag[len - 1] != '"')
        return 0;
    for (size_t i = 1; i + 1 < len; i++)
        if (tag[i] == '"' || tag[i] < 0x21 || tag[i] > 0x7e)
            return 0;
    return 1;
}

/* 1 if value mentions gzip (any case) or '*' anywhere. */
static int mentions_gzip(const char *value)
{
    for (const char *p = value; *p; p++)
        if (*p == '*' || !strncasecmp(p, "gzip", 4))
            return 1;
    return 0;
}

/* One input: a header value and an entity tag (see the top of the file). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_fields f;
    fuzz_fields_split(&f, data, size, 2);
    const char *value = f.field[0], *tag = f.field[1];

    int gzip = req_accepts_gzip(value);
    FUZZ_CHECK(gzip == 0 || gzip == 1);
    if (!mentions_gzip(value))
        FUZZ_CHECK(gzip == 0);

    FUZZ_CHECK(req_etag_matches(value, "\"3f9a0c1d2b4e5f60\"") >= 0);
    FUZZ_CHECK(req_etag_matches(value, "\"3f9a0c1d2b4e5f60-gz\"") >= 0);
    if (*tag)
        FUZZ_CHECK(req_etag_matches(value, tag) >= 0);

    if (well_formed_tag(tag, strlen(tag))) {
        char list[4200];
        FUZZ_CHECK(req_etag_matches(tag, tag) == 1);
        if (strlen(tag) < 4000) {
            snprintf(list, sizeof list, "W/%s", tag);
            FUZZ_CHECK(req_etag_matches(list, tag) == 1);
            snprintf(list, sizeof list, "\"other\", W/\"x\" ,%s", tag);
            FUZZ_CHECK(req_etag_matches(list, tag) == 1);
        }
    }
    fuzz_fields_free(&f);
    return 0;
}
