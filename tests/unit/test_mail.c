/*
 * test_mail.c: tests of src/mail.c, read the way a mail client reads the result. Formatting:
 * every header is there and well-formed (Date, Message-ID, From with the site name, To,
 * Subject encoded or folded, MIME), the multipart body is split by its boundary into a text and
 * an HTML part, quoted-printable decodes back to the exact text (this file has its own decoders
 * for quoted-printable, base64 and encoded-words), every line is CRLF-terminated, ASCII and
 * within its length limit. Refusals: header injection and bad addresses fail and send nothing.
 * Outbox: a 0600 .eml file appears atomically with the same message. SMTP: a real server
 * (tests/unit/smtp_sink.py on aiosmtpd, run with /usr/bin/python3 from the repository root)
 * receives the message with the right envelope, headers and body; required STARTTLS and
 * credentials are enforced; a closed port fails fast; the password never shows in an error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "mail.h"
#include "util.h"

#define PYTHON "/usr/bin/python3" /* Debian's, which has python3-aiosmtpd */
#define SINK "tests/unit/smtp_sink.py"
#define SINK_SKIPPED 77 /* smtp_sink.py's exit status when aiosmtpd is missing */

static const struct mail_config config = {
    .smtp_url = "",
    .from_address = "news@example.org",
    .site_name = "National Journal",
    .outbox_dir = "",
};

static const struct mail_message message = {
    .to = "reader@example.com",
    .subject = "Confirm your email address",
    .text = "Hello,\n\nConfirm your address: https://example.org/account/verify?t=abc123\n",
    .html = "<!doctype html>\n<p>Hello,</p>\n"
            "<p><a href=\"https://example.org/account/verify?t=abc123\">Confirm</a></p>\n",
};

/* --- decoders: what a mail client does ------------------------------------------------------- */

/* Decodes quoted-printable s; NULL if it holds an '=' that is neither a soft line break nor
 * two uppercase hex digits. The caller frees the result. */
static char *qp_decode(const char *s)
{
    struct buf out = BUF_INIT;
    buf_puts(&out, "");
    while (*s) {
        if (*s != '=') {
            buf_putc(&out, *s++);
        } else if (s[1] == '\r' && s[2] == '\n') {
            s += 3;
        } else if (s[1] && s[2] && strchr("0123456789ABCDEF", s[1]) &&
                   strchr("0123456789ABCDEF", s[2])) {
            char hex[3] = {s[1], s[2], '\0'};
            buf_putc(&out, (char)strtol(hex, NULL, 16));
            s += 3;
        } else {
            buf_free(&out);
            return NULL;
        }
    }
    return buf_detach(&out, NULL);
}

/* Decodes len bytes of base64 into out; -1 on a character outside the alphabet. */
static int b64_decode(const char *s, size_t len, struct buf *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned v = 0;
    int bits = 0;
    for (size_t i = 0; i < len && s[i] != '='; i++) {
        const char *p = strchr(alphabet, s[i]);
        if (!p || !s[i])
            return -1;
        v = (v << 6) | (unsigned)(p - alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf_putc(out, (char)((v >> bits) & 0xFF));
        }
    }
    return 0;
}

/* Decodes a header value made of "=?UTF-8?B?...?=" words separated by white space (plain text
 * is returned as it is). Checks each word is at most 75 characters and holds whole UTF-8
 * characters. The caller frees the result. */
static char *words_decode(const char *value)
{
    if (strncmp(value, "=?", 2) != 0)
        return xstrdup(value);
    struct buf out = BUF_INIT;
    buf_puts(&out, "");
    const char *p = value;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        CHECK(strncmp(p, "=?UTF-8?B?", 10) == 0);
        const char *end = strstr(p + 10, "?=");
        CHECK(end != NULL);
        if (strncmp(p, "=?UTF-8?B?", 10) != 0 || !end)
            break;
        CHECK(end + 2 - p <= 75);
        struct buf word = BUF_INIT;
        CHECK(b64_decode(p + 10, (size_t)(end - p - 10), &word) == 0);
        CHECK(word.len > 0 && util_utf8_valid(word.data, word.len));
        if (word.len)
            buf_append(&out, word.data, word.len);
        buf_free(&word);
        p = end + 2;
    }
    return buf_detach(&out, NULL);
}

/* The value of header name in the header section of msg (the part before the first empty
 * line), unfolded and without the space after the colon; NULL if absent. Caller frees. */
static char *header_value(const char *msg, const char *name)
{
    const char *end = strstr(msg, "\r\n\r\n");
    size_t n = strlen(name);
    for (const char *line = msg; line && end && line < end;) {
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            struct buf v = BUF_INIT;
            buf_puts(&v, "");
            const char *p = line + n + 1;
            if (*p == ' ')
                p++;
            for (;;) {
                const char *eol = strstr(p, "\r\n");
                buf_append(&v, p, (size_t)(eol - p));
                if (eol[2] != ' ' && eol[2] != '\t')
                    break;
                p = eol + 2; /* unfolding removes only the CRLF */
            }
            return buf_detach(&v, NULL);
        }
        line = strstr(line, "\r\n");
        line = line ? line + 2 : NULL;
    }
    return NULL;
}

