/*
 * account.c: shared pieces of the account pages. See account.h.
 */
#include "account.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "auth.h"
#include "buf.h"
#include "html.h"
#include "mailer.h"
#include "ratelimit.h"
#include "reader.h"
#include "render.h"
#include "respond.h"
#include "util.h"

json_t *account_context(struct req *r, const char *title)
{
    json_t *ctx = render_context(r, "account", title, NULL, r->path, NULL);
    ctx = render_set(ctx, "csrf", json_string(reader_csrf_token(r)));
    if (r->reader)
        ctx = render_set(ctx, "reader", reader_json(&r->reader->user));
    return ctx;
}

enum MHD_Result account_send(struct req *r, unsigned status, const char *name, json_t *ctx)
{
    struct buf body = BUF_INIT;
    if (render_page(r, name, ctx, &body) != 200) {
        buf_free(&body);
        return respond_error(r, 500);
    }
    enum MHD_Result result = respond_page(r, status, &body);
    buf_free(&body);
    return result;
}

enum MHD_Result account_message(struct req *r, unsigned status, const char *title, const char *body,
                                const char *link_url, const char *link_text, int error)
{
    json_t *ctx = account_context(r, title);
    ctx = render_set(ctx, "message",
                     render_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "title", title, "body", body,
                                 "link_url", link_url ? link_url : "", "link_text",
                                 link_text ? link_text : "", "has_link", link_url != NULL, "kind",
                                 error ? "error" : "info"));
    return account_send(r, status, "message", ctx);
}

enum MHD_Result account_confirm(struct req *r, const char *title, const char *body,
                                const char *action, const char *token, const char *button)
{
    json_t *ctx = account_context(r, title);
    ctx = render_set(ctx, "confirm",
                     render_pack("{s:s, s:s, s:s, s:s, s:s}", "title", title, "body", body,
                                 "action", action, "token", token, "button", button));
    return account_send(r, 200, "confirm", ctx);
}

const char *account_link_token(struct req *r, char hash[AUTH_TOKEN_HASH_HEX + 1])
{
    const char *token = r->method == METHOD_POST ? req_form(r, "token") : req_query(r, "token");
    return token && auth_token_hash(token, hash) == 0 ? token : NULL;
}

enum MHD_Result account_forbidden(struct req *r)
{
    return account_message(r, 403, "This form has expired",
                           "For your security, the form you sent could not be accepted. Nothing "
                           "was changed. Please go back, reload the page and try again.",
                           "/", "Go to the front page", 1);
}

int account_limited(struct req *r, const char *what, const char *key, int limit, int window)
{
    char full[400];
    snprintf(full, sizeof full, "%s:%s", what, key);
    int retry_after = 0;
    int allowed = store_limit_hit(r->app->store, full, limit, window, util_now_ms(), &retry_after);
    if (allowed == 1)
        return 0;
    /* The database could not count the attempt (locked past the wait, down): refuse it. Letting
     * it through would let an unlimited stream of password guesses (or mails) through for as
     * long as the database fails; and what the attempt does next needs the database anyway. */
    if (allowed == STORE_ERROR)
        return -1;
    return retry_after > 0 ? retry_after : 1;
}

enum MHD_Result account_refused(struct req *r, int wait)
{
    if (wait < 0)
        return respond_unavailable(r, ACCOUNT_LIMIT_UNAVAILABLE_RETRY);
    return respond_too_many(r, wait);
}

void account_client_key(struct req *r, char *out, size_t size)
{
    char ip[64];
    req_client_ip(r, ip, sizeof ip);
    ratelimit_address_key(ip, out, size);
}

int account_password_limited(struct req *r, const char *email, int signed_in)
{
    char ip[64];
    account_client_key(r, ip, sizeof ip);
    int wait = account_limited(r, signed_in ? "password-ip-account" : "password-ip-login", ip,
                               ACCOUNT_PASSWORD_CHECKS_PER_CLIENT, ACCOUNT_PASSWORD_WINDOW);
    if (!wait)
        wait = account_limited(r, "password-account", email, ACCOUNT_PASSWORD_CHECKS,
                               ACCOUNT_PASSWORD_WINDOW);
    return wait;
}

