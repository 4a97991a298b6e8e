/*
 * mail.c: formats RFC 5322 / MIME messages and sends them over SMTP (libcurl) or into an outbox
 * directory. See mail.h for the contract.
 *
 * The message is built whole in memory (verification and reset mails are a few kilobytes) and
 * then either streamed to libcurl through a read callback or written to a file. Everything
 * that ends up in a header is checked first: a CR or LF in any header value is an injection
 * attempt and fails the send, so no later step has to think about it.
 *
 * Encodings:
 *   - Subject and the site name in From are RFC 2047 "B" encoded-words when they hold anything
 *     but printable ASCII (or something that would read as an encoded-word, "=?"). Each word
 *     holds whole UTF-8 characters, because RFC 2047 section 5 forbids splitting one between
 *     words, and is short enough that the folded header lines stay within 78 characters.
 *   - Bodies are quoted-printable (RFC 2045 section 6.7). The multipart boundary starts with
 *     "=_", which quoted-printable output can never contain ('=' there is always followed by
 *     a hex digit or a line break), so the boundary cannot occur inside a part.
 */
#include "mail.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "util.h"

#define HEADER_LINE_MAX 78 /* RFC 5322 2.1.1: lines SHOULD be no longer than 78 characters */
#define QP_LINE_MAX 76     /* RFC 2045 6.7 rule 5: encoded lines at most 76 characters */
/* UTF-8 bytes per encoded-word: 52 base64 characters, 64 with "=?UTF-8?B?" and "?=". */
#define ENCODED_WORD_BYTES 39
/* An ASCII subject is folded before its blanks. A segment between two folding points (a run of
 * blanks and the word after it) longer than this might not fit in 78 columns, so such a subject
 * is encoded (and split between encoded-words) instead. */
#define LONGEST_PLAIN_WORD 60
#define CONNECT_TIMEOUT_S 10
#define TOTAL_TIMEOUT_S 30

/* Formats a reason into err (errlen bytes, always NUL-terminated when errlen > 0). */
static void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* 1 if s is NULL or empty. */
static int is_empty(const char *s)
{
    return !s || !*s;
}

/* --- randomness ------------------------------------------------------------------------------ */

/* Fills p with n bytes from the kernel's CSPRNG: getrandom, or /dev/urandom where the system
 * call is missing. Returns 0 or -1. The Message-ID and file names only need to be unguessable
 * and unique, but a boundary an attacker could predict is a way to smuggle a part into the
 * body, so this never falls back to a weak generator. */
static int random_bytes(unsigned char *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(p + got, n - got, 0);
        if (r > 0) {
            got += (size_t)r;
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else {
            break;
        }
    }
    if (got == n)
        return 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r > 0)
            got += (size_t)r;
        else if (!(r < 0 && errno == EINTR))
            break;
    }
    close(fd);
    return got == n ? 0 : -1;
}

/* Writes 2 * nbytes random lowercase hex digits and a NUL to out. Returns 0 or -1. */
static int random_hex(char *out, size_t nbytes)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[32];
    if (nbytes > sizeof raw || random_bytes(raw, nbytes) < 0)
        return -1;
    for (size_t i = 0; i < nbytes; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[2 * nbytes] = '\0';
    return 0;
}

/* --- validation ------------------------------------------------------------------------------ */

/* 1 if s contains a CR or LF: the only way a value can start a header of its own. */
static int has_line_break(const char *s)
{
    return s && strpbrk(s, "\r\n") != NULL;
}

/* 1 if a is a plausible bare address (addr-spec) that is safe both in a header and inside the
 * SMTP command "RCPT TO:<a>": printable ASCII without spaces, angle brackets, quotes or list
 * separators, exactly one '@' with text on both sides, at most 254 bytes (RFC 5321 4.5.3.1).
 * It does not try to decide deliverability; the server does that. Non-ASCII addresses would
 * need SMTPUTF8 and are refused. */
