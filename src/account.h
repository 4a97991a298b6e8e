/*
 * account.h: what the account pages (page_login.c, page_register.c, page_password.c,
 * page_account.c) share: the form page context, message pages, the emails with single-use
 * links, rate limits and validation of the fields readers type.
 */
#ifndef BROADSHEET_ACCOUNT_H
#define BROADSHEET_ACCOUNT_H

#include <jansson.h>

#include "auth.h"
#include "req.h"
#include "store.h"

#define ACCOUNT_NAME_MAX 100       /* display name, code points */
#define ACCOUNT_VERIFY_HOURS 48    /* a verification or email-change link lives this long */
#define ACCOUNT_RESET_MINUTES 60   /* a password reset link lives this long */
#define ACCOUNT_UNDO_DAYS 7        /* the link restoring a changed email address lives this long */
#define ACCOUNT_PASSWORD_CHECKS 10 /* per account per window: log-ins and forms */
#define ACCOUNT_PASSWORD_CHECKS_PER_CLIENT 20 /* per client address per window */
#define ACCOUNT_PASSWORD_WINDOW (15 * 60)     /* seconds */
#define ACCOUNT_LIMIT_UNAVAILABLE_RETRY 30    /* Retry-After when the limits cannot be counted */

/* A page context for an account page: the common context plus csrf and reader (when signed
 * in). The caller owns the reference; NULL when a part could not be built (render.h: logged,
 * and account_send answers 500). */
json_t *account_context(struct req *r, const char *title);

/* Renders template name with ctx (consumed) and sends it with status, no-store; 500 when ctx
 * is NULL. */
enum MHD_Result account_send(struct req *r, unsigned status, const char *name, json_t *ctx);

/* A message page (message.mustache): title, body text, an optional link. error picks the
 * style. */
enum MHD_Result account_message(struct req *r, unsigned status, const char *title, const char *body,
                                const char *link_url, const char *link_text, int error);

/* The page a mailed link opens (confirm.mustache): title, body text and one button, which posts
 * the link's token (and the CSRF token) to action. Opening a link changes nothing (mail
 * scanners and link previews open links); only the button does. */
enum MHD_Result account_confirm(struct req *r, const char *title, const char *body,
                                const char *action, const char *token, const char *button);

/* The token of the mailed link this request carries (the query's for GET, the form's for
 * POST), with its hash written into hash; NULL when there is none or it is malformed. */
const char *account_link_token(struct req *r, char hash[AUTH_TOKEN_HASH_HEX + 1]);

/* 403 for a form without a valid CSRF token: nothing was changed. */
enum MHD_Result account_forbidden(struct req *r);

/* Counts an attempt under "what:key" against limit per window seconds, in the database, so one
 * allowance is shared by every node (store_limit_hit). Returns 0 when allowed; the seconds to
 * wait when over the limit; -1 when the database could not count it, which refuses it too. The
 * caller answers a non-zero result with account_refused. */
int account_limited(struct req *r, const char *what, const char *key, int limit, int window);

/* The answer to an attempt account_limited (or account_password_limited) refused with wait:
 * 429 with Retry-After: wait, or for -1 (the database failed) the 503 error page with
 * Retry-After: ACCOUNT_LIMIT_UNAVAILABLE_RETRY. */
enum MHD_Result account_refused(struct req *r, int wait);

/* The client's address as its rate limits key it (ratelimit_address_key: an IPv6 client by its
 * /64), into out (size bytes; 64 is enough). */
void account_client_key(struct req *r, char *out, size_t size);

/* Counts one check of the password of the account with this email (lowercased), before its
 * hash runs: a log-in (signed_in 0), or a My account form that asks for the current password
 * (signed_in 1: email, password, delete). The account's allowance, ACCOUNT_PASSWORD_CHECKS per
 * ACCOUNT_PASSWORD_WINDOW, is one for all of them, so a password is guessed as slowly through
 * any form (and the hashing a client can cause is bounded); the client address's allowance,
 * ACCOUNT_PASSWORD_CHECKS_PER_CLIENT, is one for log-ins and another for the account forms, so
 * readers behind one address (an office) using My account do not spend each other's log-ins.
 * Returns what account_limited does (0 when allowed; non-zero: answer with account_refused). */
int account_password_limited(struct req *r, const char *email, int signed_in);

/* Queues an email to `to` whose text is intro, a link to site URL + path + "?token=" + token,
 * and after. Returns 0 or -1. The token never appears in a log. */
int account_mail_link(struct req *r, const char *to, const char *subject, const char *intro,
                      const char *path, const char *token, const char *after);

/* Queues an email to `to` without a link of its own: text is its paragraphs, separated by blank
 * lines ("\n\n"). Returns 0 or -1. */
int account_mail_notice(struct req *r, const char *to, const char *subject, const char *text);

/* Makes a single-use token of kind for user_id valid for seconds and mails its link. */
int account_send_token(struct req *r, int64_t user_id, const char *to, const char *kind,
                       const char *payload, int64_t seconds, const char *subject, const char *intro,
                       const char *path, const char *after);

/* A reader-facing problem with an email address typed into a form (trimmed; "" is the caller's
 * own "enter your email" case), or NULL if it is fine: auth_email_valid, and ASCII only, since
 * the mailer cannot send to other addresses (no SMTPUTF8) and an account whose address no mail
 * reaches could never be verified or reset. */
const char *account_email_problem(const char *email);

/* A reader-facing problem with a display name, or NULL if it is fine: UTF-8, 1 to
 * ACCOUNT_NAME_MAX characters after trimming, no control characters. */
const char *account_name_problem(const char *name);

/* next if it is a local path ("/…", not "//…" or "/\…"), else "/". */
const char *account_safe_next(const char *next);

/* The field's value if it is valid UTF-8 (for refilling a form), else "". */
const char *account_refill(const char *value);

/* Trims white space from both ends (into the request's arena, or a). NULL gives "". */
char *account_trim(struct req *r, const char *value);
char *account_trim_arena(struct arena *a, const char *value);

#endif