/* text with every "\n" made "\r\n", as a mail client gives back a decoded text part. */
static char *crlf(const char *text)
{
    struct buf out = BUF_INIT;
    buf_puts(&out, "");
    for (; *text; text++) {
        if (*text == '\n')
            buf_putc(&out, '\r');
        buf_putc(&out, *text);
    }
    return buf_detach(&out, NULL);
}

/* Checks the rules every line of a message must keep: printable ASCII only (and tabs, which
 * quoted-printable keeps literally, in the body), CRLF endings and no bare CR
 * or LF, headers within 78 columns, body lines within 76, no trailing white space in the body
 * (where a transport could strip it). */
static void check_lines(const char *msg)
{
    int in_body = 0;
    const char *line = msg;
    while (*line) {
        const char *eol = strstr(line, "\r\n");
        CHECK(eol != NULL);
        if (!eol)
            return;
        size_t len = (size_t)(eol - line);
        for (size_t i = 0; i < len; i++) {
            unsigned char ch = (unsigned char)line[i];
            int ok = (ch >= 0x20 && ch < 0x7F) || (ch == '\t' && in_body);
            CHECK(ok);
            if (!ok) {
                fprintf(stderr, "    bad byte 0x%02x in line [%.*s]\n", ch, (int)len, line);
                return;
            }
        }
        if (len == 0)
            in_body = 1;
        CHECK(len <= (in_body ? 76u : 78u));
        if (in_body && len)
            CHECK(line[len - 1] != ' ' && line[len - 1] != '\t');
        line = eol + 2;
    }
}

/* The boundary from the message's Content-Type header, or NULL. Caller frees. */
static char *boundary_of(const char *msg)
{
    char *type = header_value(msg, "Content-Type");
    char *boundary = NULL;
    const char *p = type ? strstr(type, "boundary=\"") : NULL;
    if (p) {
        p += strlen("boundary=\"");
        const char *q = strchr(p, '"');
        if (q)
            boundary = xstrndup(p, (size_t)(q - p));
    }
    free(type);
    return boundary;
}

/* Splits a multipart/alternative message into its two parts (each its headers, an empty line
 * and its encoded content), checking the delimiters are exactly where RFC 2046 puts them: the
 * body opens with "--B", parts are separated by CRLF "--B" CRLF, and CRLF "--B--" CRLF ends the
 * message. Returns 0 and heap strings, or -1. */
static int split_parts(const char *msg, char **first, char **second)
{
    *first = *second = NULL;
    char *boundary = boundary_of(msg);
    const char *body = strstr(msg, "\r\n\r\n");
    if (!boundary || !body) {
        free(boundary);
        return -1;
    }
    body += 4;
    struct buf open = BUF_INIT, mid = BUF_INIT, close = BUF_INIT;
    buf_printf(&open, "--%s\r\n", boundary);
    buf_printf(&mid, "\r\n--%s\r\n", boundary);
    buf_printf(&close, "\r\n--%s--\r\n", boundary);
    int ret = -1;
    const char *m = strstr(body, mid.data), *c = strstr(body, close.data);
    if (strncmp(body, open.data, open.len) == 0 && m && c && m < c && strlen(c) == close.len &&
        !strstr(m + mid.len, mid.data)) {
        *first = xstrndup(body + open.len, (size_t)(m - body - open.len));
        *second = xstrndup(m + mid.len, (size_t)(c - m - mid.len));
        ret = 0;
    }
    buf_free(&open);
    buf_free(&mid);
    buf_free(&close);
    free(boundary);
    return ret;
}

/* The decoded content of a part (after its empty line), checking its headers say type with
 * charset=utf-8 in quoted-printable. Caller frees; NULL if it does not decode. */
static char *part_text(const char *part, const char *type)
{
    char *ctype = header_value(part, "Content-Type");
    char *cte = header_value(part, "Content-Transfer-Encoding");
    struct buf want = BUF_INIT;
    buf_printf(&want, "%s; charset=utf-8", type);
    CHECK_STR(ctype, want.data);
    CHECK_STR(cte, "quoted-printable");
    buf_free(&want);
    free(ctype);
    free(cte);
    const char *content = strstr(part, "\r\n\r\n");
    return content ? qp_decode(content + 4) : NULL;
}

/* The encoded text part of a message formatted from text (with the usual html), for checking
 * exact quoted-printable output. Caller frees. */
static char *encoded_text_part(const char *text)
{
    struct mail_message m = message;
    m.text = text;
    char *msg = mail_format(&config, &m);
    char *first = NULL, *second = NULL;
    char *out = NULL;
    if (msg && split_parts(msg, &first, &second) == 0)
        out = xstrdup(strstr(first, "\r\n\r\n") + 4);
    free(msg);
    free(first);
    free(second);
    return out ? out : xstrdup("(no part)");
}

