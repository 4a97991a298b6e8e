/*
 * mail.h: outgoing email (account verification, password resets). A message is formatted here
 * as a complete RFC 5322 / MIME message: Date, Message-ID, From with the site's name, To,
 * Subject (RFC 2047 encoded when it is not plain ASCII) and a multipart/alternative body with a
 * text/plain and a text/html part, both UTF-8 in quoted-printable, CRLF line endings throughout.
 *
 * It then goes out one of two ways:
 *   - SMTP through libcurl (smtp:// with optional required STARTTLS, or smtps://), when
 *     smtp_url is set;
 *   - otherwise as a .eml file in an outbox directory, so a development server works offline
 *     and its operator can open the mail (and click its link) from disk.
 *
 * Header injection is refused, not repaired: a CR or LF in the recipient, subject, sender or
 * site name fails the send and nothing leaves the process.
 *
 * Threads: mail_send and mail_format may be called from any number of threads at once. The
 * first SMTP send initialises libcurl (curl_global_init) exactly once under pthread_once and
 * registers curl_global_cleanup with atexit (so it runs after main returns; a program must not
 * call exit() while another thread is still inside mail_send). libcurl's rule is that
 * curl_global_init must not run while another thread uses libcurl or the libraries under it
 * (OpenSSL); it is only thread-safe in itself from 7.84 on, and then only where
 * curl_version_info reports CURL_VERSION_THREADSAFE. Broadsheet has no other libcurl user, so
 * the pthread_once is enough here. A program that does use libcurl elsewhere should call
 * curl_global_init itself in main before starting threads (a second call only counts).
 */
#ifndef BROADSHEET_MAIL_H
#define BROADSHEET_MAIL_H

#include <stddef.h>

/* Where and as whom mail is sent. The strings are borrowed: mail_send only reads them. */
struct mail_config {
    const char *smtp_url;      /* "smtp://host:port" or "smtps://host:port"; "" or NULL: write
                                  to the outbox instead */
    const char *smtp_user;     /* "" or NULL for none */
    const char *smtp_password; /* "" or NULL for none; never logged, never in an error */
    int starttls;              /* 1: require STARTTLS on smtp:// (CURLUSESSL_ALL) */
    const char *from_address;  /* "news@example.org"; also the envelope sender */
    const char *site_name;     /* display name in From: "National Journal <news@example.org>";
                                  "" or NULL for none */
    const char *outbox_dir;    /* where .eml files go when there is no SMTP; created (0700) */
    int timeout_seconds;       /* the most an SMTP send may take, connecting included; 0 or
                                  more than 30: 30 (a mailer keeps it inside its lease) */
};

/* One message to one reader. text must be set; html may be NULL or "" for a text-only message
 * (then the body is a single text/plain part, not multipart). All four are UTF-8; a "\n" or
 * "\r\n" in text or html is a line break. */
struct mail_message {
    const char *to;      /* a bare address "reader@example.com": ASCII, one '@', no spaces */
    const char *subject; /* UTF-8, no CR or LF */
    const char *text;    /* the plain-text body */
    const char *html;    /* the HTML body: a complete, already escaped document */
};

/* Formats m and sends it: over SMTP when c->smtp_url is set, else into c->outbox_dir. Returns
 * 0, or -1 with a reason in err (errlen bytes, always NUL-terminated; never the password) when
 * the message is invalid (nothing is sent then) or the server or file system failed. When the
 * message went to the outbox, the new file's path is copied to written_path (if not NULL;
 * path_size bytes; a path that does not fit fails the send before anything is written). */
int mail_send(const struct mail_config *c, const struct mail_message *m, char *err, size_t errlen,
              char *written_path, size_t path_size);

/* The message mail_send would send: headers and MIME body, CRLF line endings, with a fresh
 * Date, Message-ID and boundary. A heap string the caller frees, or NULL when the message or
 * the sender is invalid (header injection, bad address, invalid UTF-8); mail_send says why. */
char *mail_format(const struct mail_config *c, const struct mail_message *m);

#endif
