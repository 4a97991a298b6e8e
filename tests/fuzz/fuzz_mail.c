/*
 * fuzz_mail.c: formatting a mail message (mail_format, src/mail.c): the recipient (a reader's
 * address), the subject and bodies (which carry readers' names and links) and the site's name,
 * checked and encoded into an RFC 5322 / MIME message. Input: six NUL-separated fields: to,
 * subject, text, html, site name, sender address (the default one when empty).
 *
 * Checks mail.h's promises on every message it formats: CRLF line endings only (no bare CR or
 * LF, so nothing can start a header or part of its own); header lines within RFC 5322's 998
 * characters and the Subject's within 78; quoted-printable body lines within 76 and none
 * starting with '.' (which could end the message on a relay that does not dot-stuff); and a
 * refusal (NULL) for every CR or LF in a header field.
 */
#include "fuzz.h"
#include "mail.h"

/* The checks above on a formatted message. */
static void check_message(const char *msg)
{
    const char *p = msg;
    int in_headers = 1, in_subject = 0;
    while (*p) {
        const char *end = strstr(p, "\r\n");
        FUZZ_CHECK(end != NULL); /* every line ends with CRLF */
        size_t len = (size_t)(end - p);
        FUZZ_CHECK(memchr(p, '\r', len) == NULL && memchr(p, '\n', len) == NULL);
        if (in_headers) {
            if (len == 0) {
                in_headers = 0;
            } else {
                FUZZ_CHECK(len <= 998);
                if (p[0] != ' ' && p[0] != '\t')
                    in_subject = len >= 8 && !memcmp(p, "Subject:", 8);
                if (in_subject)
                    FUZZ_CHECK(len <= 78);
            }
        } else if (len > 0) {
            int boundary = len >= 4 && !memcmp(p, "--=_", 4);
            int header = len >= 8 && !memcmp(p, "Content-", 8); /* a part's own headers */
            if (!boundary && !header) {
                FUZZ_CHECK(len <= 76);
                FUZZ_CHECK(p[0] != '.');
            }
        }
        p = end + 2;
    }
}

/* One input: the six fields of a message and its sender (see the top of the file). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_fields f;
    fuzz_fields_split(&f, data, size, 6);
    struct mail_config c = {.from_address = *f.field[5] ? f.field[5] : "news@example.org",
                            .site_name = f.field[4],
                            .outbox_dir = "/nonexistent"};
    struct mail_message m = {
        .to = f.field[0], .subject = f.field[1], .text = f.field[2], .html = f.field[3]};
    char *msg = mail_format(&c, &m);
    if (msg) {
        check_message(msg);
        free(msg);
    }
    if (strpbrk(m.to, "\r\n") || strpbrk(m.subject, "\r\n") || strpbrk(c.site_name, "\r\n") ||
        strpbrk(c.from_address, "\r\n"))
        FUZZ_CHECK(msg == NULL);
    fuzz_fields_free(&f);
    return 0;
}