/* s with every occurrence of from replaced by to. Caller frees. */
static char *replace_all(const char *s, const char *from, const char *to)
{
    struct buf out = BUF_INIT;
    buf_puts(&out, "");
    size_t n = strlen(from);
    for (const char *hit; n && (hit = strstr(s, from)) != NULL; s = hit + n) {
        buf_append(&out, s, (size_t)(hit - s));
        buf_puts(&out, to);
    }
    buf_puts(&out, s);
    return buf_detach(&out, NULL);
}

/* msg with its random parts (Date, Message-ID, boundary) replaced by fixed text, so two
 * formattings of one message compare equal. Caller frees. */
static char *normalize(const char *msg)
{
    char *date = header_value(msg, "Date"), *id = header_value(msg, "Message-ID");
    char *boundary = boundary_of(msg);
    char *a = replace_all(msg, date ? date : "", "DATE");
    char *b = replace_all(a, id ? id : "", "ID");
    char *c = replace_all(b, boundary ? boundary : "", "BOUNDARY");
    free(date);
    free(id);
    free(boundary);
    free(a);
    free(b);
    return c;
}

/* --- temporary directories ------------------------------------------------------------------- */

/* nftw callback: removes one entry (children first, as FTW_DEPTH orders them). */
static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    remove(path);
    return 0;
}