static int address_valid(const char *a)
{
    if (is_empty(a) || strlen(a) > 254)
        return 0;
    const char *at = strchr(a, '@');
    if (!at || at == a || !at[1] || strchr(at + 1, '@'))
        return 0;
    for (const unsigned char *p = (const unsigned char *)a; *p; p++) {
        if (*p <= 0x20 || *p >= 0x7F || strchr("<>()[],;:\"\\", *p))
            return 0;
    }
    return 1;
}

/* Checks everything that goes into a header or the SMTP envelope, and that the bodies are
 * UTF-8 as their charset says. Returns 0, or -1 with a reason in err. */
static int validate(const struct mail_config *c, const struct mail_message *m, char *err,
                    size_t errlen)
{
    if (!c || !m) {
        set_err(err, errlen, "mail: no configuration or message");
        return -1;
    }
    /* Line breaks first, so an injection attempt is reported as one. */
    if (has_line_break(m->to) || has_line_break(m->subject) || has_line_break(c->from_address) ||
        has_line_break(c->site_name)) {
        set_err(err, errlen,
                "mail: CR or LF in a header value (recipient, subject, sender or "
                "site name); refusing to send");
        return -1;
    }
    if (!address_valid(m->to)) {
        set_err(err, errlen, "mail: invalid recipient address");
        return -1;
    }
    if (!address_valid(c->from_address)) {
        set_err(err, errlen, "mail: invalid sender address in the configuration");
        return -1;
    }
    if (!m->text) {
        set_err(err, errlen, "mail: the message has no text part");
        return -1;
    }
    const char *utf8[] = {m->subject, c->site_name, m->text, m->html};
    for (size_t i = 0; i < ARRAY_LEN(utf8); i++) {
        if (utf8[i] && !util_utf8_valid(utf8[i], strlen(utf8[i]))) {
            set_err(err, errlen, "mail: subject, site name or body is not valid UTF-8");
            return -1;
        }
    }
    return 0;
}

/* --- headers --------------------------------------------------------------------------------- */

/* Appends the base64 encoding of s[0..len). */
static void put_base64(struct buf *b, const unsigned char *s, size_t len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)s[i] << 16;
        if (i + 1 < len)
            v |= (unsigned)s[i + 1] << 8;
        if (i + 2 < len)
            v |= s[i + 2];
        buf_putc(b, alphabet[(v >> 18) & 63]);
        buf_putc(b, alphabet[(v >> 12) & 63]);
        buf_putc(b, i + 1 < len ? alphabet[(v >> 6) & 63] : '=');
        buf_putc(b, i + 2 < len ? alphabet[v & 63] : '=');
    }
}

/* 1 if s cannot appear in a header as it is: a byte outside printable ASCII (tab and space
 * allowed), or "=?", which a reader would try to decode as an encoded-word. */
static int needs_encoding(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p < 0x20 && *p != '\t') || *p >= 0x7F)
            return 1;
    }
    return strstr(s, "=?") != NULL;
}

/* Appends s (valid UTF-8) as a run of "=?UTF-8?B?...?=" encoded-words separated by folding
 * white space (CRLF SP), which a reader removes when it joins adjacent encoded-words. Each
 * word carries at most ENCODED_WORD_BYTES bytes and ends on a character boundary. */
static void put_encoded_words(struct buf *b, const char *s)
{
    size_t len = strlen(s), i = 0;
    while (i < len) {
        size_t n = len - i < ENCODED_WORD_BYTES ? len - i : ENCODED_WORD_BYTES;
        while (i + n < len && ((unsigned char)s[i + n] & 0xC0) == 0x80)
            n--; /* back off to the start of the character that does not fit */
        if (i > 0)
            buf_puts(b, "\r\n ");
        buf_puts(b, "=?UTF-8?B?");
        put_base64(b, (const unsigned char *)s + i, n);
        buf_puts(b, "?=");
        i += n;
    }
}