int account_mail_link(struct req *r, const char *to, const char *subject, const char *intro,
                      const char *path, const char *token, const char *after)
{
    struct app *app = r->app;
    char link[1024];
    snprintf(link, sizeof link, "%s%s?token=%s", app->site_url, path, token);
    struct buf text = BUF_INIT, html = BUF_INIT;
    buf_printf(&text, "%s\r\n\r\n%s\r\n\r\n%s\r\n", intro, link, after);
    buf_puts(&html, "<!doctype html><html><body><p>");
    html_text(&html, intro, strlen(intro));
    buf_puts(&html, "</p><p><a href=\"");
    html_attr(&html, link, strlen(link));
    buf_puts(&html, "\">");
    html_text(&html, link, strlen(link));
    buf_puts(&html, "</a></p><p>");
    html_text(&html, after, strlen(after));
    buf_puts(&html, "</p></body></html>\r\n");
    int rc = mailer_queue(app->mailer, to, subject, text.data, html.data);
    buf_free(&text);
    buf_free(&html);
    return rc;
}

int account_mail_notice(struct req *r, const char *to, const char *subject, const char *text)
{
    struct buf text_body = BUF_INIT, html = BUF_INIT;
    buf_puts(&html, "<!doctype html><html><body>");
    for (const char *p = text; *p;) {
        const char *end = strstr(p, "\n\n");
        size_t len = end ? (size_t)(end - p) : strlen(p);
        buf_append(&text_body, p, len);
        buf_puts(&text_body, "\r\n\r\n");
        buf_puts(&html, "<p>");
        html_text(&html, p, len);
        buf_puts(&html, "</p>");
        p = end ? end + 2 : p + len;
    }
    buf_puts(&html, "</body></html>\r\n");
    int rc = mailer_queue(r->app->mailer, to, subject, text_body.data, html.data);
    buf_free(&text_body);
    buf_free(&html);
    return rc;
}

int account_send_token(struct req *r, int64_t user_id, const char *to, const char *kind,
                       const char *payload, int64_t seconds, const char *subject, const char *intro,
                       const char *path, const char *after)
{
    char token[AUTH_TOKEN_CHARS + 1], hash[AUTH_TOKEN_HASH_HEX + 1];
    auth_token_new(token, hash);
    int64_t now = util_now();
    if (store_token_create(r->app->store, user_id, kind, hash, payload, now, now + seconds) !=
        STORE_OK)
        return -1;
    return account_mail_link(r, to, subject, intro, path, token, after);
}

const char *account_email_problem(const char *email)
{
    if (!auth_email_valid(email))
        return "Enter a valid email address, like name@example.com.";
    for (const unsigned char *p = (const unsigned char *)email; *p; p++)
        if (*p >= 0x80)
            return "We cannot send mail to addresses with accented or non-Latin letters yet. "
                   "Please use an address written in plain ASCII letters, digits and "
                   "punctuation.";
    return NULL;
}

const char *account_name_problem(const char *name)
{
    size_t len = strlen(name);
    if (!util_utf8_valid(name, len))
        return "Use letters, numbers and punctuation only.";
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        /* C0 controls, DEL, and C1 controls (U+0080 to U+009F, 0xC2 0x80..0x9F in UTF-8) */
        if (*p < 0x20 || *p == 0x7f || (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
            return "Use letters, numbers and punctuation only.";
        if ((*p & 0xC0) != 0x80)
            chars++;
    }
    if (chars == 0)
        return "Enter the name to show with your account.";
    if (chars > ACCOUNT_NAME_MAX)
        return "Use at most 100 characters.";
    return NULL;
}

const char *account_safe_next(const char *next)
{
    if (!next || next[0] != '/' || next[1] == '/' || next[1] == '\\' || strlen(next) > 500)
        return "/";
    for (const unsigned char *p = (const unsigned char *)next; *p; p++)
        if (*p < 0x21 || *p >= 0x7f || *p == '\\')
            return "/";
    return next;
}

const char *account_refill(const char *value)
{
    if (!value || !util_utf8_valid(value, strlen(value)))
        return "";
    return value;
}

char *account_trim(struct req *r, const char *value)
{
    return account_trim_arena(r->arena, value);
}

char *account_trim_arena(struct arena *a, const char *value)
{
    if (!value)
        return arena_strdup(a, "");
    while (isspace((unsigned char)*value))
        value++;
    size_t len = strlen(value);
    while (len && isspace((unsigned char)value[len - 1]))
        len--;
    return arena_strndup(a, value, len);
}