/* rm -rf dir. */
static void remove_tree(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Makes a fresh directory /tmp/broadsheet-mail-XXXXXX in dir (64 bytes). Returns 0 or -1. */
static int make_tmpdir(char *dir)
{
    snprintf(dir, 64, "/tmp/broadsheet-mail-XXXXXX");
    if (mkdtemp(dir))
        return 0;
    CHECK(!"mkdtemp failed");
    return -1;
}

/* Number of entries in dir other than . and .. (-1 if it cannot be opened). */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* --- formatting ------------------------------------------------------------------------------ */

static void test_headers(void)
{
    time_t before = time(NULL);
    char *msg = mail_format(&config, &message);
    CHECK(msg != NULL);
    if (!msg)
        return;
    check_lines(msg);

    char *date = header_value(msg, "Date");
    struct tm tm = {0};
    const char *rest = date ? strptime(date, "%a, %d %b %Y %H:%M:%S +0000", &tm) : NULL;
    CHECK(rest != NULL && *rest == '\0');
    if (rest) {
        time_t t = timegm(&tm);
        CHECK(t >= before && t <= time(NULL) + 1);
    }
    CHECK(date && strlen(date) == strlen("Mon, 01 Jan 2024 00:00:00 +0000"));

    char *id = header_value(msg, "Message-ID");
    CHECK(id && strlen(id) == 1 + 32 + strlen("@example.org>") && id[0] == '<' &&
          strspn(id + 1, "0123456789abcdef") == 32 && strcmp(id + 33, "@example.org>") == 0);

    char *from = header_value(msg, "From"), *to = header_value(msg, "To");
    char *subject = header_value(msg, "Subject"), *mime = header_value(msg, "MIME-Version");
    char *type = header_value(msg, "Content-Type");
    CHECK_STR(from, "National Journal <news@example.org>");
    CHECK_STR(to, "reader@example.com");
    CHECK_STR(subject, "Confirm your email address");
    CHECK_STR(mime, "1.0");
    CHECK(type && strncmp(type, "multipart/alternative;", 22) == 0);
    char *boundary = boundary_of(msg);
    CHECK(boundary && strlen(boundary) >= 20 && strncmp(boundary, "=_", 2) == 0);

    /* A second message gets its own Message-ID and boundary. */
    char *again = mail_format(&config, &message);
    char *id2 = again ? header_value(again, "Message-ID") : NULL;
    char *boundary2 = again ? boundary_of(again) : NULL;
    CHECK(id && id2 && strcmp(id, id2) != 0);
    CHECK(boundary && boundary2 && strcmp(boundary, boundary2) != 0);

    free(date);
    free(id);
    free(from);
    free(to);
    free(subject);
    free(mime);
    free(type);
    free(boundary);
    free(again);
    free(id2);
    free(boundary2);
    free(msg);
}

static void test_multipart_structure(void)
{
    char *msg = mail_format(&config, &message);
    char *text_part = NULL, *html_part = NULL;
    CHECK(msg && split_parts(msg, &text_part, &html_part) == 0);
    if (text_part && html_part) {
        char *text = part_text(text_part, "text/plain");
        char *html = part_text(html_part, "text/html");
        char *want_text = crlf(message.text), *want_html = crlf(message.html);
        CHECK_STR(text, want_text);
        CHECK_STR(html, want_html);
        free(text);
        free(html);
        free(want_text);
        free(want_html);
    }
    free(text_part);
    free(html_part);
    free(msg);

    /* Without HTML the message is a single text/plain part. */
    struct mail_message m = message;
    m.html = NULL;
    msg = mail_format(&config, &m);
    CHECK(msg != NULL);
    if (msg) {
        check_lines(msg);
        CHECK(!strstr(msg, "multipart"));
        char *text = part_text(msg, "text/plain");
        char *want = crlf(m.text);
        CHECK_STR(text, want);
        free(text);
        free(want);
    }
    free(msg);
}

static void test_quoted_printable(void)
{
    static const struct {
        const char *text, *encoded;
    } cases[] = {
        {"caf\xc3\xa9 = ok", "caf=C3=A9 =3D ok"},
        {"trailing  \nnext\t", "trailing =20\r\nnext=09"},
        {"windows\r\nline", "windows\r\nline"},
        {".leading dot\n.", "=2Eleading dot\r\n=2E"},
        {"lone\rcr", "lone=0Dcr"},
        /* 76 characters fit on a line when nothing follows; 77 need a soft break after 75. */
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=\r\naa"},
        /* An escape is never split by a soft break. */
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9",
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=\r\n=C3=A9"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char *got = encoded_text_part(cases[i].text);
        CHECK_STR(got, cases[i].encoded);
        free(got);
    }

    /* A long paragraph of accented words, '=' signs, tabs and trailing spaces comes back
     * exactly, in lines of at most 76 characters. */
    struct buf text = BUF_INIT;
    for (int i = 0; i < 40; i++)
        buf_printf(&text, "R\xc3\xa9sum\xc3\xa9 \xe2\x82\xac%d=x\t", i);
    buf_puts(&text, "   \nsecond line \xf0\x9f\x93\xb0 ends in a tab\t\n\nhttps://example.org/"
                    "account/reset?token=3f2a9c&next=%2F\n");
    struct mail_message m = message;
    m.text = text.data;
    char *msg = mail_format(&config, &m);
    char *text_part = NULL, *html_part = NULL;
    CHECK(msg && split_parts(msg, &text_part, &html_part) == 0);
    if (msg)
        check_lines(msg);
    if (text_part) {
        char *decoded = part_text(text_part, "text/plain");
        char *want = crlf(text.data);
        CHECK_STR(decoded, want);
        free(decoded);
        free(want);
    }
    free(text_part);
    free(html_part);
    free(msg);
    buf_free(&text);
}

static void test_subject(void)
{
    static const char *const subjects[] = {
        "V\xc3\xa9rifiez votre adresse \xe2\x80\x93 National Journal",
        /* Long enough to need several encoded-words; the multi-byte characters must not be
         * split between them. */
        "\xe2\x82\xac\xc3\xa9\xf0\x9f\x93\xb0 R\xc3\xa9initialisez votre mot de passe \xc3\xa0 "
        "l'\xc3\xa9\x64ition du soir, \xe2\x80\x9cLe Journal\xe2\x80\x9d \xe2\x80\x94 "
        "\xe6\x96\xb0\xe8\x81\x9e\xe6\x96\xb0\xe8\x81\x9e\xe6\x96\xb0\xe8\x81\x9e",
        /* ASCII, folded onto several lines. */
        "Reset your password for National Journal: the link in this message works for one "
        "hour and can be used once, after which you will need to ask for another one",
        /* Looks like an encoded-word: encoded so it reads as itself. */
        "Price =?UTF-8?B?Zm9v?= today",
        "",
    };
    for (size_t i = 0; i < ARRAY_LEN(subjects); i++) {
        struct mail_message m = message;
        m.subject = subjects[i];
        char *msg = mail_format(&config, &m);
        CHECK(msg != NULL);
        if (!msg)
            continue;
        check_lines(msg);
        char *raw = header_value(msg, "Subject");
        char *decoded = raw ? words_decode(raw) : NULL;
        CHECK_STR(decoded, subjects[i]);
        int ascii = strspn(subjects[i], " abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        ":',") == strlen(subjects[i]);
        CHECK(ascii == (raw && strncmp(raw, "=?", 2) != 0));
        free(raw);
        free(decoded);
        free(msg);
    }
}

/* Found by fuzzing (tests/fuzz/fuzz_mail.c): a run of blanks in a plain subject was never
 * folded, so the Subject line grew past 78 columns (and, long enough, past RFC 5322's 998), and
 * blanks at the end could only have gone on a line of white space alone. Such a subject is
 * folded at its blanks when every piece fits, and encoded otherwise; either way it reads back
 * exactly. */
static void test_subject_blank_runs(void)
{
    char run[128], after_long_word[128], trailing[128], tabs[128];
    snprintf(run, sizeof run, "a%100sb", "");
    snprintf(after_long_word, sizeof after_long_word, "%.50s%30sx",
             "Reporting-from-the-field-with-a-very-long-hyphenated-word", "");
    snprintf(trailing, sizeof trailing, "%.50s%30s",
             "Reporting-from-the-field-with-a-very-long-hyphenated-word", "");
    snprintf(tabs, sizeof tabs,
             "x\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t"
             "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\ty");
    const char *const subjects[] = {run, after_long_word, trailing, tabs, "   "};
    for (size_t i = 0; i < ARRAY_LEN(subjects); i++) {
        struct mail_message m = message;
        m.subject = subjects[i];
        char *msg = mail_format(&config, &m);
        CHECK(msg != NULL);
        if (!msg)
            continue;
        check_lines(msg);
        char *raw = header_value(msg, "Subject");
        char *decoded = raw ? words_decode(raw) : NULL;
        CHECK_STR(decoded, subjects[i]);
        free(raw);
        free(decoded);
        free(msg);
    }
    /* The 30 blanks after a 50-letter word fit on a line of their own with the next word:
     * folded, not encoded. */
    struct mail_message m = message;
    m.subject = after_long_word;
    char *msg = mail_format(&config, &m), folded[160];
    snprintf(folded, sizeof folded, "\r\nSubject: %.50s\r\n%30sx\r\n", after_long_word, "");
    CHECK(msg && strstr(msg, folded));
    free(msg);
}

static void test_from_display_name(void)
{
    static const struct {
        const char *site_name, *from;
    } cases[] = {
        {"National Journal", "National Journal <news@example.org>"},
        {"The Post, Inc.", "\"The Post, Inc.\" <news@example.org>"},
        {"Say \"hi\" \\ bye", "\"Say \\\"hi\\\" \\\\ bye\" <news@example.org>"},
        {"", "<news@example.org>"},
        {NULL, "<news@example.org>"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct mail_config c = config;
        c.site_name = cases[i].site_name;
        char *msg = mail_format(&c, &message);
        char *from = msg ? header_value(msg, "From") : NULL;
        CHECK_STR(from, cases[i].from);
        free(from);
        free(msg);
    }

    struct mail_config c = config;
    c.site_name = "Le Journal \xe2\x80\x93 \xc3\x89\x64ition";
    char *msg = mail_format(&c, &message);
    char *from = msg ? header_value(msg, "From") : NULL;
    const char *addr = from ? strstr(from, " <news@example.org>") : NULL;
    CHECK(addr && strcmp(addr, " <news@example.org>") == 0);
    if (addr) {
        char *name = xstrndup(from, (size_t)(addr - from));
        char *decoded = words_decode(name);
        CHECK_STR(decoded, c.site_name);
        CHECK(strncmp(name, "=?UTF-8?B?", 10) == 0);
        free(name);
        free(decoded);
    }
    free(from);
    free(msg);
}

/* Found by fuzzing (tests/fuzz/fuzz_mail.c): a long site name went into From as one phrase or
 * quoted-string, which cannot be folded, so the line passed 78 columns and, long enough, RFC
 * 5322's 998. Such a name is encoded (encoded-words fold) and reads back the same; the address
 * goes on a line of its own when it does not fit after the name. */
static void test_from_long_site_name(void)
{
    char words[1200] = "", quotes[80];
    while (strlen(words) < 1100)
        strcat(words, "Journal ");
    words[strlen(words) - 1] = '\0';
    memset(quotes, '"', 60);
    quotes[60] = '\0';
    const char *const names[] = {
        words,
        "The National Journal of Record and Other Matters of Public Interest",
        quotes,
    };
    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        struct mail_config c = config;
        c.site_name = names[i];
        char *msg = mail_format(&c, &message);
        CHECK(msg != NULL);
        if (!msg)
            continue;
        check_lines(msg);
        char *from = header_value(msg, "From");
        const char *addr = from ? strstr(from, " <news@example.org>") : NULL;
        CHECK(addr && strcmp(addr, " <news@example.org>") == 0);
        if (addr) {
            char *name = xstrndup(from, (size_t)(addr - from));
            char *decoded = words_decode(name);
            CHECK_STR(decoded, names[i]);
            free(name);
            free(decoded);
        }
        free(from);
        free(msg);
    }
}

/* Sends m with c and checks it is refused with a reason and that nothing reached the outbox. */
static void check_refused(const struct mail_config *c, const struct mail_message *m,
                          const char *reason)
{
    char dir[64], outbox[128], err[256] = "", path[256] = "x";
    if (make_tmpdir(dir) < 0)
        return;
    snprintf(outbox, sizeof outbox, "%s/outbox", dir);
    struct mail_config cc = *c;
    cc.outbox_dir = outbox;
    char *msg = mail_format(&cc, m);
    CHECK(msg == NULL);
    free(msg);
    CHECK_INT(mail_send(&cc, m, err, sizeof err, path, sizeof path), -1);
    if (!strstr(err, reason))
        fprintf(stderr, "    err: [%s], want it to contain [%s]\n", err, reason);
    CHECK(strstr(err, reason) != NULL);
    CHECK_STR(path, "");
    CHECK_INT(count_entries(outbox), -1); /* not even created */
    remove_tree(dir);
}

static void test_refusals(void)
{
    static const char *const injections[] = {
        "reader@example.com\r\nBcc: everyone@example.net",
        "reader@example.com\nBcc: everyone@example.net",
        "reader@example.com\r",
    };
    for (size_t i = 0; i < ARRAY_LEN(injections); i++) {
        struct mail_message m = message;
        m.to = injections[i];
        check_refused(&config, &m, "CR or LF");
        m = message;
        m.subject = injections[i];
        check_refused(&config, &m, "CR or LF");
        struct mail_config c = config;
        c.from_address = injections[i];
        check_refused(&c, &message, "CR or LF");
        c = config;
        c.site_name = injections[i];
        check_refused(&c, &message, "CR or LF");
    }

    static const char *const bad_addresses[] = {
        "",
        "reader",
        "reader@",
        "@example.com",
        "a b@example.com",
        "reader@example.com ",
        "a@b@example.com",
        "<reader@example.com>",
        "reader@example.com,other@example.com",
        "r\xc3\xa9\x61\x64\x65r@example.com",
        "reader@example.com>\tX",
    };
    for (size_t i = 0; i < ARRAY_LEN(bad_addresses); i++) {
        struct mail_message m = message;
        m.to = bad_addresses[i];
        check_refused(&config, &m, "invalid recipient");
        struct mail_config c = config;
        c.from_address = bad_addresses[i];
        check_refused(&c, &message, "invalid sender");
    }
    struct mail_message m = message;
    m.to = NULL;
    check_refused(&config, &m, "invalid recipient");
    m = message;
    m.subject = "bad \xc3\x28 utf-8";
    check_refused(&config, &m, "UTF-8");
    m = message;
    m.text = NULL;
    check_refused(&config, &m, "no text");

    /* Neither SMTP nor an outbox: an error, not a silent drop. */
    char err[256] = "";
    struct mail_config c = config;
    c.outbox_dir = NULL;
    CHECK_INT(mail_send(&c, &message, err, sizeof err, NULL, 0), -1);
    CHECK(strstr(err, "neither") != NULL);
}

/* --- outbox ---------------------------------------------------------------------------------- */

static void test_outbox(void)
{
    char dir[64], outbox[128], path[256] = "", err[256] = "";
    if (make_tmpdir(dir) < 0)
        return;
    snprintf(outbox, sizeof outbox, "%s/var/mail/outbox", dir); /* parents made too */
    struct mail_config c = config;
    c.outbox_dir = outbox;
    struct mail_message m = message;
    m.subject = "Bienvenue \xc3\xa0 National Journal";
    CHECK_INT(mail_send(&c, &m, err, sizeof err, path, sizeof path), 0);
    CHECK_STR(err, "");

    /* <outbox>/YYYYmmdd-HHMMSS-<16 hex>.eml */
    size_t dirlen = strlen(outbox);
    const char *name = path + dirlen + 1;
    CHECK(strncmp(path, outbox, dirlen) == 0 && path[dirlen] == '/');
    CHECK(strlen(name) == 8 + 1 + 6 + 1 + 16 + 4 && strspn(name, "0123456789") == 8 &&
          name[8] == '-' && strspn(name + 9, "0123456789") == 6 && name[15] == '-' &&
          strspn(name + 16, "0123456789abcdef") == 16 && strcmp(name + 32, ".eml") == 0);

    struct stat st;
    CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600);
    CHECK(stat(outbox, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700);
    CHECK_INT(count_entries(outbox), 1); /* no temporary file left behind */

    char *file = util_read_file(path, NULL);
    char *formatted = mail_format(&c, &m);
    CHECK(file && formatted);
    if (file && formatted) {
        check_lines(file);
        char *a = normalize(file), *b = normalize(formatted);
        CHECK_STR(a, b);
        free(a);
        free(b);
        char *subject = header_value(file, "Subject");
        char *decoded = subject ? words_decode(subject) : NULL;
        CHECK_STR(decoded, m.subject);
        free(subject);
        free(decoded);
    }
    free(file);
    free(formatted);

    /* A second message is a second file. */
    char path2[256] = "";
    CHECK_INT(mail_send(&c, &m, err, sizeof err, path2, sizeof path2), 0);
    CHECK(strcmp(path, path2) != 0);
    CHECK_INT(count_entries(outbox), 2);

    /* A path buffer too small fails before anything is written. */
    char small[16];
    CHECK_INT(mail_send(&c, &m, err, sizeof err, small, sizeof small), -1);
    CHECK(strstr(err, "path") != NULL);
    CHECK_INT(count_entries(outbox), 2);

    /* An outbox that cannot be created is an error. */
    char blocked[300];
    snprintf(blocked, sizeof blocked, "%s/sub", path); /* under a regular file */
    c.outbox_dir = blocked;
    CHECK_INT(mail_send(&c, &m, err, sizeof err, NULL, 0), -1);
    CHECK(strstr(err, "outbox") != NULL);
    remove_tree(dir);
}

/* --- SMTP ------------------------------------------------------------------------------------ */

/* A running smtp_sink.py. */
struct sink {
    pid_t pid;
    int stdin_fd; /* our end of its standard input; closing it stops the sink */
    char dir[64];
    char port_file[128];
    char maildir[128];
    char url[64]; /* smtp://127.0.0.1:PORT */
};

/* Starts the sink (with auth "USER:PASSWORD" or NULL). Returns 1 when it is listening, 0 when
 * the test should be skipped (a note is printed), -1 on failure (a check has failed). */
static int sink_start(struct sink *s, const char *auth)
{
    memset(s, 0, sizeof *s);
    s->pid = -1;
    s->stdin_fd = -1;
    if (access(PYTHON, X_OK) != 0) {
        fprintf(stderr, "    note: %s not found; SMTP test skipped\n", PYTHON);
        return 0;
    }
    CHECK(access(SINK, R_OK) == 0); /* run from the repository root */
    if (make_tmpdir(s->dir) < 0)
        return -1;
    snprintf(s->port_file, sizeof s->port_file, "%s/port", s->dir);
    snprintf(s->maildir, sizeof s->maildir, "%s/mail", s->dir);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        CHECK(!"pipe failed");
        return -1;
    }
    fflush(NULL);
    s->pid = fork();
    if (s->pid == 0) {
        dup2(fds[0], 0); /* dup2 clears O_CLOEXEC on the copy */
        if (auth)
            execl(PYTHON, PYTHON, SINK, s->port_file, s->maildir, "--auth", auth, (char *)NULL);
        else
            execl(PYTHON, PYTHON, SINK, s->port_file, s->maildir, (char *)NULL);
        _exit(127);
    }
    close(fds[0]);
    s->stdin_fd = fds[1];
    if (s->pid < 0) {
        CHECK(!"fork failed");
        return -1;
    }
    for (int64_t deadline = util_monotonic_ms() + 15000; util_monotonic_ms() < deadline;) {
        char *port = util_read_file(s->port_file, NULL);
        if (port) {
            snprintf(s->url, sizeof s->url, "smtp://127.0.0.1:%d", atoi(port));
            free(port);
            return 1;
        }
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = -1;
            if (WIFEXITED(status) && WEXITSTATUS(status) == SINK_SKIPPED) {
                fprintf(stderr, "    note: aiosmtpd missing for %s; SMTP test skipped\n", PYTHON);
                return 0;
            }
            CHECK(!"smtp_sink.py exited before listening");
            return -1;
        }
        usleep(20000);
    }
    CHECK(!"smtp_sink.py did not start listening within 15 s");
    return -1;
}