/* 1 for the white space a header line may be folded before (RFC 5322 WSP). */
static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* The end of the segment of a subject that starts at p: the blanks there and the word after
 * them. put_subject folds only between segments. */
static const char *segment_end(const char *p)
{
    while (is_blank(*p))
        p++;
    while (*p && !is_blank(*p))
        p++;
    return p;
}

/* 1 if the plain subject s folds into lines within HEADER_LINE_MAX: no segment is longer than
 * LONGEST_PLAIN_WORD, and s does not end in blanks (they would have to go on a line of their
 * own, and RFC 5322 forbids a folded line of nothing but white space). Found by fuzzing: a run
 * of blanks used to make a line of any length. */
static int foldable(const char *s)
{
    size_t len = strlen(s);
    if (len && is_blank(s[len - 1]))
        return 0;
    for (const char *p = s; *p;) {
        const char *end = segment_end(p);
        if ((size_t)(end - p) > LONGEST_PLAIN_WORD)
            return 0;
        p = end;
    }
    return 1;
}

/* Appends "Subject: ..." and its CRLF. Plain ASCII is folded before blanks to keep lines
 * within HEADER_LINE_MAX (unfolding, which only removes the CRLFs, gives back the subject
 * exactly); anything else, or a subject that cannot be folded so, becomes encoded-words. */
static void put_subject(struct buf *b, const char *s)
{
    if (is_empty(s)) {
        buf_puts(b, "Subject:\r\n");
        return;
    }
    if (needs_encoding(s) || !foldable(s)) {
        buf_puts(b, "Subject: ");
        put_encoded_words(b, s);
        buf_puts(b, "\r\n");
        return;
    }
    const char *prefix = "Subject: ";
    buf_puts(b, prefix);
    size_t column = strlen(prefix);
    const char *p = s;
    while (*p) {
        /* Every segment after the first starts with a blank and, as s does not end in blanks,
         * has a word in it: a fold before it never leaves a line of only white space. */
        const char *end = segment_end(p);
        size_t seg = (size_t)(end - p);
        if (is_blank(*p) && column + seg > HEADER_LINE_MAX && column > strlen(prefix)) {
            buf_puts(b, "\r\n");
            column = 0;
        }
        buf_append(b, p, seg);
        column += seg;
        p = end;
    }
    buf_puts(b, "\r\n");
}

/* 1 if name can be a display name as it is: atoms (RFC 5322 3.2.3 atext) separated by single
 * spaces. Anything else ("Post, The" or "A. B.") must be a quoted-string. */
static int is_plain_phrase(const char *name)
{
    if (*name == ' ')
        return 0;
    for (const char *p = name; *p; p++) {
        if (*p == ' ') {
            if (p[1] == ' ' || p[1] == '\0')
                return 0;
        } else if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || strchr("!#$%&'*+-/=?^_`{|}~", *p))) {
            return 0;
        }
    }
    return 1;
}

/* The length of name written as a quoted-string: the quotes, and a backslash before each '"'
 * and '\\'. */
static size_t quoted_length(const char *name)
{
    size_t n = 2;
    for (const char *p = name; *p; p++)
        n += *p == '"' || *p == '\\' ? 2 : 1;
    return n;
}

/* Appends "From: Site Name <address>" and its CRLF, the name as atoms, a quoted-string or
 * encoded-words, whichever it needs. A name that would not fit on the first line as atoms or a
 * quoted-string is encoded too, since encoded-words fold (found by fuzzing: a long site name
 * made a From line past RFC 5322's 998 characters); the address then goes on a line of its own
 * when it does not fit after the name. */
