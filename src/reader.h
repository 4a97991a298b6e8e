/*
 * reader.h: who is reading. A signed-in reader holds a session cookie carrying a 256-bit random
 * token; the store keeps only the token's hash, so a copy of the database signs nobody in. The
 * cookie is HttpOnly and SameSite=Lax, Secure when the site is served over HTTPS
 * (cookie_secure), and the session ends after session_idle_days without a visit (a staff
 * account's, writer and above: staff_session_idle_minutes, when shorter) or session_days after
 * log-in, whichever comes first. A disabled account's session is refused (and ended).
 *
 * CSRF: every form carries a token that is an HMAC (with a server secret) of what binds it to
 * this browser: the session token's hash for a signed-in reader, or a random anonymous id kept
 * in its own cookie before log-in. A cross-site page can make the browser send a form but can
 * neither read the token nor compute it.
 */
#ifndef BROADSHEET_READER_H
#define BROADSHEET_READER_H

#include <jansson.h>

#include "auth.h"
#include "req.h"
#include "store.h"

#define READER_SESSION_COOKIE "bs_session"
#define READER_ANONYMOUS_COOKIE "bs_anon"

struct reader {
    struct user user;
    struct session session;
    struct subscription subscription; /* the current one when the session was read; id 0: none */
    char token_hash[65];              /* the session token's hash: the CSRF binding */
    char token[AUTH_TOKEN_CHARS + 1]; /* a new session's token until its cookie is set, else "" */
};

/* The reader fields templates get (name, email, verified, role): a new reference, or NULL (out
 * of memory; logged). Text stored before it was checked to be UTF-8 is shown repaired
 * (util_utf8_repair). */
json_t *reader_json(const struct user *user);

struct config;
/* Seconds a session of an account with role may go unused before it ends: session_idle_days,
 * or for staff (writer, editor, admin) staff_session_idle_minutes when that is shorter. */
int64_t reader_idle_limit(const struct config *config, enum role role);

/* Looks up the session cookie and sets r->reader for a valid, unexpired session (refreshing
 * its last-seen time now and then), with the reader's current subscription (one query). An unknown
 * or expired session's cookie is cleared. */
void reader_load(struct req *r);

/* The CSRF token for forms in this response. For an anonymous reader without a binding cookie
 * it makes one (Set-Cookie on this response). */
const char *reader_csrf_token(struct req *r);

/* 1 if the submitted form's "csrf" field is valid for this reader, else 0. */
int reader_csrf_valid(struct req *r);

/* Signs user in: a new session with a new token (never reusing one the browser had, so a
 * planted cookie cannot be fixed on the victim), replacing the reader's current session if
 * any. Sets r->reader and the cookie. Returns 0 or -1. */
int reader_sign_in(struct req *r, const struct user *user);

/* reader_sign_in in two halves, for a caller whose transaction (store_begin) the new session is
 * a part of. reader_sign_in_session writes the session (ending the current one) and sets
 * r->reader, but sends no cookie; returns 0 or -1. Once the transaction is committed,
 * reader_sign_in_cookie sends the cookie. After a rollback the caller puts r->reader back as it
 * was before: no cookie goes out for a session that was never kept. */
int reader_sign_in_session(struct req *r, const struct user *user);
void reader_sign_in_cookie(struct req *r);

/* Ends the current session and clears the cookie. */
void reader_sign_out(struct req *r);

#endif