/* Stops the sink: closes its stdin (it exits by itself), kills it if it has not gone within
 * five seconds, reaps it and removes its files. */
static void sink_stop(struct sink *s)
{
    if (s->stdin_fd >= 0)
        close(s->stdin_fd);
    s->stdin_fd = -1;
    if (s->pid > 0) {
        int status;
        pid_t r = 0;
        for (int64_t deadline = util_monotonic_ms() + 5000;
             (r = waitpid(s->pid, &status, WNOHANG)) == 0 && util_monotonic_ms() < deadline;)
            usleep(20000);
        if (r == 0) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &status, 0);
        }
        s->pid = -1;
    }
    if (s->dir[0])
        remove_tree(s->dir);
}

/* The received message number n (1, 2, ...) and its envelope, or NULL. Caller frees both. */
static char *sink_message(const struct sink *s, int n, char **envelope)
{
    char path[192];
    snprintf(path, sizeof path, "%s/%04d.eml", s->maildir, n);
    char *msg = util_read_file(path, NULL);
    snprintf(path, sizeof path, "%s/%04d.envelope", s->maildir, n);
    *envelope = util_read_file(path, NULL);
    return msg;
}

static void test_smtp_send(void)
{
    struct sink s;
    int started = sink_start(&s, NULL);
    if (started <= 0) {
        sink_stop(&s);
        return;
    }
    struct mail_config c = config;
    c.smtp_url = s.url;
    struct mail_message m = message;
    m.subject = "V\xc3\xa9rifiez votre adresse";
    m.text = "Bonjour,\n\n.A line that starts with a dot, and an \xc3\xa9.\n"
             "Confirm: https://example.org/account/verify?t=4f9c2a&x=1\n";
    char err[256] = "", path[64] = "untouched";
    CHECK_INT(mail_send(&c, &m, err, sizeof err, path, sizeof path), 0);
    CHECK_STR(err, "");
    CHECK_STR(path, ""); /* not an outbox send */

    char *envelope = NULL;
    char *msg = sink_message(&s, 1, &envelope);
    CHECK(msg != NULL);
    CHECK_STR(envelope, "MAIL FROM:<news@example.org>\nRCPT TO:<reader@example.com>\n");
    if (msg) {
        check_lines(msg);
        char *to = header_value(msg, "To"), *subject = header_value(msg, "Subject");
        char *decoded_subject = subject ? words_decode(subject) : NULL;
        CHECK_STR(to, "reader@example.com");
        CHECK_STR(decoded_subject, m.subject);
        char *text_part = NULL, *html_part = NULL;
        CHECK(split_parts(msg, &text_part, &html_part) == 0);
        char *text = text_part ? part_text(text_part, "text/plain") : NULL;
        char *html = html_part ? part_text(html_part, "text/html") : NULL;
        char *want = crlf(m.text);
        CHECK_STR(text, want);
        CHECK(text && strstr(text, "https://example.org/account/verify?t=4f9c2a&x=1"));
        CHECK(html && strstr(html, "href=\"https://example.org/account/verify?t=abc123\""));
        free(to);
        free(subject);
        free(decoded_subject);
        free(text_part);
        free(html_part);
        free(text);
        free(html);
        free(want);
    }
    free(msg);
    free(envelope);

    /* Required STARTTLS against a server that does not offer it: refused, nothing sent. */
    c.starttls = 1;
    CHECK_INT(mail_send(&c, &m, err, sizeof err, NULL, 0), -1);
    CHECK(strstr(err, "SMTP") != NULL);
    msg = sink_message(&s, 2, &envelope);
    CHECK(msg == NULL);
    free(msg);
    free(envelope);

    /* Only smtp:// and smtps:// URLs are used. */
    c.starttls = 0;
    c.smtp_url = "http://127.0.0.1:1/";
    CHECK_INT(mail_send(&c, &m, err, sizeof err, NULL, 0), -1);
    CHECK(strstr(err, "smtp://") != NULL);
    sink_stop(&s);
}