static void put_from(struct buf *b, const char *site_name, const char *address)
{
    const char *prefix = "From: ";
    size_t line_start = b->len;
    buf_puts(b, prefix);
    if (!is_empty(site_name)) {
        int plain = is_plain_phrase(site_name);
        size_t written = plain ? strlen(site_name) : quoted_length(site_name);
        if (needs_encoding(site_name) || strlen(prefix) + written > HEADER_LINE_MAX) {
            put_encoded_words(b, site_name);
        } else if (plain) {
            buf_puts(b, site_name);
        } else {
            buf_putc(b, '"');
            for (const char *p = site_name; *p; p++) {
                if (*p == '"' || *p == '\\')
                    buf_putc(b, '\\');
                buf_putc(b, *p);
            }
            buf_putc(b, '"');
        }
        for (size_t i = line_start; i + 1 < b->len; i++)
            if (b->data[i] == '\r' && b->data[i + 1] == '\n')
                line_start = i + 2;
        if (b->len - line_start + strlen(" <>") + strlen(address) > HEADER_LINE_MAX)
            buf_puts(b, "\r\n");
        buf_putc(b, ' ');
    }
    buf_printf(b, "<%s>\r\n", address);
}

/* Appends "Date: ..." for t in the RFC 5322 3.3 form, in UTC. The names are spelled out here
 * rather than taken from strftime, whose %a and %b follow the process locale. */
static void put_date(struct buf *b, time_t t)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    gmtime_r(&t, &tm);
    buf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday], tm.tm_mday,
               months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* --- bodies ---------------------------------------------------------------------------------- */

/* 1 if s points at a line break ("\n" or "\r\n") or the end of the text. */
static int at_line_end(const char *s)
{
    return *s == '\0' || *s == '\n' || (s[0] == '\r' && s[1] == '\n');
}

/* Appends s as quoted-printable (RFC 2045 6.7). "\n" and "\r\n" become CRLF hard line breaks;
 * every other byte outside printable ASCII, and '=', becomes =XX; a space or tab at the end of
 * a line becomes =20 or =09 (transports strip trailing white space); lines are broken with a
 * soft "=" CRLF so none is longer than QP_LINE_MAX. A '.' at the start of a line is encoded
 * too: libcurl dot-stuffs the SMTP stream, but a relay that does not would end the message
 * there. */
static void put_quoted_printable(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t column = 0;
    for (; *s; s++) {
        if (*s == '\n' || (s[0] == '\r' && s[1] == '\n')) {
            if (*s == '\r')
                s++;
            buf_puts(b, "\r\n");
            column = 0;
            continue;
        }
        unsigned char ch = (unsigned char)*s;
        int last = at_line_end(s + 1); /* the last character of its line */
        int literal = (ch >= 33 && ch <= 126 && ch != '=') || ((ch == ' ' || ch == '\t') && !last);
        size_t width = literal ? 1 : 3;
        /* A soft break needs a column for its '=', unless nothing follows on this line. */
        if (column + width > (last ? QP_LINE_MAX : QP_LINE_MAX - 1)) {
            buf_puts(b, "=\r\n");
            column = 0;
        }
        if (ch == '.' && column == 0)
            literal = 0, width = 3;
        if (literal) {
            buf_putc(b, (char)ch);
        } else {
            char enc[3] = {'=', hex[ch >> 4], hex[ch & 15]};
            buf_append(b, enc, 3);
        }
        column += width;
    }
}

/* Appends a body part's headers, a blank line and its quoted-printable content. */
static void put_part(struct buf *b, const char *type, const char *content)
{
    buf_printf(b,
               "Content-Type: %s; charset=utf-8\r\n"
               "Content-Transfer-Encoding: quoted-printable\r\n"
               "\r\n",
               type);
    put_quoted_printable(b, content);
}

/* Formats the whole message after validating it. Returns a heap string (the caller frees it)
 * and its length in *len, or NULL with a reason in err. */