static void test_smtp_auth(void)
{
    struct sink s;
    int started = sink_start(&s, "sender:correct-horse-battery");
    if (started <= 0) {
        sink_stop(&s);
        return;
    }
    struct mail_config c = config;
    c.smtp_url = s.url;
    c.smtp_user = "sender";
    char err[512] = "";

    /* The sink requires AUTH: without credentials, and with the wrong ones, nothing is sent,
     * and the error never repeats the password. */
    CHECK_INT(mail_send(&c, &message, err, sizeof err, NULL, 0), -1);
    c.smtp_password = "wrong-password-7731";
    CHECK_INT(mail_send(&c, &message, err, sizeof err, NULL, 0), -1);
    CHECK(err[0] != '\0' && !strstr(err, "wrong-password-7731"));
    char *envelope = NULL, *msg = sink_message(&s, 1, &envelope);
    CHECK(msg == NULL);
    free(msg);
    free(envelope);

    c.smtp_password = "correct-horse-battery";
    CHECK_INT(mail_send(&c, &message, err, sizeof err, NULL, 0), 0);
    msg = sink_message(&s, 1, &envelope);
    CHECK(msg != NULL);
    char *subject = msg ? header_value(msg, "Subject") : NULL;
    CHECK_STR(subject, message.subject);
    free(subject);
    free(msg);
    free(envelope);
    sink_stop(&s);
}

static void test_smtp_closed_port(void)
{
    /* A port that is bound but not listening refuses connections, and nobody else can take
     * it while this socket holds it. */
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
          getsockname(fd, (struct sockaddr *)&addr, &len) == 0);
    char url[64];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", ntohs(addr.sin_port));
    struct mail_config c = config;
    c.smtp_url = url;
    c.smtp_user = "sender";
    c.smtp_password = "s3cret-pw";
    char err[512] = "";
    int64_t start = util_monotonic_ms();
    CHECK_INT(mail_send(&c, &message, err, sizeof err, NULL, 0), -1);
    CHECK(util_monotonic_ms() - start < 5000);
    CHECK(strstr(err, url) != NULL && strstr(err, "onnect") != NULL);
    CHECK(!strstr(err, "s3cret-pw"));

    /* Credentials written into the URL are not repeated in the error either. */
    snprintf(url, sizeof url, "smtp://sender:s3cret-pw@127.0.0.1:%d", ntohs(addr.sin_port));
    c.smtp_password = "";
    CHECK_INT(mail_send(&c, &message, err, sizeof err, NULL, 0), -1);
    CHECK(err[0] && !strstr(err, "s3cret-pw"));
    if (fd >= 0)
        close(fd);
}

void suite_mail(void)
{
    RUN(test_headers);
    RUN(test_multipart_structure);
    RUN(test_quoted_printable);
    RUN(test_subject);
    RUN(test_subject_blank_runs);
    RUN(test_from_display_name);
    RUN(test_from_long_site_name);
    RUN(test_refusals);
    RUN(test_outbox);
    RUN(test_smtp_send);
    RUN(test_smtp_auth);
    RUN(test_smtp_closed_port);
}