static char *format_message(const struct mail_config *c, const struct mail_message *m, size_t *len,
                            char *err, size_t errlen)
{
    if (validate(c, m, err, errlen) < 0)
        return NULL;
    char id[33], boundary[33];
    if (random_hex(id, 16) < 0 || random_hex(boundary, 16) < 0) {
        set_err(err, errlen, "mail: no random bytes from the kernel");
        return NULL;
    }
    struct buf b = BUF_INIT;
    put_date(&b, time(NULL));
    put_from(&b, c->site_name, c->from_address);
    buf_printf(&b, "To: %s\r\n", m->to);
    put_subject(&b, m->subject);
    buf_printf(&b, "Message-ID: <%s@%s>\r\n", id, strrchr(c->from_address, '@') + 1);
    /* RFC 3834: tells auto-responders (vacation replies) not to answer. */
    buf_puts(&b, "Auto-Submitted: auto-generated\r\n");
    buf_puts(&b, "MIME-Version: 1.0\r\n");
    if (is_empty(m->html)) {
        put_part(&b, "text/plain", m->text);
        if (b.len < 2 || memcmp(b.data + b.len - 2, "\r\n", 2) != 0)
            buf_puts(&b, "\r\n");
    } else {
        buf_printf(&b,
                   "Content-Type: multipart/alternative;\r\n boundary=\"=_%s\"\r\n"
                   "\r\n"
                   "--=_%s\r\n",
                   boundary, boundary);
        put_part(&b, "text/plain", m->text);
        buf_printf(&b, "\r\n--=_%s\r\n", boundary);
        put_part(&b, "text/html", m->html);
        buf_printf(&b, "\r\n--=_%s--\r\n", boundary);
    }
    return buf_detach(&b, len);
}

char *mail_format(const struct mail_config *c, const struct mail_message *m)
{
    char err[256];
    return format_message(c, m, NULL, err, sizeof err);
}

/* --- SMTP ------------------------------------------------------------------------------------ */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result; /* written once under curl_once, read after it */

/* atexit handler: releases what curl_global_init took (OpenSSL's tables and so on), so leak
 * checkers see a clean exit. It runs after main returns, when no thread is sending. */
static void curl_cleanup_at_exit(void)
{
    curl_global_cleanup();
}

/* pthread_once routine: initialises libcurl for the process. */
static void curl_init_once(void)
{
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (curl_init_result == CURLE_OK)
        atexit(curl_cleanup_at_exit);
}

/* The formatted message as libcurl reads it. */
struct upload {
    const char *data;
    size_t len;
    size_t sent;
};

/* CURLOPT_READFUNCTION: copies the next piece of the message; 0 at the end. */
static size_t read_upload(char *dest, size_t size, size_t nmemb, void *userdata)
{
    struct upload *u = userdata;
    size_t n = u->len - u->sent;
    if (n > size * nmemb)
        n = size * nmemb;
    memcpy(dest, u->data + u->sent, n);
    u->sent += n;
    return n;
}

/* Copies url to out without any "user:password@" part, for error messages. */
static void url_for_log(const char *url, char *out, size_t outlen)
{
    const char *host = strstr(url, "://");
    host = host ? host + 3 : url;
    const char *at = strchr(host, '@');
    const char *slash = strchr(host, '/');
    if (at && (!slash || at < slash))
        snprintf(out, outlen, "%.*s%s", (int)(host - url), url, at + 1);
    else
        snprintf(out, outlen, "%s", url);
}

/* Sends the formatted message (data, len) to m->to through the SMTP server in c. Returns 0, or
 * -1 with a reason (libcurl's description, its detail and the server's last reply code). */
static int send_smtp(const struct mail_config *c, const char *to, const char *data, size_t len,
                     char *err, size_t errlen)
{
    char where[256];
    url_for_log(c->smtp_url, where, sizeof where);
    if (strncasecmp(c->smtp_url, "smtp://", 7) != 0 && strncasecmp(c->smtp_url, "smtps://", 8)) {
        set_err(err, errlen, "mail: %s is not an smtp:// or smtps:// URL", where);
        return -1;
    }
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_result != CURLE_OK) {
        set_err(err, errlen, "mail: curl_global_init: %s", curl_easy_strerror(curl_init_result));
        return -1;
    }

    int ret = -1;
    CURL *curl = curl_easy_init();
    struct curl_slist *rcpt = NULL;
    char *from_path = NULL, *to_path = NULL;
    char detail[CURL_ERROR_SIZE] = "";
    struct upload up = {data, len, 0};
    CURLcode rc = CURLE_OK;
    long total = c->timeout_seconds > 0 && c->timeout_seconds < TOTAL_TIMEOUT_S
                     ? (long)c->timeout_seconds
                     : (long)TOTAL_TIMEOUT_S; /* seconds the whole send may take */
    if (!curl) {
        set_err(err, errlen, "mail: curl_easy_init failed");
        goto out;
    }
    struct buf tmp = BUF_INIT;
    buf_printf(&tmp, "<%s>", c->from_address);
    from_path = buf_detach(&tmp, NULL);
    buf_printf(&tmp, "<%s>", to);
    to_path = buf_detach(&tmp, NULL);
    rcpt = curl_slist_append(NULL, to_path);
    if (!rcpt) {
        set_err(err, errlen, "mail: out of memory");
        goto out;
    }

    /* Stop at the first option libcurl refuses: sending without one of them (TLS, say) would
     * be worse than not sending. */
#define SET(option, value)                                                                         \
    do {                                                                                           \
        if ((rc = curl_easy_setopt(curl, option, value)) != CURLE_OK)                              \
            goto curl_failed;                                                                      \
    } while (0)
    SET(CURLOPT_ERRORBUFFER, detail);
    SET(CURLOPT_URL, c->smtp_url);
#if LIBCURL_VERSION_NUM >= 0x075500
    SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps"); /* no redirect or typo turns this into HTTP */
#else
    SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
    SET(CURLOPT_MAIL_FROM, from_path);
    SET(CURLOPT_MAIL_RCPT, rcpt);
    SET(CURLOPT_READFUNCTION, read_upload);
    SET(CURLOPT_READDATA, &up);
    SET(CURLOPT_UPLOAD, 1L);
    SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    if (c->starttls)
        SET(CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    if (!is_empty(c->smtp_user))
        SET(CURLOPT_USERNAME, c->smtp_user);
    if (!is_empty(c->smtp_password))
        SET(CURLOPT_PASSWORD, c->smtp_password);
    SET(CURLOPT_CONNECTTIMEOUT, total < CONNECT_TIMEOUT_S ? total : (long)CONNECT_TIMEOUT_S);
    SET(CURLOPT_TIMEOUT, total);
    /* Timeouts would otherwise use SIGALRM for DNS, which is not thread-safe. */
    SET(CURLOPT_NOSIGNAL, 1L);
#undef SET

    rc = curl_easy_perform(curl);
    if (rc == CURLE_OK) {
        ret = 0;
        goto out;
    }
curl_failed:;
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    set_err(err, errlen, "mail: SMTP to %s failed: %s%s%s (last reply %ld)", where,
            curl_easy_strerror(rc), *detail ? ": " : "", detail, code);
out:
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(curl);
    free(from_path);
    free(to_path);
    return ret;
}

/* --- outbox ---------------------------------------------------------------------------------- */

/* mkdir -p: creates dir and any missing parents with mode 0700. Returns 0 or -1 (errno set). */
static int make_dirs(const char *dir)
{
    char *path = xstrdup(dir);
    int ret = 0;
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(path, 0700) < 0 && errno != EEXIST)
            ret = -1;
        *p = saved;
        if (ret < 0 || saved == '\0')
            break;
    }
    free(path);
    struct stat st;
    if (ret == 0 && (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))) {
        errno = ENOTDIR;
        ret = -1;
    }
    return ret;
}

/* Writes all of data to fd. Returns 0 or -1 (errno set). */
static int write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Writes the message to a new file <dir>/<YYYYmmdd-HHMMSS>-<random>.eml (UTC), mode 0600. The
 * content goes to a hidden temporary name first and is synced before the rename, so a program
 * watching the outbox for *.eml never sees a half-written message, even after a crash. */
static int write_outbox(const char *dir, const char *data, size_t len, char *written_path,
                        size_t path_size, char *err, size_t errlen)
{
    char stamp[32], random[17];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    if (random_hex(random, 8) < 0) {
        set_err(err, errlen, "mail: no random bytes from the kernel");
        return -1;
    }
    struct buf path = BUF_INIT, tmp = BUF_INIT;
    buf_printf(&path, "%s/%s-%s.eml", dir, stamp, random);
    buf_printf(&tmp, "%s/.%s-%s.eml.tmp", dir, stamp, random);
    int ret = -1, fd = -1;
    if (written_path && path.len + 1 > path_size) {
        set_err(err, errlen, "mail: outbox path longer than the %zu bytes given for it", path_size);
        goto out;
    }
    if (make_dirs(dir) < 0) {
        set_err(err, errlen, "mail: cannot create outbox %s: %s", dir, strerror(errno));
        goto out;
    }
    fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        set_err(err, errlen, "mail: cannot create %s: %s", tmp.data, strerror(errno));
        goto out;
    }
    /* 0600 whatever the umask: a reset link in the file is as good as the password. */
    if (fchmod(fd, 0600) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        set_err(err, errlen, "mail: cannot write %s: %s", tmp.data, strerror(errno));
        goto out;
    }
    if (close(fd) < 0) {
        fd = -1;
        set_err(err, errlen, "mail: cannot write %s: %s", tmp.data, strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp.data, path.data) < 0) {
        set_err(err, errlen, "mail: cannot rename %s to %s: %s", tmp.data, path.data,
                strerror(errno));
        goto out;
    }
    if (written_path)
        memcpy(written_path, path.data, path.len + 1);
    ret = 0;
out:
    if (fd >= 0)
        close(fd);
    if (ret < 0 && tmp.data)
        unlink(tmp.data); /* harmless when it was never created */
    buf_free(&path);
    buf_free(&tmp);
    return ret;
}

/* --- sending --------------------------------------------------------------------------------- */

/* Replaces every occurrence of secret in s (size bytes, NUL-terminated) with "***". A last
 * line of defence: no message above includes the password, but libcurl's detail text is not
 * ours to promise about. */
static void scrub(char *s, size_t size, const char *secret)
{
    size_t n = strlen(secret);
    if (!n || !strstr(s, secret))
        return;
    struct buf out = BUF_INIT;
    for (const char *p = s; *p;) {
        if (strncmp(p, secret, n) == 0) {
            buf_puts(&out, "***");
            p += n;
        } else {
            buf_putc(&out, *p++);
        }
    }
    snprintf(s, size, "%s", out.data);
    buf_free(&out);
}

int mail_send(const struct mail_config *c, const struct mail_message *m, char *err, size_t errlen,
              char *written_path, size_t path_size)
{
    /* Reasons are composed in a buffer of our own and scrubbed before the caller sees them, so
     * a truncated err can never hold a prefix of the password either. */
    char reason[1024] = "";
    size_t len = 0;
    int ret = -1;
    if (written_path && path_size)
        written_path[0] = '\0';
    char *data = format_message(c, m, &len, reason, sizeof reason);
    if (!data)
        goto out;
    if (!is_empty(c->smtp_url))
        ret = send_smtp(c, m->to, data, len, reason, sizeof reason);
    else if (!is_empty(c->outbox_dir))
        ret =
            write_outbox(c->outbox_dir, data, len, written_path, path_size, reason, sizeof reason);
    else
        set_err(reason, sizeof reason, "mail: neither an SMTP server nor an outbox is configured");
    free(data);
out:
    if (c && !is_empty(c->smtp_password))
        scrub(reason, sizeof reason, c->smtp_password);
    set_err(err, errlen, "%s", ret == 0 ? "" : reason);
    return ret;
}
