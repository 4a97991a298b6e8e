/*
 * store.h: everything Broadsheet keeps, behind one interface. All SQL lives behind it, as
 * prepared statements with bound parameters only. The embedded backend is SQLite
 * (store.c over db.h: db_sqlite.c) in WAL mode with numbered migrations; the interface takes no
 * SQLite type, so a PostgreSQL backend can slot in behind the same functions without touching a
 * handler.
 *
 * Threads: one struct store is shared by the whole process; each thread gets its own database
 * connection (opened on first use, with its prepared statements), so calls from different
 * threads never contend for a connection. Writes are serialised by the database. A connection
 * that cannot write is never kept: one that could only be opened read-only fails its call with
 * STORE_ERROR, and one whose statement failed because the file is unwritable, gone, replaced or
 * failing (not merely locked or full) is closed before the thread's next call, which opens a new
 * one (once the caller's transaction, if one is open, has ended with store_rollback). So a
 * database that was unwritable for a while works again without a restart.
 *
 * Memory: results are allocated from the arena the caller passes and live as long as it.
 *
 * Returns: STORE_OK, STORE_NOT_FOUND for a lookup that found nothing, STORE_CONFLICT for a write
 * that a uniqueness rule refused (an email already taken), STORE_ERROR for a failure (the detail
 * is logged to stderr and, where an err buffer is passed, written there: never shown to
 * readers).
 */
#ifndef BROADSHEET_STORE_H
#define BROADSHEET_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

enum store_status { STORE_OK = 0, STORE_NOT_FOUND = 1, STORE_CONFLICT = 2, STORE_ERROR = -1 };

enum access_level { ACCESS_FREE = 0, ACCESS_METERED = 1, ACCESS_SUBSCRIBERS = 2 };

/* "free", "metered", "subscribers"; and back (-1 for an unknown name). */
const char *store_access_name(enum access_level level);
int store_access_parse(const char *name);

/* A publication: the host site (National Journal) or one it produces or carries (Global
 * Security Newswire, produced by National Journal Group under contract with NTI). The
 * syndication footer is built from these fields. Optional fields are "" when unset. */
struct publication {
    int64_t id;
    const char *slug;                /* URL name: /publications/SLUG */
    const char *name;                /* "Global Security Newswire" */
    const char *description;         /* a sentence for the publication page */
    const char *producer;            /* "National Journal Group" */
    const char *partner;             /* contract partner, "Nuclear Threat Initiative" */
    const char *partner_short;       /* "NTI" */
    const char *partner_url;         /* partner's site */
    const char *partner_description; /* "NTI is a nonprofit, nonpartisan group working to…" */
    int is_host;                     /* 1 for the site's own publication */
    const char *default_access;      /* "" inherit */
    /* Rights a partner's copy carries (issue 13, src/ninjs.h; "" not set: the item's defaults) */
    const char *copyright_holder;
    const char *copyright_notice;
    const char *usage_terms;
    const char *rights_url; /* "" or http(s):// */
};

struct section {
    int64_t id;
    const char *slug; /* URL name: /sections/SLUG */
    const char *name;
    int position;               /* navigation order, ascending */
    const char *default_access; /* "" inherit */
};

struct article {
    int64_t id;
    const char *slug; /* URL name: /articles/SLUG */
    const char *headline;
    const char *dek;
    const char *byline;
    const char *body_html;     /* cmark's safe rendering of body_markdown; "" in list results */
    const char *body_markdown; /* "" in list results */
    int64_t published_at;      /* unix seconds */
    int64_t updated_at;        /* unix seconds */
    enum access_level access;
    struct publication publication; /* joined; full record */
    struct section section;         /* joined; full record */
};

/* What store_article_save takes: the article as imported. Slugs name the publication and the
 * section, which must exist. */
struct article_input {
    const char *slug; /* required; an existing slug is updated in place */
    const char *headline;
    const char *dek;
    const char *byline;
    const char *publication_slug;
    const char *section_slug;
    const char *body_markdown;
    const char *body_html; /* rendered by the caller (markdown.h) */
    int64_t published_at;
    enum access_level access;
};

/* A filter for article lists; zero fields mean "any". */
struct article_query {
    int64_t publication_id;
    int64_t section_id;
    int limit; /* 0: 20 */
    int offset;
};

struct store;

/* Opens (creating if needed) the database at path and brings its schema up to date with the
 * migrations. Returns NULL and writes why into err on failure. Free with store_close. */
struct store *store_open(const char *path, char *err, size_t errlen);

/* The database st opened, or the one target names, as it may be shown in a log or message: a
 * PostgreSQL URL's password replaced by "***". store_shown's string lives as long as st;
 * store_shown_target's is the caller's to free. */
const char *store_shown(const struct store *st);
char *store_shown_target(const char *target);
/* Closes every thread's connection. No other thread may use the store any more. */
void store_close(struct store *st);
/* The database under st (db.h), for a tool that works on every table whatever it holds (db
 * copy); everything else goes through the store's functions. Lives as long as st. */
struct db *store_db(struct store *st);
/* Errors the store has reported (logged to stderr) since the process started, from any store
 * and thread: failed statements, connections and transactions, and calls it refused as
 * malformed. For the metrics; safe from any thread. */
unsigned long store_error_count(void);
/* Closes the calling thread's connection, if it opened one (call before a thread exits). */
void store_thread_done(struct store *st);

/* 1 while the database cannot be reached: the last attempt to open a connection to PostgreSQL
 * failed (the server is down or restarting), or the calling thread's connection was lost (or,
 * on SQLite, its file failed) and is not yet replaced. A request that failed then answers 503, not
 * 500. The outage is logged once when it begins and once when a connection opens again; in between
 * the store's failures are counted (store_error_count) but not logged, and one attempt a second is
 * made to connect (db.h). */
int store_unavailable(struct store *st);

/* Notifications of the change log (PostgreSQL: LISTEN on STORE_CHANNEL, which every commit that
 * moves the change log or the paywall's version notifies; migrations/pgsql/011): a connection
 * of its own, for one thread, that says when to read store_changes_since without waiting for the
 * next poll. store_listen_open returns NULL with the reason in err when it cannot be opened, and
 * always on SQLite (store_can_listen 0), which has none; see db.h for the rest. */
#define STORE_CHANNEL "broadsheet_changes"
struct db_listener;
int store_can_listen(struct store *st);
struct db_listener *store_listen_open(struct store *st, char *err, size_t errlen);
/* Sets how long the calling thread's connection waits for another writer's lock before a write
 * fails (ms; the default is 5 s). The server's HTTP threads wait only briefly (http.h). */
void store_thread_wait(struct store *st, int ms);

/* Transactions: the calling thread's store calls between store_begin and store_commit (or
 * store_rollback) are one transaction, all kept or none. store_begin takes the write lock at
 * once (waiting up to the connection's busy timeout), so what follows cannot fail half-way
 * because another writer came first. They nest: a store function that keeps its own
 * transaction (store_token_consume, store_articles_save…) becomes a part of the caller's, and a
 * store_begin inside another is a savepoint that store_rollback undoes alone. Every
 * store_begin that returned STORE_OK is matched by one store_commit or store_rollback on the
 * same thread. A store call the database refuses (STORE_CONFLICT, STORE_NOT_FOUND for a gone
 * reference) leaves the transaction usable on both backends (db_step_guarded). store_commit
 * returns STORE_ERROR when nothing was kept (the database failed, or had already rolled the
 * transaction back after an error such as a full disk). */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* The change log (migrations/sqlite/009_changes.sql): every write to content, from any process
 * using the database, records in the same transaction the cache tags it touches ("article:12",
 * "list:all", "list:section:3", "list:publication:1", "nav"), each with the sequence number
 * of its latest change. store_change_seq reads the latest sequence number (0 for none yet).
 * store_changes_since calls fn for each tag changed after seq `after`, oldest first, at most max
 * of them, and returns how many, or STORE_ERROR. Writers are serialised and the log is read in
 * a snapshot, so following the numbers in order never misses a change. */
int store_change_seq(struct store *st, int64_t *seq);
int store_changes_since(struct store *st, int64_t after, int max,
                        void (*fn)(void *ctx, const char *tag, int64_t seq), void *ctx);

/* 1 if the database holds no publication yet (a fresh database, ready for the demo), 0 if it
 * does, -1 if it cannot be read. */
int store_is_empty(struct store *st);

/* Writes: each is one transaction; on failure nothing is changed. */
int store_publication_save(struct store *st, const struct publication *p, char *err, size_t errlen);
int store_section_save(struct store *st, const struct section *s, char *err, size_t errlen);
/* Saves n articles in one transaction: all or none. On failure err names the failing article's
 * index as "article N: reason" and returns STORE_ERROR. */
int store_articles_save(struct store *st, const struct article_input *in, size_t n, char *err,
                        size_t errlen);

/* An import's slugs (import.c), to find two files with one slug among a million without holding
 * a million strings in memory: a temporary table of the calling thread's connection, which the
 * database keeps in a temporary file (a few pages of cache in memory), dropped at the end.
 * store_import_slugs_begin makes it, empty; store_import_slug_add records that the file listed
 * at position (path, for the error that names it) has slug: STORE_OK, or STORE_CONFLICT when an
 * earlier file has it, with that file's path in *other (from a); store_import_slug_at reads back
 * the slug recorded for a position (STORE_NOT_FOUND if none); store_import_slugs_end drops the
 * table. The table is the connection's own, outside any transaction's reach: a rollback of the
 * import's writes keeps it. Each returns STORE_ERROR (logged) when the database fails. */
int store_import_slugs_begin(struct store *st);
int store_import_slug_add(struct store *st, struct arena *a, int64_t position, const char *slug,
                          const char *path, const char **other);
int store_import_slug_at(struct store *st, struct arena *a, int64_t position, const char **slug);
void store_import_slugs_end(struct store *st);

/* Lookups. */
int store_publication_by_slug(struct store *st, struct arena *a, const char *slug,
                              struct publication *out);
int store_section_by_slug(struct store *st, struct arena *a, const char *slug, struct section *out);
int store_publications(struct store *st, struct arena *a, struct publication **out, size_t *n);
int store_sections(struct store *st, struct arena *a, struct section **out, size_t *n);
int store_article_by_slug(struct store *st, struct arena *a, const char *slug, struct article *out);
/* Just an article's id and access level, for deciding access before its page is rendered.
 * An unreadable level counts as subscribers-only (withhold rather than give away). */
int store_article_meta(struct store *st, const char *slug, int64_t *id, enum access_level *level);
/* Newest first (published_at, then id). body_html and body_markdown are "" in the results. */
int store_articles_latest(struct store *st, struct arena *a, const struct article_query *q,
                          struct article **out, size_t *n);

/* A place in the list of every article, newest first: the (published_at, id) of the last
 * article of a page. */
struct article_cursor {
    int64_t published_at;
    int64_t id;
};

#define STORE_ARTICLE_PAGE_MAX 10000 /* articles in one page at most */

/* One page of every article, newest first (published_at, then id, both descending): up to limit
 * (1 to STORE_ARTICLE_PAGE_MAX; clamped) of those that come after the cursor `after` in that
 * order, or from the newest when after is NULL. Keyset paging, not OFFSET: the search starts at
 * the cursor in the articles_latest index, so the thousandth page costs what the first does,
 * and an article added meanwhile shifts nothing. *out (from a; NULL when there are none) and *n
 * get the page, *more whether any article comes after it. body_html and body_markdown are "".
 * Returns STORE_OK or STORE_ERROR. */
int store_articles_page(struct store *st, struct arena *a, const struct article_cursor *after,
                        int limit, struct article **out, size_t *n, int *more);
/* How many articles there are, into *count. STORE_OK or STORE_ERROR. */
int store_articles_count(struct store *st, int64_t *count);

/* --- Accounts -------------------------------------------------------------------------------
 *
 * Readers and newsroom staff share one table of users, told apart by role. What the store keeps
 * of a session or a single-use token is the hex of BLAKE2b-256 of the token the reader holds
 * (auth_token_new and auth_token_hash in auth.h make both): the token itself is never stored,
 * so a copy of the database signs nobody in. Emails are stored lowercased (ASCII) and looked up
 * case-insensitively. Deleting a user deletes its sessions and tokens in the same statement.
 *
 * Times are unix seconds passed in by the caller where the rule depends on them (expiry), so
 * tests can move the clock; created_at and updated_at of users are stamped with util_now().
 *
 * Undo links ("email_undo" tokens, payload: the address an account had before a change) hold
 * their address: while one is unused and unexpired (at util_now()), no other account may
 * register with that address or move to it (store_user_create, store_user_set_email), so whoever
 * moved an account away from an address cannot block its owner's way back by taking it.
 */

enum role { ROLE_READER = 0, ROLE_WRITER = 1, ROLE_EDITOR = 2, ROLE_ADMIN = 3 };

/* "reader", "writer", "editor", "admin"; and back (-1 for an unknown name; exact, lowercase). */
const char *store_role_name(enum role role);
int store_role_parse(const char *name);

struct user {
    int64_t id;
    const char *email;         /* lowercased */
    const char *display_name;  /* as typed; escape it on output */
    const char *password_hash; /* crypto_pwhash_str's string; "" when none was set */
    enum role role;
    int64_t email_verified_at; /* 0: not verified */
    int64_t created_at;
    int64_t disabled_at; /* 0: enabled; else when an admin disabled it (no log-in, no session) */
};

struct session {
    int64_t id;
    int64_t user_id;
    int64_t created_at;
    int64_t last_seen_at; /* the caller applies its idle limit to this */
    int64_t expires_at;   /* absolute expiry */
    const char *user_agent;
    const char *ip;
};

/* The outcome of store_token_consume (STORE_ERROR, -1, when the database failed). */
enum token_status { TOKEN_VALID = 0, TOKEN_UNKNOWN = 1, TOKEN_USED = 2, TOKEN_EXPIRED = 3 };

/* Creates a user and stores its id in *id (when id is not NULL). email is lowercased (ASCII) by
 * the store; the caller has validated it (auth_email_valid). password_hash may be "" for an
 * account that cannot log in until a password is set. Returns STORE_OK, STORE_CONFLICT when the
 * email is taken (also when two registrations race: the UNIQUE constraint decides, so exactly
 * one wins) or held by a pending undo link (below), or STORE_ERROR (also for an empty email or
 * an invalid role). */
int store_user_create(struct store *st, const char *email, const char *display_name,
                      const char *password_hash, enum role role, int64_t *id);
/* The user with this email, compared case-insensitively, into *out (strings from a). Returns
 * STORE_OK, STORE_NOT_FOUND or STORE_ERROR. */
int store_user_by_email(struct store *st, struct arena *a, const char *email, struct user *out);
/* The user with this id, as store_user_by_email. */
int store_user_by_id(struct store *st, struct arena *a, int64_t id, struct user *out);
/* Every user, oldest account first, as an array of *n from a (`broadsheet user list`).
 * password_hash is "" in the results: a list has no use for it. STORE_OK or STORE_ERROR. */
int store_users(struct store *st, struct arena *a, struct user **out, size_t *n);

/* Account changes: each is one statement and returns STORE_OK, STORE_NOT_FOUND (no such user) or
 * STORE_ERROR, and stamps updated_at. */
int store_user_set_name(struct store *st, int64_t id, const char *display_name);
/* Changes the email (lowercased). verified_at is when the new address was verified (it was
 * confirmed by a link sent to it), or 0 to mark it unverified. STORE_CONFLICT when another
 * account has that address, or another account's pending undo link holds it. */
int store_user_set_email(struct store *st, int64_t id, const char *email, int64_t verified_at);
int store_user_set_password_hash(struct store *st, int64_t id, const char *password_hash);
/* STORE_ERROR for a role outside enum role. */
int store_user_set_role(struct store *st, int64_t id, enum role role);
/* Records that the user's current email was verified at `when`. */
int store_user_mark_verified(struct store *st, int64_t id, int64_t when);
/* Deletes the user with its sessions and tokens. STORE_OK, STORE_NOT_FOUND or STORE_ERROR. */
int store_user_delete(struct store *st, int64_t id);

/* Creates a session for user_id, keyed by the hex hash of its token (64 lowercase hex digits),
 * and stores its id in *id (when not NULL). user_agent and ip are kept for "My account" (NULL
 * stores ""); the caller bounds their length. Returns STORE_OK, STORE_NOT_FOUND when the user
 * does not exist (any more), STORE_CONFLICT if the hash is already in use (never, for 256-bit
 * random tokens) or STORE_ERROR. */
int store_session_create(struct store *st, int64_t user_id, const char *token_hash_hex, int64_t now,
                         int64_t expires_at, const char *user_agent, const char *ip, int64_t *id);
/* The session whose token hashes to token_hash_hex and its user, in one query, into *session and
 * *user (user may be NULL; strings from a). The store does not judge expiry: the caller compares
 * expires_at and last_seen_at with the time and deletes an expired session. Returns STORE_OK,
 * STORE_NOT_FOUND or STORE_ERROR. */
int store_session_by_token(struct store *st, struct arena *a, const char *token_hash_hex,
                           struct session *session, struct user *user);
struct subscription; /* below, with the paywall's records */
/* store_session_by_token, and also the user's current subscription at now (as
 * store_subscription_current chooses it) into *sub, whose id is 0 when there is none: what a
 * signed-in reader's request needs, in one query. */
int store_session_reader(struct store *st, struct arena *a, const char *token_hash_hex, int64_t now,
                         struct session *session, struct user *user, struct subscription *sub);
/* Sets the session's last_seen_at to now (for the idle expiry). STORE_OK, STORE_NOT_FOUND or
 * STORE_ERROR. */
int store_session_touch(struct store *st, int64_t id, int64_t now);
/* Ends one session (log-out). STORE_OK, STORE_NOT_FOUND or STORE_ERROR. */
int store_session_delete(struct store *st, int64_t id);
/* Ends every session of user_id except except_session_id (0: none), as after a password reset
 * or "sign out everywhere else". STORE_OK (also when there was none to end) or STORE_ERROR. */
int store_session_delete_for_user(struct store *st, int64_t user_id, int64_t except_session_id);
/* The user's sessions, most recently seen first, as an array of *n from a. STORE_OK (n may be
 * 0) or STORE_ERROR. */
int store_sessions_for_user(struct store *st, struct arena *a, int64_t user_id,
                            struct session **out, size_t *n);

/* Stores a single-use token of kind "verify", "reset", "email_change" or "email_undo" for
 * user_id, keyed by the hex hash of the token, with a payload ("" or NULL for none; the new
 * address of an email change, the old one of an undo link). Returns STORE_OK, STORE_NOT_FOUND when
 * the user does not exist, STORE_CONFLICT if the hash is in use, or STORE_ERROR (also for an
 * unknown kind). */
int store_token_create(struct store *st, int64_t user_id, const char *kind,
                       const char *token_hash_hex, const char *payload, int64_t now,
                       int64_t expires_at);
/* Uses the token of this kind whose hash is token_hash_hex. TOKEN_VALID: it existed, was unused
 * and unexpired at `now`, and is now marked used, in one transaction whose UPDATE only applies
 * to a row still unused, so a token is valid exactly once even when two requests race; its user
 * id and payload (from a) are stored in *user_id and *payload (either may be NULL). Otherwise
 * TOKEN_UNKNOWN (no such token of this kind: altered, or of another kind), TOKEN_USED,
 * TOKEN_EXPIRED (expires_at <= now), all changing nothing, or STORE_ERROR. What the token
 * grants (marking verified, setting the password) is the caller's next step. */
int store_token_consume(struct store *st, struct arena *a, const char *kind,
                        const char *token_hash_hex, int64_t now, int64_t *user_id,
                        const char **payload);
/* The token of this kind whose hash is token_hash_hex, judged as store_token_consume would at
 * now, without using it: TOKEN_VALID with its user id and payload (from a) in *user_id and
 * *payload (either may be NULL; the payload, not the user, also for TOKEN_USED and
 * TOKEN_EXPIRED, so a page can say what the link was), TOKEN_UNKNOWN, TOKEN_USED, TOKEN_EXPIRED,
 * or STORE_ERROR. A
 * read, for a page shown before the reader acts on the link (the form it opens, a confirm
 * button); only store_token_consume grants anything. */
int store_token_peek(struct store *st, struct arena *a, const char *kind,
                     const char *token_hash_hex, int64_t now, int64_t *user_id,
                     const char **payload);
/* Deletes the user's unused tokens of kind (NULL or "": every kind), e.g. the other reset links
 * once one was used. Used ones stay until they expire, so a second click on a used link still
 * hears "already used". STORE_OK or STORE_ERROR. */
int store_tokens_delete_for_user(struct store *st, int64_t user_id, const char *kind);
/* Voids (deletes) the user's unused links after a change that makes them stale: a password
 * set (changed or reset), an address changed or restored. Every kind but "email_undo": an undo
 * link must outlive what the person who moved the account away from its address does next
 * (they can reset the password through the new address). undo_hash_hex, when not NULL, is the
 * undo link being used: the undo links made after it, for later changes that restoring this
 * older address reverses as well, are voided too; the ones made before it stay, so undoing a
 * later change never cancels the way back to an earlier address. STORE_OK or STORE_ERROR. */
int store_tokens_void(struct store *st, int64_t user_id, const char *undo_hash_hex);
/* Deletes sessions whose absolute expiry has passed and tokens that expired more than a day
 * before now (kept that long so a late click still hears "expired", not "unknown"). Returns
 * STORE_OK or STORE_ERROR. */
int store_accounts_purge(struct store *st, int64_t now);

/* The server secret named `name` (32 random bytes) into out. The first call on a database makes
 * it from libsodium's randombytes_buf (INSERT OR IGNORE, then SELECT), so every process and app
 * node sharing the database agrees on it, even when several make it at once. Returns STORE_OK
 * or STORE_ERROR (also when a stored value is not 32 bytes). */
int store_secret(struct store *st, const char *name, unsigned char out[32]);

/* --- The mail queue --------------------------------------------------------------------------
 *
 * Messages waiting for delivery (mailer.h). A mailer claims a message before it sends it: the
 * claim leases the message to the mailer (owner, a name unique to the mailer) until lease_until,
 * and while the lease runs the message is not due, so nobody else sends it and a mailer that
 * cannot record the outcome at once does not send it again. The outcome is then recorded
 * (store_mail_sent, store_mail_failed), which ends the lease. A lease that expired unrecorded
 * (its process died) makes the message due again for any mailer, here or on another node. So a
 * message is sent once per recorded success; twice only when a process died after sending and
 * before recording, or could not record for longer than the lease. */

struct queued_mail {
    int64_t id;
    const char *to;
    const char *subject;
    const char *text;
    const char *html;
    int attempts; /* failed deliveries so far */
};

/* Queues a message, due now. STORE_OK or STORE_ERROR. */
int store_mail_enqueue(struct store *st, const char *to, const char *subject, const char *text,
                       const char *html, int64_t now);
/* Claims the message due longest at now (next_attempt_at <= now: never tried, retry time come,
 * or lease expired) for owner until lease_until, and reads it into *out (strings from a).
 * Returns STORE_OK (the caller must send it and record the outcome), STORE_NOT_FOUND when
 * nothing is due (also after a few claims lost in a row to other mailers; try again soon), or
 * STORE_ERROR (nothing claimed, or a claim that cannot be read: it waits for its lease to
 * expire). Finding nothing due writes nothing. */
int store_mail_claim(struct store *st, struct arena *a, const char *owner, int64_t now,
                     int64_t lease_until, struct queued_mail *out);
/* Records a delivery at now, whoever holds the lease by then, and clears the bodies. STORE_OK
 * (also when it was recorded already) or STORE_ERROR (nothing recorded: try again; do not send
 * again). */
int store_mail_sent(struct store *st, int64_t id, int64_t now);
/* Records a failed delivery by owner: tried again at next_attempt_at, or never when it is 0 (the
 * bodies are cleared then). error is kept for the operator. STORE_OK; STORE_NOT_FOUND when the
 * lease is no longer owner's (it expired and another mailer took the message, or it was
 * recorded already), which changes nothing; or STORE_ERROR (try again). */
int store_mail_failed(struct store *st, int64_t id, const char *owner, int64_t next_attempt_at,
                      const char *error);
/* How many messages wait for delivery (never tried, to be tried again, or being sent: leased)
 * into *count. STORE_OK or STORE_ERROR. For the metrics. */
int store_mail_waiting(struct store *st, int64_t *count);

/* --- Paywall ---------------------------------------------------------------------------------
 *
 * Plans (the offers behind "Learn More"), subscriptions, institutions with their address
 * ranges, signed-in readers' meter, the Stripe events already processed, and the default access
 * levels of publications and sections. The decision itself is access.h's; the anonymous meter is
 * meter.h's (a cookie, not the database).
 *
 * Subscriptions are kept when their reader's account is deleted (payment records must be):
 * user_id becomes 0 (NULL in the database) and the row stays. A subscription names its plan by
 * slug, not by reference, so deleting a plan keeps its subscribers' rows too.
 *
 * Times are unix seconds passed in by the caller where a rule depends on them (expiry, the
 * meter's period, event receipt), so tests can move the clock; created_at and updated_at of
 * subscriptions are stamped with util_now().
 *
 * Every change to plans, organisations or their ranges bumps the paywall version in the same
 * transaction (store_paywall_version), so a server holding them in memory knows when another
 * process (`broadsheet plan …`, `broadsheet org …`) changed them.
 */

struct plan {
    int64_t id;
    const char *slug;            /* "monthly"; the key store_plan_save updates by */
    const char *name;            /* "Monthly" */
    const char *description;     /* a sentence for the offers page */
    const char *benefits;        /* one benefit per line ("\n"-separated) */
    const char *period;          /* "month", "year" or "contact" (an offer without a price) */
    int64_t price_cents;         /* >= 0, in currency's minor unit; 0 for "contact" */
    const char *currency;        /* ISO 4217, "USD" when saved as "" */
    int position;                /* order on the offers page, ascending */
    const char *stripe_price_id; /* "price_…", "" without Stripe */
    int active;                  /* 0: withdrawn (kept for existing subscribers, not offered) */
};

struct subscription {
    int64_t id;
    int64_t user_id;                    /* 0: the account was deleted */
    const char *plan_slug;              /* may name a plan since deleted */
    const char *status;                 /* "active", "past_due" or "canceled" */
    int64_t current_period_end;         /* paid (or granted) until; access.h judges it */
    const char *stripe_customer_id;     /* "cus_…", "" when granted by an admin */
    const char *stripe_subscription_id; /* "sub_…", "" when granted by an admin */
    const char *source;                 /* "admin" or "stripe" */
    int64_t created_at;
    int64_t updated_at;
};

struct organisation {
    int64_t id;
    const char *slug;
    const char *name; /* "Access provided by NAME" */
    int64_t ends_at;  /* access ends at this instant; 0: no end date (access.h judges it) */
};

/* One address range of one organisation (store_org_ranges: all of them, joined). */
struct org_range {
    struct organisation organisation;
    const char *cidr; /* normalised by cidr_format: "192.0.2.0/24", "2001:db8::/32" */
};

/* Creates the plan p->slug, or updates every field of the existing plan with that slug. slug,
 * name and a valid period are required; currency "" or NULL saves "USD"; other NULL strings save
 * "". Returns STORE_OK, or STORE_ERROR (reported) for a missing field, an unknown period or a
 * negative price. */
int store_plan_save(struct store *st, const struct plan *p);
/* The plans in offer order (position, then id), only active ones unless include_inactive, as an
 * array of *n from a. STORE_OK (n may be 0) or STORE_ERROR. */
int store_plans(struct store *st, struct arena *a, int include_inactive, struct plan **out,
                size_t *n);
/* The plan with this slug, active or not, into *out (strings from a). STORE_OK, STORE_NOT_FOUND
 * or STORE_ERROR. */
int store_plan_by_slug(struct store *st, struct arena *a, const char *slug, struct plan *out);
/* Deletes the plan with this slug (subscriptions naming it are kept). STORE_OK,
 * STORE_NOT_FOUND or STORE_ERROR. Withdrawing a plan (active 0) is usually what an operator
 * wants instead. */
int store_plan_delete(struct store *st, const char *slug);

/* Grants user_id an admin subscription to plan_slug, active until `until` (unix seconds). A user
 * has at most one admin-granted subscription: a grant replaces the existing one (plan, end,
 * status active again if it was revoked), in one statement. Stripe subscriptions are not
 * touched. The plan is not checked (the caller may: store_plan_by_slug). Returns STORE_OK,
 * STORE_NOT_FOUND when the user does not exist, or STORE_ERROR (also for an empty plan_slug). */
int store_subscription_grant(struct store *st, int64_t user_id, const char *plan_slug,
                             int64_t until);
/* Cancels user_id's admin-granted subscription (status "canceled"; the row is kept). Returns
 * STORE_OK, STORE_NOT_FOUND when the user has none that is not already canceled, or
 * STORE_ERROR. Stripe subscriptions are cancelled through Stripe, not here. */
int store_subscription_revoke(struct store *st, int64_t user_id);
/* user_id's best subscription at now into *out (strings from a): an active one whose
 * current_period_end is after now if there is one (the latest-ending of them), else the most
 * recently updated one of any status (for "your subscription ended on…"). Whether it entitles
 * the reader is access_subscription_active's call. STORE_OK, STORE_NOT_FOUND (the user has
 * none) or STORE_ERROR. */
int store_subscription_current(struct store *st, struct arena *a, int64_t user_id, int64_t now,
                               struct subscription *out);
/* Creates or updates the Stripe subscription stripe_subscription_id (required), as the webhook
 * event made by Stripe at event_at (the event's `created`, unix seconds) reports it. Stripe does
 * not deliver events in order, so the row keeps the time of the event its state came from, and:
 *   - an event at least as new as that (event_at >= the stored time) applies: status ("active",
 *     "past_due" or "canceled": the caller maps Stripe's other statuses onto these),
 *     current_period_end and the time are set; stripe_customer_id, user_id and plan_slug are set
 *     when given ("" or 0 keeps the stored value);
 *   - except that at the same second a stored "canceled" is kept against any other status
 *     (Stripe never reactivates a canceled subscription, so the deletion is the later event);
 *   - an older event sets neither status nor end, and only fills in stripe_customer_id,
 *     user_id and plan_slug where the row has none (a checkout completion delivered after a
 *     later update still ties the subscription to its reader).
 * A new row takes everything given (without a user, user_id 0; without a plan, plan_slug "").
 * Running it twice with the same values changes nothing but updated_at: webhooks may repeat.
 * *applied (when not NULL) is set to 1 if the row's status and end are now this event's, 0 if
 * an older or overruled event left them. Returns STORE_OK, STORE_NOT_FOUND when user_id names
 * no user, or STORE_ERROR (also for an unknown status or an empty id). */
int store_subscription_stripe_upsert(struct store *st, const char *stripe_subscription_id,
                                     const char *stripe_customer_id, int64_t user_id,
                                     const char *plan_slug, const char *status,
                                     int64_t current_period_end, int64_t event_at, int *applied);
/* The subscription of Stripe customer customer_id (an active one first, then the most recently
 * updated) into *out (strings from a). STORE_OK, STORE_NOT_FOUND (none, or customer_id empty)
 * or STORE_ERROR. */
int store_subscription_by_stripe_customer(struct store *st, struct arena *a,
                                          const char *customer_id, struct subscription *out);

/* Creates the organisation slug, or renames it and sets its end when it exists; stores its id in
 * *id (when not NULL). ends_at 0: no end date. STORE_OK or STORE_ERROR (also for an empty slug
 * or name). */
int store_org_save(struct store *st, const char *slug, const char *name, int64_t ends_at,
                   int64_t *id);
/* Adds the range cidr ("192.0.2.0/24", "2001:db8::/32", a bare address for one host; cidr.h)
 * to the organisation org_slug. It is stored normalised (host bits cleared, always with its
 * prefix), so two spellings of one range are one range. Returns STORE_OK, STORE_NOT_FOUND for
 * an unknown organisation, STORE_CONFLICT if the organisation already has the range, or
 * STORE_ERROR (also for text that is not a range: check with cidr_parse first to tell the
 * operator). */
int store_org_add_range(struct store *st, const char *org_slug, const char *cidr);
/* Removes the range cidr (any spelling cidr_parse accepts) from org_slug. STORE_OK,
 * STORE_NOT_FOUND (no such organisation or range) or STORE_ERROR (also for text that is not a
 * range). */
int store_org_remove_range(struct store *st, const char *org_slug, const char *cidr);
/* Every organisation, by slug, as an array of *n from a. STORE_OK or STORE_ERROR. */
int store_orgs(struct store *st, struct arena *a, struct organisation **out, size_t *n);
/* Every range of every organisation, each with its organisation, by organisation slug then
 * range, as an array of *n from a: what the server loads to match client addresses. Ended
 * organisations are included (access_organisation_active tells). STORE_OK or STORE_ERROR. */
int store_org_ranges(struct store *st, struct arena *a, struct org_range **out, size_t *n);
/* Deletes the organisation slug and its ranges. STORE_OK, STORE_NOT_FOUND or STORE_ERROR. */
int store_org_delete(struct store *st, const char *slug);

/* The signed-in reader's meter. A read is one row per (user, article) whose time is when it was
 * counted; the caller's period starts at `since` (now minus the period length). */

/* How many articles user_id has read with read_at >= since, into *count. STORE_OK or
 * STORE_ERROR. */
int store_meter_count(struct store *st, int64_t user_id, int64_t since, int *count);
/* When user_id's read of article_id was counted, into *read_at: STORE_OK, STORE_NOT_FOUND if
 * never (the caller compares it with since to tell a re-read inside the period), or
 * STORE_ERROR. */
int store_meter_read_at(struct store *st, int64_t user_id, int64_t article_id, int64_t *read_at);
/* Counts user_id's read of article_id at now, whatever the allowance (the paywall uses
 * store_meter_take, which decides and records in one step): a first read is stored at now; a
 * re-read whose stored time is at or after since (inside the period) keeps its original time (it
 * cost nothing and does not extend itself); a re-read after the period (stored time before since)
 * counts anew at now. One statement, so two requests at once store one row. Returns STORE_OK,
 * STORE_NOT_FOUND when the user or the article does not exist, or STORE_ERROR. */
int store_meter_record(struct store *st, int64_t user_id, int64_t article_id, int64_t since,
                       int64_t now);
/* What store_meter_take found, and did. */
struct meter_take {
    int already_counted; /* the article was counted inside the period: a re-read, costs nothing */
    int reads_in_period; /* reads counted in the period before this one (a re-read's included) */
    int counted;         /* this read was recorded now */
};

/* Decides and records user_id's read of article_id in one step, against allowance reads per
 * period (since: now minus the period's length), into *out:
 *   - counted inside the period already: a re-read (already_counted), nothing written;
 *   - reads_in_period >= allowance: past the allowance, nothing written;
 *   - otherwise a read to count: when record is set it is recorded at now (counted), judged
 *     again and written in one transaction, so that parallel reads by one reader never go past
 *     the allowance; when record is 0 (a HEAD request, which spends nothing) nothing is
 *     written and counted stays 0.
 * reads_in_period is the count the decision was made on (access.h's reads_in_period). Only a
 * read to count takes the write lock, waiting at most the thread's wait (store_thread_wait):
 * re-reads and a spent meter are answered from a read. Returns STORE_OK; STORE_NOT_FOUND when
 * the user or the article does not exist; or STORE_ERROR (the database is locked past the wait,
 * or failed), with nothing recorded: the caller must not serve the read as counted. */
int store_meter_take(struct store *st, int64_t user_id, int64_t article_id, int64_t since,
                     int64_t now, int allowance, int record, struct meter_take *out);
/* Deletes every read counted before `before` (they no longer count in any period; run it with
 * the longest period in use). STORE_OK or STORE_ERROR. */
int store_meter_purge(struct store *st, int64_t before);

/* Records that the Stripe event event_id (of type `type`) was received at now. Returns STORE_OK
 * if it is new, so the caller processes it, or STORE_CONFLICT if it was already recorded, so the
 * caller acknowledges it without acting again; STORE_ERROR (also for an empty id). The insert
 * decides, so two deliveries racing still process the event once. */
int store_stripe_event_record(struct store *st, const char *event_id, const char *type,
                              int64_t now);
/* Forgets the event event_id, so that Stripe's next delivery of it is processed. STORE_OK,
 * STORE_NOT_FOUND or STORE_ERROR. (The webhook does not need it: it records an event and applies
 * it in one transaction, store_begin, so a failure keeps neither.) */
int store_stripe_event_forget(struct store *st, const char *event_id);

/* Sets the default access level of the articles of publication (or section) slug, applied at
 * import (access_effective_level): "free", "metered", "subscribers", or "" (or NULL) to inherit.
 * Bumps the content version. STORE_OK, STORE_NOT_FOUND or STORE_ERROR (also for another
 * level name). */
int store_publication_set_default_access(struct store *st, const char *slug, const char *level);
int store_section_set_default_access(struct store *st, const char *slug, const char *level);

/* A number that changes whenever plans, organisations or their ranges change, from any process
 * using the same database (as store_content_version). STORE_OK or STORE_ERROR. */
int store_paywall_version(struct store *st, int64_t *version);

/* --- Advertising -----------------------------------------------------------------------------
 *
 * Campaigns (a name, the dates they run, a weight, targeting by publication and section slug),
 * their creatives (an image file under the uploads directory, or an admin's HTML ad tag), and
 * the counts: impressions and clicks per creative per UTC day, nothing per reader. Choosing a
 * creative is ads.h's; the store hands out the eligible ones. Deleting a campaign deletes its
 * creatives, and deleting a creative its counts (ON DELETE CASCADE).
 *
 * Times are unix seconds passed in by the caller where a rule depends on them (which campaigns
 * run now), so tests can move the clock; created_at is stamped with util_now().
 */

struct campaign {
    int64_t id;
    const char *slug;             /* the key store_campaign_save updates by */
    const char *name;             /* for the operator */
    int64_t starts_at;            /* runs from this instant … */
    int64_t ends_at;              /* … until just before this one (exclusive) */
    int weight;                   /* >= 1: its share among the campaigns eligible together */
    const char *publication_slug; /* "" any publication */
    const char *section_slug;     /* "" any section */
    int64_t created_at;
};

struct creative {
    int64_t id;
    struct campaign campaign; /* joined (store_creative_add reads only campaign.slug) */
    const char *placement;    /* "interstitial", "leaderboard", "in-article" or "sidebar" */
    const char *kind;         /* "image" or "html" */
    const char *image_path;   /* "ads/<hex>.png", relative to the uploads directory; "" html */
    const char *image_type;   /* "image/png"…; "" for html */
    int width;                /* pixels, as shown */
    int height;
    const char *alt;       /* an image's text alternative */
    const char *click_url; /* http(s) only; "" for none (html creatives) */
    const char *html;      /* the ad tag of an html creative; "" for images */
    int64_t created_at;
};

/* Counts to add to a creative's day (store_ad_stats_add). */
struct ad_count {
    int64_t creative_id;
    char day[11]; /* "YYYY-MM-DD", UTC */
    int64_t impressions;
    int64_t clicks;
};

/* One line of the report: a creative's counts on one day. */
struct ad_report_row {
    const char *day;
    const char *campaign_slug;
    int64_t creative_id;
    const char *placement;
    int64_t impressions;
    int64_t clicks;
};

/* Creates the campaign c->slug, or updates every field of the existing one, and stores its id
 * in *id (when not NULL). slug and name are required, weight >= 1, ends_at > starts_at; NULL
 * targeting saves "". Returns STORE_OK or STORE_ERROR (reported; also for a refused field). */
int store_campaign_save(struct store *st, const struct campaign *c, int64_t *id);
/* The campaign with this slug into *out (strings from a). STORE_OK, STORE_NOT_FOUND or
 * STORE_ERROR. */
int store_campaign_by_slug(struct store *st, struct arena *a, const char *slug,
                           struct campaign *out);
/* Every campaign, by start then slug, as an array of *n from a. STORE_OK or STORE_ERROR. */
int store_campaigns(struct store *st, struct arena *a, struct campaign **out, size_t *n);
/* Deletes the campaign slug with its creatives and their counts. STORE_OK, STORE_NOT_FOUND or
 * STORE_ERROR. */
int store_campaign_delete(struct store *st, const char *slug);

/* Adds creative c to the campaign c->campaign.slug and stores its id in *id (when not NULL).
 * The caller has validated it (ads.h: placement, kind, URL, the image stored); the table's
 * CHECKs refuse what slips through. Returns STORE_OK, STORE_NOT_FOUND when there is no such
 * campaign, or STORE_ERROR. */
int store_creative_add(struct store *st, const struct creative *c, int64_t *id);
/* The creative with this id, with its campaign, into *out (strings from a). STORE_OK,
 * STORE_NOT_FOUND or STORE_ERROR. */
int store_creative_by_id(struct store *st, struct arena *a, int64_t id, struct creative *out);
/* Every creative with its campaign, by campaign slug then id, as an array of *n from a.
 * STORE_OK or STORE_ERROR. */
int store_creatives(struct store *st, struct arena *a, struct creative **out, size_t *n);
/* Deletes the creative id and its counts (its image file stays: another creative may use the
 * same content). STORE_OK, STORE_NOT_FOUND or STORE_ERROR. */
int store_creative_delete(struct store *st, int64_t id);
/* The creatives for placement of every campaign running at now (starts_at <= now < ends_at)
 * whose targeting is empty or equal to publication and section ("" or NULL: a page of no
 * publication or section, which only untargeted campaigns match), by campaign then creative
 * id, as an array of *n from a. STORE_OK (n may be 0) or STORE_ERROR. */
int store_creatives_eligible(struct store *st, struct arena *a, const char *placement,
                             const char *publication, const char *section, int64_t now,
                             struct creative **out, size_t *n);

/* Adds counts[0..n) (any order; not modified) to ad_stats, each onto its creative's day, in one
 * transaction that writes them in (creative, day) order, so that flushes of several nodes onto
 * the same rows wait for each other instead of deadlocking. Counts of a creative deleted
 * meanwhile are dropped (there is nothing to count them against). STORE_OK, or STORE_ERROR
 * with nothing written (the caller may try again later). */
int store_ad_stats_add(struct store *st, const struct ad_count *counts, size_t n);
/* The counts of every creative on every day from `from` to `to` (inclusive, "YYYY-MM-DD"; ""
 * or NULL: no bound), by day, campaign slug and creative id, as an array of *n from a.
 * STORE_OK or STORE_ERROR. */
int store_ad_report(struct store *st, struct arena *a, const char *from, const char *to,
                    struct ad_report_row **out, size_t *n);

/* Rate limits, shared by every process on the database (store_limits.c has the algorithm).
 * Counts a hit by key (non-empty, e.g. "password-ip-login:192.0.2.1") at now_ms (unix
 * milliseconds) against `limit` hits per window_seconds (each clamped to at least 1): a token
 * bucket that holds `limit` tokens and gets one back every window_seconds / limit seconds, so a
 * key may make `limit` hits at once, then one per interval, and has all `limit` again after a
 * window without hits ("10 per 15 minutes": a burst of 10, then one every 90 seconds), with no
 * window boundary at which 2 × limit get through. Returns 1 if the hit is allowed (and counted),
 * 0 if it is over the limit: then it is not counted, and *retry_after (when not NULL) is the
 * whole number of seconds (at least 1) after which a hit would be allowed, for Retry-After; or
 * STORE_ERROR (the database refused or timed out: nothing is counted, and the caller decides;
 * account.c refuses). The decision and its record are one statement, so two processes hitting
 * one key at once never both take its last token; a hit its stored state refuses is answered
 * from a read, without the write lock. A key should always be used with the same limit and
 * window; when they change, the key starts afresh. */
int store_limit_hit(struct store *st, const char *key, int limit, int window_seconds,
                    int64_t now_ms, int *retry_after);
/* Deletes the limits whose bucket is full at now_ms (unix milliseconds), which say nothing a
 * missing row does not: run it now and then (app.c's hourly tick). STORE_OK or STORE_ERROR. */
int store_limits_purge(struct store *st, int64_t now_ms);

/* --- The newsroom ---------------------------------------------------------------------------
 *
 * Articles of every state share the articles table (migrations/sqlite/012_newsroom.sql): draft,
 * review, scheduled, published, unpublished. Every reader-facing lookup and list above returns
 * published articles only; the newsroom's own functions see every state. */

/* One line of the audit log: who (user_id; 0 for the command line), what (action, such as
 * "article.publish" or "staff.role"), on which article (article_id, 0 for none; kept after the
 * article is deleted), on what else in words (subject: "section world", "ann@example.com"), and a
 * detail ("" for none). at 0 means now. Never put a secret (a password, a token) in it. */
struct audit_entry {
    int64_t at;
    int64_t user_id;
    const char *action;
    int64_t article_id;
    const char *subject;
    const char *detail;
};
/* Appends e to the audit log, with the user's name as it is now (kept should the account go).
 * Joins the caller's transaction, so an action and its entry are kept or lost together.
 * STORE_OK or STORE_ERROR. */
int store_audit_add(struct store *st, const struct audit_entry *e);

/* Records the article as it is now as the revision of its current version (who: user_id, 0 for
 * none; when: now), with its authors' and tags' ids in order, and its id in *revision_id (when
 * not NULL). Call it in the transaction of every save, after the save. STORE_OK, STORE_NOT_FOUND
 * (no such article), STORE_CONFLICT (a revision of that version exists: the save did not move
 * the version) or STORE_ERROR. */
int store_revision_snapshot(struct store *st, int64_t article_id, int64_t user_id, int64_t now,
                            int64_t *revision_id);

/* --- The newsroom's articles (issue 11, "Articles": store_newsroom_articles.c) ----------------
 *
 * An article as the newsroom sees it, in any state, and its workflow. Every save and every
 * change of state is one transaction that moves the article's version by one, stamps updated_at
 * and updated_by, records the revision of the new version (store_revision_snapshot) and an audit
 * entry (store_audit_add). Each write names the version it was based on, and is refused with
 * STORE_CONFLICT when the article has moved on since (optimistic concurrency): the caller then
 * shows who changed it and when (struct newsroom_conflict). Since a change of state moves the
 * version too, a permission rule checked by the caller on the article as loaded
 * (store_newsroom_may) holds for exactly the row the write changes.
 *
 * Times are unix seconds passed in by the caller (tests move the clock). */

/* The input was refused: err says why, in words for the person (a slug taken, an author that
 * does not exist, a time not in the future). Nothing was written. */
#define STORE_INVALID 3

enum article_state {
    ARTICLE_DRAFT,
    ARTICLE_REVIEW,
    ARTICLE_SCHEDULED,
    ARTICLE_PUBLISHED,
    ARTICLE_UNPUBLISHED,
};
/* "draft", "review", "scheduled", "published", "unpublished"; and back (-1 for another name). */
const char *store_article_state_name(enum article_state state);
int store_article_state_parse(const char *name);

struct newsroom_article {
    int64_t id;
    const char *slug;
    const char *headline;
    const char *dek;
    const char *byline;
    const char *body_markdown; /* "" in list results */
    const char *body_html;     /* "" in list results */
    int64_t publication_id;
    const char *publication_name;
    int64_t section_id;
    const char *section_name;
    enum access_level access;
    enum article_state state;
    int64_t version;
    int64_t published_at; /* 0 for a draft never scheduled or published */
    int64_t created_at;
    int64_t updated_at;
    int64_t created_by; /* a user; 0 when none (imported, or the account is gone) */
    int64_t updated_by;
    const char *created_by_name; /* display name, else email; "" when none */
    const char *updated_by_name;
    const char *seo_title;
    const char *seo_description;
    const char *editor_note;
    const char *original_url;  /* where it was first published ("" for ours): migration 016 */
    int embargoed;             /* scheduled and sent to partners ahead (migration 021) */
    int64_t killed_at;         /* when it was killed (unpublished for good); 0: not killed */
    const char *kill_note;     /* why, as partners were told */
    const int64_t *author_ids; /* in order; not in list results */
    size_t author_count;
    const int64_t *tag_ids; /* in order; not in list results */
    size_t tag_count;
    const char *tags; /* the tags' names, ", "-separated in order; "" in list results */
};

/* What the editor's form saves. */
struct newsroom_article_input {
    const char *headline; /* may be "" (a draft autosaved before it had one) */
    const char *dek;
    const char *byline;
    const char *body_markdown;
    const char *body_html; /* rendered by the caller (markdown.h) */
    const char *slug;      /* "" or NULL: made from the headline (see store_newsroom_save) */
    int64_t publication_id;
    int64_t section_id;
    enum access_level access;
    const char *seo_title;
    const char *seo_description;
    const char *editor_note;
    const char *original_url;  /* "" or an absolute http(s) URL, checked by the caller */
    const int64_t *author_ids; /* existing authors, in order; duplicates count once */
    size_t author_count;
    const char *tags; /* names as typed, comma-separated: found by slug or created, in order */
};

/* Who changed an article since the version a write was based on. */
struct newsroom_conflict {
    int64_t version;           /* the article's current version */
    int64_t updated_at;        /* when it was last changed */
    char updated_by_name[200]; /* by whom ("" when unknown) */
};

/* What a person may do to an article (store_newsroom_may). */
enum newsroom_action {
    NEWSROOM_EDIT,      /* save the editor's form */
    NEWSROOM_SUBMIT,    /* draft → review */
    NEWSROOM_PUBLISH,   /* draft, review, scheduled, unpublished → published now */
    NEWSROOM_SCHEDULE,  /* draft, review, scheduled, unpublished → scheduled at a time */
    NEWSROOM_UNPUBLISH, /* published → unpublished */
    NEWSROOM_TO_DRAFT,  /* review, scheduled, unpublished → draft */
    NEWSROOM_DELETE,    /* draft, review, unpublished → gone */
    NEWSROOM_KILL,      /* published, scheduled, unpublished → killed for good (issue 13) */
};

/* 1 if user_id with role may do act to art as it is, else 0. The rules: a writer edits only
 * their own article (created_by) and only while it is a draft or in review, submits their own
 * draft, and takes their own article back from review to draft; an editor or admin does
 * everything to any article, where the state allows the action (see enum newsroom_action):
 * a published article is never deleted, only unpublished first. Readers may do nothing. Only
 * editors and admins kill (as they unpublish), and a killed article (killed_at > 0) allows
 * nothing more: it stays as the record of the kill (issue 13). */
int store_newsroom_may(const struct newsroom_article *art, int64_t user_id, enum role role,
                       enum newsroom_action act);

/* The article id in any state into *out (strings and arrays from a), with its authors' and
 * tags' ids and the tags' names. STORE_OK, STORE_NOT_FOUND or STORE_ERROR. */
int store_newsroom_article(struct store *st, struct arena *a, int64_t id,
                           struct newsroom_article *out);

/* Creates a draft by user_id from in at now, with its slug made from in->slug or else the
 * headline, made unique with "-2", "-3"… ("draft-<random hex>" when neither gives one), its
 * authors and tags, its first revision (version 1) and an audit entry "article.create"; its id
 * in *id. STORE_OK; STORE_INVALID (err says why: an unknown publication, section or author);
 * STORE_ERROR. */
int store_newsroom_create(struct store *st, const struct newsroom_article_input *in,
                          int64_t user_id, int64_t now, int64_t *id, char *err, size_t errlen);

/* Saves in over article id, based on base_version, by user_id at now, in one transaction: the
 * fields, the authors and tags (their links rewritten only when they changed), the slug (from
 * in->slug; an empty one keeps the stored slug, or makes one from the headline while the
 * stored one is a placeholder "draft-…"), version + 1, updated_at/by, the revision, an audit
 * entry "article.save", and user_id's autosave of the article deleted. When the article is
 * published and its slug changes, "/articles/OLD" is recorded in redirects as pointing to it
 * (and any redirect from "/articles/NEW" dropped, so moving back works). Returns STORE_OK;
 * STORE_CONFLICT when the article is no longer at base_version (*conflict says who changed it,
 * when, and its version now); STORE_NOT_FOUND; STORE_INVALID (err: a slug another article or
 * an old URL has, an unknown author, publication or section); STORE_ERROR. The caller checks
 * store_newsroom_may(NEWSROOM_EDIT) on the article at base_version. */
int store_newsroom_save(struct store *st, int64_t id, int64_t base_version,
                        const struct newsroom_article_input *in, int64_t user_id, int64_t now,
                        struct newsroom_conflict *conflict, char *err, size_t errlen);

/* The changes of state, each one transaction based on base_version (STORE_CONFLICT when the
 * article moved on or its state does not allow the change; *conflict, when not NULL, then says
 * who changed it), by user_id at now, with the revision of the new version and an audit entry
 * ("article.submit", "article.publish", "article.schedule", "article.unpublish",
 * "article.draft"). Publishing sets published_at to now; scheduling to at, which must be after
 * now (STORE_INVALID otherwise); back to draft from scheduled sets it to 0. The caller checks
 * store_newsroom_may. STORE_OK, STORE_CONFLICT, STORE_NOT_FOUND, STORE_INVALID or STORE_ERROR. */
int store_newsroom_submit(struct store *st, int64_t id, int64_t base_version, int64_t user_id,
                          int64_t now, struct newsroom_conflict *conflict);
int store_newsroom_publish(struct store *st, int64_t id, int64_t base_version, int64_t user_id,
                           int64_t now, struct newsroom_conflict *conflict);
int store_newsroom_schedule(struct store *st, int64_t id, int64_t base_version, int64_t user_id,
                            int64_t now, int64_t at, struct newsroom_conflict *conflict);
/* store_newsroom_schedule, under embargo: partners receive the article now, with ninjs
 * `embargoed` set to at, while readers see nothing of it until the scheduler publishes it. */
int store_newsroom_embargo(struct store *st, int64_t id, int64_t base_version, int64_t user_id,
                           int64_t now, int64_t at, struct newsroom_conflict *conflict);
int store_newsroom_unpublish(struct store *st, int64_t id, int64_t base_version, int64_t user_id,
                             int64_t now, struct newsroom_conflict *conflict);
int store_newsroom_to_draft(struct store *st, int64_t id, int64_t base_version, int64_t user_id,
                            int64_t now, struct newsroom_conflict *conflict);
/* Deletes article id (a draft, in review, or unpublished: never a published or scheduled one)
 * at base_version, with an audit entry "article.delete" naming its headline (the log keeps the
 * article's id). Same returns as the changes of state. */
int store_newsroom_delete(struct store *st, int64_t id, int64_t base_version, int64_t user_id,
                          int64_t now, struct newsroom_conflict *conflict);

/* Publishes every scheduled article whose time (published_at) is at or before now: a read of
 * the articles_due index first (an index probe when none is due: the server calls this every
 * tick), then one conditional UPDATE … WHERE state = 'scheduled' AND published_at <= now, so
 * that of several nodes doing it at once each article is published by exactly one, which
 * writes its revision and an audit entry "article.publish" (the user: whoever changed it last,
 * usually who scheduled it; detail "its scheduled time came"), and stamps updated_at with its
 * scheduled time, not now, so that a late publication (after a restart) is not an update.
 * *n (when not NULL) gets how many this call published. STORE_OK or STORE_ERROR. */
int store_articles_publish_due(struct store *st, int64_t now, int *n);

/* The newsroom's list. */
enum newsroom_sort {
    NEWSROOM_SORT_UPDATED,   /* last changed first: keyset over (updated_at, id) */
    NEWSROOM_SORT_PUBLISHED, /* latest published_at first: keyset when state is "published" */
    NEWSROOM_SORT_HEADLINE,  /* A to Z: OFFSET paging, up to NEWSROOM_OFFSET_MAX */
};
#define NEWSROOM_OFFSET_MAX 2000 /* rows an OFFSET-paged list may skip: its deepest page */
#define NEWSROOM_PAGE_MAX 200    /* rows in one page at most */

struct newsroom_query {
    int state;              /* enum article_state, or -1 for any */
    int64_t section_id;     /* 0: any */
    int64_t publication_id; /* 0: any */
    int64_t created_by;     /* 0: anyone's */
    const char *words;      /* "" or NULL: any; else headlines containing it (see below) */
    enum newsroom_sort sort;
    int64_t after_key; /* keyset: the last row's sort key (updated_at or published_at) … */
    int64_t after_id;  /* … and id; both 0 for the first page */
    int offset;        /* OFFSET paging (headline, or published time over other states) */
    int limit;         /* 1 … NEWSROOM_PAGE_MAX (clamped); 0: 20 */
};

/* One page of the list for q into *out (list results: no bodies, authors or tags), *n rows,
 * *more whether rows follow, and *keyset whether the page was read by keyset (then the next
 * page starts after the last row's key and id) or by offset (the next page is offset + n; an
 * offset past NEWSROOM_OFFSET_MAX is refused with STORE_INVALID). Words match the headline
 * with LIKE (case-insensitive for ASCII): a scan of the list's rows, which issue 12's search
 * will replace. STORE_OK, STORE_INVALID or STORE_ERROR. */
int store_newsroom_articles(struct store *st, struct arena *a, const struct newsroom_query *q,
                            struct newsroom_article **out, size_t *n, int *more, int *keyset);
/* The counters: user_id's drafts, and the articles waiting for review (indexes
 * articles_created_by and articles_workflow). STORE_OK or STORE_ERROR. */
int store_newsroom_counts(struct store *st, int64_t user_id, int64_t *my_drafts, int64_t *waiting);

/* An author the editor's picker offers (id and name), by name, at most STORE_AUTHOR_CHOICES. */
#define STORE_AUTHOR_CHOICES 1000
struct author_choice {
    int64_t id;
    const char *name;
};
int store_newsroom_author_choices(struct store *st, struct arena *a, struct author_choice **out,
                                  size_t *n);

/* The editor's autosaves: one per article and person, never the article itself. fields is the
 * form as a JSON object (page_newsroom_editor.c names its keys), base_version the version
 * the form was opened at. store_autosave_put replaces user_id's autosave of article_id;
 * store_autosave_get reads it (STORE_NOT_FOUND when there is none); store_autosave_delete drops
 * it (STORE_OK also when there was none). STORE_ERROR on failure. */
struct autosave {
    int64_t base_version;
    int64_t saved_at;
    const char *fields;
};
int store_autosave_put(struct store *st, int64_t article_id, int64_t user_id, int64_t base_version,
                       int64_t now, const char *fields);
int store_autosave_get(struct store *st, struct arena *a, int64_t article_id, int64_t user_id,
                       struct autosave *out);
int store_autosave_delete(struct store *st, int64_t article_id, int64_t user_id);

/* --- Revisions, previews and corrections (store_newsroom_history.c) --------------------------
 *
 * What the newsroom reads of an article's past and adds to a published one: its revisions (the
 * list, one, restoring one as a new version), its corrections and the old paths that answer
 * 301. (A preview reads an autosave with store_autosave_get, a revision's publication and
 * section with store_publication_by_id and store_section_by_id.) */

/* An article as the newsroom sees it, in any state (strings from the caller's arena). */
struct history_article {
    struct article article; /* with body_markdown and body_html */
    const char *state;      /* "draft", "review", "scheduled", "published", "unpublished" */
    int64_t version;
    int64_t created_by, updated_by; /* users; 0 for none (or deleted) */
    const char *updated_by_name;    /* display name, else email; "" for none */
    const char *seo_title, *seo_description, *editor_note;
    int64_t killed_at; /* issue 13: when it was killed (nothing may be restored onto it); 0 */
};
/* The article id into *out. STORE_OK, STORE_NOT_FOUND or STORE_ERROR. */
int store_history_article(struct store *st, struct arena *a, int64_t id,
                          struct history_article *out);

/* One revision: the article as one save left it. */
struct revision {
    int64_t id, article_id, version;
    int64_t user_id;       /* 0 for none (the command line, or an account deleted since) */
    const char *user_name; /* "" for none */
    int64_t created_at;
    const char *state, *slug;
    int64_t publication_id, section_id;
    const char *publication_name, *section_name; /* "" for one deleted since */
    const char *access;
    const char *headline, *dek, *byline;
    const char *author_ids, *tag_ids; /* comma-separated ids in order: "3,7" */
    const char *seo_title, *seo_description, *editor_note;
    const char *body_markdown; /* "" in lists */
    const char *original_url;  /* "Originally published at" (migration 016) */
};
/* The article's revisions older than version before (0: from the newest), newest first, at
 * most limit (1..MAX_LIST_LIMIT; 0: 50), as an array of *n from a. STORE_OK or STORE_ERROR. */
int store_revisions(struct store *st, struct arena *a, int64_t article_id, int64_t before,
                    int limit, struct revision **out, size_t *n);
/* The article's revision of version into *out. STORE_OK, STORE_NOT_FOUND or STORE_ERROR. */
int store_revision(struct store *st, struct arena *a, int64_t article_id, int64_t version,
                   struct revision *out);

/* Restoring a revision: the article's content becomes revision `version`'s (headline, dek,
 * byline, body, publication, section, access, search-engine title and description, original
 * address (migration 016), editor's note, and its authors and tags, skipping those deleted since;
 * its slug and state stay) as a new version, with body_html the caller's safe rendering of the
 * revision's Markdown. */
struct revision_restore {
    int64_t article_id, version;
    int64_t seen_version; /* the article's version the person saw */
    int64_t user_id;      /* who restores */
    int may_edit_any;     /* an editor; else only the article's writer, while draft or review */
    const char *body_html;
    int64_t now;
};
/* Restores q in one transaction with its revision snapshot and audit entry ("article.restore"),
 * the new version in *new_version. STORE_OK; STORE_NOT_FOUND (no such article or revision);
 * STORE_CONFLICT (the article is no longer at seen_version, or no longer one this person may
 * edit: nothing changed); STORE_ERROR. */
int store_revision_restore(struct store *st, const struct revision_restore *q,
                           int64_t *new_version);

#define CORRECTION_MAX_BYTES 2000 /* a correction's text, at most */

struct correction {
    int64_t id, article_id, user_id;
    const char *user_name; /* "" in the readers' list */
    int64_t created_at;
    const char *body; /* plain text */
};
/* Appends a correction (body: 1..CORRECTION_MAX_BYTES bytes of UTF-8) to the published article
 * and saves the article (version + 1, updated_at now), with its revision snapshot and audit
 * entry ("article.correct"), in one transaction; the article's new version in *new_version
 * (when not NULL). STORE_OK; STORE_NOT_FOUND (no such published article); STORE_ERROR (also a
 * refused body, reported). */
int store_correction_add(struct store *st, int64_t article_id, int64_t user_id, const char *body,
                         int64_t now, int64_t *new_version);
/* The article's corrections, oldest first (at most 200), as an array of *n from a: when
 * live_only, only while the article is published, as readers see them. STORE_OK or
 * STORE_ERROR. */
int store_corrections(struct store *st, struct arena *a, int64_t article_id, int live_only,
                      struct correction **out, size_t *n);

/* Saves closer than this to an article's publication are part of publishing it, not updates. */
#define HISTORY_UPDATE_GRACE 60
/* When the published article was last changed after its publication, into *at: the newest of
 * its revisions saved while it was published more than HISTORY_UPDATE_GRACE seconds after
 * published_at (an editor's save, a correction, a restore); 0 when none. Imports record no
 * revision, so their updated_at (the time of the import) never counts. STORE_OK or
 * STORE_ERROR. */
int store_article_modified_at(struct store *st, int64_t article_id, int64_t *at);

/* What an old path ("/articles/old-slug") answers: the current slug of the article it names
 * when that article is published (slug non-empty), or its target path (article_id 0). */
struct redirect {
    int64_t article_id; /* 0 for a row with a target */
    const char *slug;   /* the article's current slug; "" unless it is published */
    const char *target; /* "" unless the row names a path */
};
/* The redirect for path into *out. STORE_OK, STORE_NOT_FOUND or STORE_ERROR. */
int store_redirect_find(struct store *st, struct arena *a, const char *path, struct redirect *out);

/* The names of the authors (tags: 0) or tags (1) whose ids are listed in ids ("3,7"), in
 * order, joined with ", " into *names (from a); ids deleted since are left out. STORE_OK or
 * STORE_ERROR. */
int store_history_names(struct store *st, struct arena *a, int tags, const char *ids,
                        const char **names);
/* --- Authors and tags (store_people.c) -----------------------------------------------------
 *
 * Authors are the people an article's byline names: staff (linked to their account, user_id) or
 * contributors without one. Tags are topics. Articles name them through article_authors and
 * article_tags (in order, `position`), which the article editor writes. Every change here writes
 * its audit log entry (store_audit_add) in its own transaction; the database's triggers note the
 * cache tags (author:ID, tag:ID; list:author:ID, list:tag:ID for the links) in the change log.
 * Readers' lists and an article's authors and tags see published articles only. */

struct author {
    int64_t id;
    const char *slug;       /* URL name: /authors/SLUG */
    const char *name;       /* as shown in bylines */
    const char *bio;        /* Markdown, as typed */
    const char *bio_html;   /* cmark's safe rendering of bio (markdown.h) */
    const char *links;      /* http(s) URLs, one a line ("" none) */
    int64_t user_id;        /* the staff account it is; 0 none */
    const char *user_email; /* that account's address; "" none */
    int64_t created_at;
};

/* An author as saved (people.h checks every field first). */
struct author_input {
    const char *slug;     /* well-formed (slug_valid, PEOPLE_SLUG_MAX) */
    const char *name;     /* required */
    const char *bio;      /* "" none */
    const char *bio_html; /* the caller renders bio (markdown_to_html) */
    const char *links;    /* checked and joined by '\n' (people_links_check) */
    int64_t user_id;      /* 0 none */
};

struct tag {
    int64_t id;
    const char *slug; /* URL name: /tags/SLUG */
    const char *name;
    int64_t created_at;
};

/* An article's author or tag as its page shows it (store_article_people). */
struct article_person {
    int64_t id;
    const char *slug;
    const char *name;
};

#define STORE_PEOPLE_PAGE_MAX 1000 /* authors or tags in one page of the newsroom's lists */

/* One page of the authors (store_authors) or tags (store_tags), by slug: up to limit (1 to
 * STORE_PEOPLE_PAGE_MAX; clamped) of those whose slug comes after after_slug ("" or NULL: from
 * the first), as an array of *n from a (NULL when none); *more says whether any come after.
 * Keyset paging over the slug's UNIQUE index. STORE_OK or STORE_ERROR. */
int store_authors(struct store *st, struct arena *a, const char *after_slug, int limit,
                  struct author **out, size_t *n, int *more);
int store_tags(struct store *st, struct arena *a, const char *after_slug, int limit,
               struct tag **out, size_t *n, int *more);
/* The author or tag by id or slug into *out (strings from a). STORE_OK, STORE_NOT_FOUND or
 * STORE_ERROR. */
int store_author_by_id(struct store *st, struct arena *a, int64_t id, struct author *out);
int store_author_by_slug(struct store *st, struct arena *a, const char *slug, struct author *out);
int store_tag_by_id(struct store *st, struct arena *a, int64_t id, struct tag *out);
int store_tag_by_slug(struct store *st, struct arena *a, const char *slug, struct tag *out);

/* Creates (id 0; its id into *new_id when not NULL) or updates (id) an author, with the audit
 * entry "author.create" or "author.edit" by actor (a user id; 0 the command line), in one
 * transaction. Returns STORE_OK; STORE_CONFLICT when the slug is another author's (*taken =
 * "slug") or the account is another author's (*taken = "user"); STORE_NOT_FOUND when there is
 * no author id, or no user user_id; STORE_ERROR (also for a malformed slug or no name). On any
 * failure nothing is changed. */
int store_author_save(struct store *st, int64_t id, const struct author_input *in, int64_t actor,
                      int64_t *new_id, const char **taken);
/* Deletes author id with its audit entry ("author.delete"), unless an article (of any state)
 * names it: then STORE_CONFLICT with how many in *uses, and nothing changed. STORE_OK,
 * STORE_NOT_FOUND or STORE_ERROR. */
int store_author_delete(struct store *st, int64_t id, int64_t actor, int64_t *uses);
/* Creates (id 0) or renames (id) a tag: name and slug, as store_author_save (audit "tag.create"
 * or "tag.edit"; STORE_CONFLICT: the slug is another tag's). */
int store_tag_save(struct store *st, int64_t id, const char *name, const char *slug, int64_t actor,
                   int64_t *new_id);
/* Deletes tag id ("tag.delete") unless an article names it, as store_author_delete. */
int store_tag_delete(struct store *st, int64_t id, int64_t actor, int64_t *uses);

/* Readers: one page of the published articles of author (tag) id, newest first (published_at,
 * then id), as store_articles_page: up to limit (1 to STORE_ARTICLE_PAGE_MAX) of those after
 * the cursor (NULL: from the newest), *more whether any come after. Bodies are "". STORE_OK or
 * STORE_ERROR. */
int store_author_articles(struct store *st, struct arena *a, int64_t author_id,
                          const struct article_cursor *after, int limit, struct article **out,
                          size_t *n, int *more);
int store_tag_articles(struct store *st, struct arena *a, int64_t tag_id,
                       const struct article_cursor *after, int limit, struct article **out,
                       size_t *n, int *more);
/* The cursor of article article_id in author (tag) id's list into *out: STORE_OK, or
 * STORE_NOT_FOUND when it is not in that list (not theirs, not published, no such article), or
 * STORE_ERROR. What a page's link names a cursor by. */
int store_author_article_cursor(struct store *st, int64_t author_id, int64_t article_id,
                                struct article_cursor *out);
int store_tag_article_cursor(struct store *st, int64_t tag_id, int64_t article_id,
                             struct article_cursor *out);
/* A published article's authors and tags, each in their order, in one query, as arrays of
 * *n_authors and *n_tags from a (NULL when none; none too for an article that is not
 * published, unless any_state is set: the newsroom's preview of a draft). STORE_OK or
 * STORE_ERROR. */
int store_article_people(struct store *st, struct arena *a, int64_t article_id, int any_state,
                         struct article_person **authors, size_t *n_authors,
                         struct article_person **tags, size_t *n_tags);
/* --- Feeds (issue 12, store_feeds.c) -------------------------------------------------------- */

/* The bodies of published article id (which lists leave out: struct article), into *html
 * (cmark's safe rendering) and *markdown, strings from a. STORE_OK, STORE_NOT_FOUND (no such
 * article, or not published) or STORE_ERROR. */
int store_article_body(struct store *st, struct arena *a, int64_t id, const char **html,
                       const char **markdown);

/* --- Newsroom management: staff, sections, publications, the audit log (store_admin.c) -------
 *
 * Every function here that changes something is one transaction (joining the caller's, if one
 * is open) that also writes its audit log entry (store_audit_add), by `by` (the acting user's
 * id; 0 for the command line): the change and its entry are kept or lost together. */

/* The staff (writers, editors, admins; disabled ones too), admins first, then editors, then
 * writers, each by email, as an array of *n from a; password_hash is "*" in the results when
 * the account has a password, "" when it has none yet (invited).
 * STORE_OK or STORE_ERROR. */
int store_staff(struct store *st, struct arena *a, struct user **out, size_t *n);

/* Invites email (lowercased by the store) to the staff with role (writer, editor or admin): an
 * account with display_name and no password, and a "reset" token (store_token_create) whose
 * payload is "invite", keyed by token_hash_hex, valid from now until expires_at: the link that
 * sets its password. The new account's id goes into *id (when not NULL). STORE_OK,
 * STORE_CONFLICT (an account has that address: nothing is changed) or STORE_ERROR (also for a
 * reader role). */
int store_staff_invite(struct store *st, int64_t by, const char *email, const char *display_name,
                       enum role role, const char *token_hash_hex, int64_t now, int64_t expires_at,
                       int64_t *id);

/* Changes the role of user_id and ends its sessions (a privilege change means a new token), as
 * `broadsheet user role` does. STORE_OK (also when the role was already that), STORE_NOT_FOUND,
 * STORE_CONFLICT when it would leave no enabled admin (the account is the last one: nothing is
 * changed), or STORE_ERROR. Concurrent changes are serialised on the admins' rows, so two admins
 * demoting each other at once cannot both succeed. */
int store_staff_set_role(struct store *st, int64_t by, int64_t user_id, enum role role);

/* Disables user_id at now (disabled_at: it can no longer log in), ending every session of it
 * and voiding its unused links (an invitation among them), or enables it again (disable 0).
 * STORE_OK (also when it already was so), STORE_NOT_FOUND, STORE_CONFLICT when disabling the
 * last enabled admin (nothing is changed), or STORE_ERROR. */
int store_staff_set_disabled(struct store *st, int64_t by, int64_t user_id, int disable,
                             int64_t now);

/* A section or publication by id, into *out (strings from a). STORE_OK, STORE_NOT_FOUND or
 * STORE_ERROR. */
int store_section_by_id(struct store *st, struct arena *a, int64_t id, struct section *out);
int store_publication_by_id(struct store *st, struct arena *a, int64_t id, struct publication *out);

/* Creates section s (slug, name, position, default_access: "" inherit, "free", "metered" or
 * "subscribers"), its id into *id (when not NULL). When s->position is 0 it goes last. An old
 * redirect from /sections/SLUG (store_section_update) is dropped: the path is the new section's.
 * STORE_OK, STORE_CONFLICT (the slug is taken) or STORE_ERROR. */
int store_section_create(struct store *st, int64_t by, const struct section *s, int64_t *id);
/* Saves every field of section s->id. When the slug changes, the old path /sections/OLD
 * answers 301 to the new one from then on: a row of the redirects table (target
 * "/sections/NEW"), as an article's old slug does. STORE_OK, STORE_NOT_FOUND, STORE_CONFLICT
 * (the slug is another section's) or STORE_ERROR. */
int store_section_update(struct store *st, int64_t by, const struct section *s);
/* Moves section id one place up (direction -1) or down (+1) in the navigation order, numbering
 * the sections 1, 2, 3… in their current order first (so equal positions move too). STORE_OK
 * (also when it already is first or last), STORE_NOT_FOUND or STORE_ERROR. */
int store_section_move(struct store *st, int64_t by, int64_t id, int direction);
/* Deletes section id when no article (of any state) is in it. STORE_OK, STORE_NOT_FOUND,
 * STORE_CONFLICT with the number of its articles in *articles (nothing is changed), or
 * STORE_ERROR. */
int store_section_delete(struct store *st, int64_t by, int64_t id, int64_t *articles);

/* The same for publications: every field of the syndication footer, default_access and
 * is_host; a changed slug leaves a redirect from /publications/OLD. */
int store_publication_create(struct store *st, int64_t by, const struct publication *p,
                             int64_t *id);
int store_publication_update(struct store *st, int64_t by, const struct publication *p);
int store_publication_delete(struct store *st, int64_t by, int64_t id, int64_t *articles);

/* One entry of the audit log as the audit page shows it. */
struct audit_row {
    int64_t id;
    int64_t at;
    int64_t user_id;       /* 0: the command line, or an account deleted since */
    const char *user_name; /* as it was when the entry was written */
    const char *action;
    int64_t article_id;   /* 0: none */
    const char *headline; /* the article's headline now; "" when none or deleted */
    const char *subject;
    const char *detail;
};

#define STORE_AUDIT_PAGE_MAX 200

/* One page of the audit log, newest first: up to limit (1 to STORE_AUDIT_PAGE_MAX; clamped)
 * entries whose id is below before_id (0: from the newest), of article_id only (0: any), whose
 * action starts with action_prefix ("" or NULL: any); *out from a, *more whether older entries
 * match. Keyset paging by id: by the primary key, or by audit_log_article for an article.
 * STORE_OK or STORE_ERROR. */
int store_audit_page(struct store *st, struct arena *a, int64_t before_id, int64_t article_id,
                     const char *action_prefix, int limit, struct audit_row **out, size_t *n,
                     int *more);

/* --- Readers' lists in keyset pages (issue 12, "Archives and paging": store_lists.c) -----------
 *
 * A list is the published articles of a section, a publication, an author, a tag or a period
 * (a month of the archive), newest first (published_at, then id). Its pages are keyset pages,
 * as store_articles_page's: each starts after the cursor of the page before, searched from in
 * the list's own index, so page 5,000 costs what page 1 costs. */
enum store_list_kind {
    STORE_LIST_SECTION,
    STORE_LIST_PUBLICATION,
    STORE_LIST_AUTHOR,
    STORE_LIST_TAG,
    STORE_LIST_PERIOD,
};

struct store_list {
    enum store_list_kind kind;
    int64_t id;       /* the section's, publication's, author's or tag's */
    int64_t from, to; /* STORE_LIST_PERIOD: published_at in [from, to) */
};

/* One page of list: up to limit (1 to STORE_ARTICLE_PAGE_MAX; clamped) articles after the
 * cursor (NULL: from the newest), as store_articles_page: *out (from a; NULL when none), *n,
 * *more whether any come after. STORE_OK or STORE_ERROR. */
int store_list_page(struct store *st, struct arena *a, const struct store_list *list,
                    const struct article_cursor *after, int limit, struct article **out, size_t *n,
                    int *more);
/* The cursor of article_id in list into *out: STORE_OK, STORE_NOT_FOUND when it is not one of
 * the list's (another list's, not published, no such article), or STORE_ERROR. */
int store_list_cursor(struct store *st, const struct store_list *list, int64_t article_id,
                      struct article_cursor *out);
/* What a page's "newer" link needs: the id of the count-th (1 to STORE_ARTICLE_PAGE_MAX)
 * article of list before the cursor at (newer than it) into *id, or 0 when fewer than count
 * are newer: then the page before at's page is the list's first. One indexed search of count
 * rows up from the cursor. STORE_OK or STORE_ERROR. */
int store_list_newer(struct store *st, const struct store_list *list,
                     const struct article_cursor *at, int count, int64_t *id);
/* The months (each as the unix time of its first second, UTC) in [from, to) that have a
 * published article, newest first, at most max of them, into months[0..*n). One indexed seek
 * per month found, never a scan of the articles. STORE_OK or STORE_ERROR. */
int store_list_months(struct store *st, int64_t from, int64_t to, int64_t *months, size_t max,
                      size_t *n);
/* Most read (issue 12): article views by hour (store_most_read.c, migration 015). */

/* Views to add to an article's hour (store_article_views_add). */
struct article_view_count {
    int64_t article_id;
    int64_t hour; /* the hour's start, Unix seconds, UTC */
    int64_t views;
};

/* One article of the most-read list. */
struct most_read_item {
    int64_t id;
    const char *slug;
    const char *headline;
    int64_t views; /* in the hours summed */
};

/* Adds counts[0..n) (any order; not modified; an (article, hour) may come more than once) to
 * article_views in one transaction, in (hour, article) order so that several nodes' flushes
 * onto the same rows never deadlock, and deletes the hours before purge_before (0: none). An
 * article deleted since it was counted adds nothing. STORE_OK or STORE_ERROR (nothing
 * written). */
int store_article_views_add(struct store *st, const struct article_view_count *counts, size_t n,
                            int64_t purge_before);

/* The published articles with the most views in the hours from since_hour on, at most limit,
 * most views first (then the newer article), as an array of *n from a. STORE_OK or
 * STORE_ERROR. */
int store_most_read(struct store *st, struct arena *a, int64_t since_hour, int limit,
                    struct most_read_item **out, size_t *n);

/* --- Share metadata (issue 12: store_share.c) ------------------------------------------------
 *
 * What the article page's head says besides the article itself (docs/architecture.md, "Share
 * metadata"). */

/* A published article's share fields. */
struct article_share {
    const char *seo_description; /* the newsroom's search-engine description; "" for none */
    const char *original_url;    /* where a carried article was first published; "" for ours */
};
/* The published article id's share fields into *out (strings from a). STORE_OK,
 * STORE_NOT_FOUND (no such published article) or STORE_ERROR. */
int store_article_share(struct store *st, struct arena *a, int64_t id, struct article_share *out);
/* Sitemaps (issue 12: store_sitemap.c, for page_sitemap.c). Published articles only. Rows are
 * streamed: each is handed to fn as it is read, its strings valid only during the call, and
 * nothing is kept; fn must not use the store (the statement is running on the thread's
 * connection) and returns 0 to go on or -1 to stop (the function then returns STORE_ERROR). */
struct sitemap_row {
    const char *slug;
    const char *headline; /* the news sitemap's; NULL in the others */
    int64_t published_at;
    int64_t lastmod; /* the later of the article's update and publication (0 for slugs) */
};
typedef int (*store_sitemap_fn)(void *ctx, const struct sitemap_row *row);
/* Which list of names a sitemap of slugs reads. */
enum store_sitemap_names { STORE_SITEMAP_AUTHORS, STORE_SITEMAP_TAGS };

/* The earliest published_at at or after from into *at: STORE_OK, STORE_NOT_FOUND (none) or
 * STORE_ERROR. An index probe. */
int store_sitemap_next_published(struct store *st, int64_t from, int64_t *at);
/* How many articles were published in [from, to) and the newest lastmod among them (0 for
 * none): an index-only range scan (articles_sitemap). STORE_OK or STORE_ERROR. */
int store_sitemap_range(struct store *st, int64_t from, int64_t to, int64_t *count,
                        int64_t *lastmod);
/* The articles published in [from, to), in (published_at, id) order, from the offset-th for at
 * most limit, to fn (slug, published_at unset, lastmod); *n: how many. STORE_OK or
 * STORE_ERROR. */
int store_sitemap_articles(struct store *st, int64_t from, int64_t to, int64_t offset,
                           int64_t limit, store_sitemap_fn fn, void *ctx, size_t *n);
/* The articles published in (since, until], newest first, at most limit, to fn (slug,
 * headline, published_at); *n: how many. STORE_OK or STORE_ERROR. */
int store_sitemap_news(struct store *st, int64_t since, int64_t until, int64_t limit,
                       store_sitemap_fn fn, void *ctx, size_t *n);
/* The smallest author's (tag's) id at or after from into *id: STORE_OK, STORE_NOT_FOUND or
 * STORE_ERROR. */
int store_sitemap_next_id(struct store *st, enum store_sitemap_names which, int64_t from,
                          int64_t *id);
/* The slugs of the authors (tags) whose id is in [from, to), by id, to fn; *n: how many.
 * STORE_OK or STORE_ERROR. */
int store_sitemap_slugs(struct store *st, enum store_sitemap_names which, int64_t from, int64_t to,
                        store_sitemap_fn fn, void *ctx, size_t *n);

/* Readers' search (issue 12, "Search": store_search.c, migration 014). The index holds, per
 * article, its headline, dek, the text the paywall lets anyone read (the whole body of a free
 * article; the preview_paragraphs first blocks of a metered or subscribers-only one, as the
 * article page sends them) and the rest, kept apart, so that a reader who is not entitled is
 * matched, and shown snippets, from the visible text only. Every write of an article's
 * headline, dek, body or access rewrites its row in the same transaction; searches keep the
 * published articles by joining articles (LIVE), so publishing and taking down need no index
 * write and a taken-down article is gone from results at once. The interface takes a parsed
 * query (search_query.h) and never the engine's syntax: the store builds FTS5 MATCH text on
 * SQLite and to_tsquery text on PostgreSQL, every term quoted. */
struct search_query;

/* Which published articles a search keeps; zero fields mean "any". */
struct search_filter {
    int64_t section_id;
    int64_t publication_id;
    int64_t from; /* published at or after (unix seconds); 0: any */
    int64_t to;   /* published at or before; 0: any */
};

/* One result: the article (bodies "") and a snippet of its text as plain text (not HTML: the
 * caller escapes it) in which each match is between the bytes STORE_SEARCH_MARK_START and
 * STORE_SEARCH_MARK_END, which the indexed text never holds. */
struct search_hit {
    struct article article;
    const char *snippet;
};
#define STORE_SEARCH_MARK_START '\x02'
#define STORE_SEARCH_MARK_END '\x03'
#define STORE_SEARCH_PAGE_MAX 100 /* rows per store_search call, at most */

/* Sets the paywall's preview (config preview_paragraphs, 0 to 20) the index splits articles
 * at from now on. Call before any write (cli.c does, right after store_open); the default is
 * config.c's, 1. */
void store_search_configure(struct store *st, int preview_paragraphs);

/* Rebuilds the index if it was built with another preview (meta.search_preview_paragraphs;
 * -1 after migration 014: never built) or the newest article has no row (one written behind
 * the store's back: found in two index lookups, not a scan, since it runs at every start).
 * *rebuilt: the articles indexed (0: nothing to do). STORE_OK or STORE_ERROR
 * (the reason in err). */
int store_search_check(struct store *st, int64_t *rebuilt, char *err, size_t errlen);

/* Rewrites every article's row from the articles, in batches of a few hundred rows, each in a
 * transaction of its own (the whole table is never in memory, and readers and writers wait
 * for one batch at most), then records the preview it was built with. *count: the articles
 * indexed. STORE_OK or STORE_ERROR (the reason in err). */
int store_search_reindex(struct store *st, int64_t *count, char *err, size_t errlen);

/* The published articles matching q (search_query_parse: at least one included term) and f,
 * best first (bm25 on SQLite, ts_rank on PostgreSQL; a match in the headline weighs most, then
 * the dek; the newest first among equals) among the 10,000 newest matches (by id: what one
 * query costs is bounded, however common its words): up to limit (1 to STORE_SEARCH_PAGE_MAX) from
 * offset, into *hits from a. entitled: the reader may read every article in full (a
 * subscriber, or an institution's address): matched and shown snippets from all the text;
 * otherwise from the headline, dek and visible text only. STORE_OK (no match: *n 0) or
 * STORE_ERROR. */
int store_search(struct store *st, struct arena *a, const struct search_query *q,
                 const struct search_filter *f, int entitled, int offset, int limit,
                 struct search_hit **hits, size_t *n);

/* How many articles store_search would find for q, f and entitled, counted up to cap (a
 * larger number reads as cap): a page says "more than N" rather than count a million
 * matches. STORE_OK or STORE_ERROR. */
int store_search_count(struct store *st, const struct search_query *q,
                       const struct search_filter *f, int entitled, int64_t cap, int64_t *count);

/* --- Publication rights (issue 13, store_content.c) ------------------------------------------ */

/* Sets the rights of publication slug (copyright_holder, copyright_notice, usage_terms and
 * rights_url of p; NULL counts as "", not set) after checking them (ninjs_rights_problem:
 * refused with nothing changed, STORE_ERROR). STORE_OK, STORE_NOT_FOUND or STORE_ERROR. */
int store_publication_set_rights(struct store *st, const char *slug, const struct publication *p);
/* --- Partners (issue 13, "Contract publishing": store_partners.c) ------------------------------
 *
 * A partner receives the publications we produce for it (or license to it): its product is a
 * set of publications and, optionally, of sections. The product rule: a partner receives an
 * article when the article's publication is one of the partner's publications and, if the
 * partner lists sections, the article's section is one of them; in full, or as the paywall's
 * preview only, per content. A partner authenticates with an API key (partner.h), of which
 * only the hash is kept. */
struct partner {
    int64_t id;
    const char *slug;       /* "nti" */
    const char *name;       /* "Nuclear Threat Initiative" */
    const char *content;    /* "full" or "preview" (the paywall's preview only) */
    const char *key_prefix; /* the key's first 8 characters, "bsk_" and 4 more */
    int64_t created_at;
    int64_t key_created_at; /* when the current key was made */
};

/* A partner's product as slugs, for lists (an empty sections list: every section). */
struct partner_product {
    const char **publications;
    size_t npublications;
    const char **sections;
    size_t nsections;
};

/* Creates partner p (slug, name, content; id, key_prefix and the times are ignored) with the
 * API key key (partner_key_valid; only its hash and prefix are stored) and its product: the
 * publications publication_ids[0..npublications) (at least one) and the sections
 * section_ids[0..nsections) (none: every section), in one transaction. *id (if not NULL): the
 * new partner's. Returns STORE_OK; STORE_CONFLICT when the slug (or, never in practice, the
 * key) is taken; STORE_NOT_FOUND when a publication or section id does not exist; STORE_ERROR
 * (reported, never with the key) otherwise. Nothing is written unless STORE_OK. */
int store_partner_add(struct store *st, const struct partner *p, const char *key,
                      const int64_t *publication_ids, size_t npublications,
                      const int64_t *section_ids, size_t nsections, int64_t *id);

/* The partner named slug into *out (strings from a). STORE_OK, STORE_NOT_FOUND or
 * STORE_ERROR. */
int store_partner_by_slug(struct store *st, struct arena *a, const char *slug, struct partner *out);

/* The partner whose API key is key, into *out (strings from a): the key is hashed (BLAKE2b,
 * partner.h) and the hash looked up in one unique index. STORE_NOT_FOUND for a key that is
 * unknown, rotated away, of a removed partner or not shaped like a key (then without a
 * query); STORE_ERROR (reported, never with the key). For the partner API (next round). */
int store_partner_by_key(struct store *st, struct arena *a, const char *key, struct partner *out);

/* Every partner, by slug, into *out (n of them, from a). STORE_OK or STORE_ERROR. */
int store_partners(struct store *st, struct arena *a, struct partner **out, size_t *n);

/* Partner partner_id's product as publication and section slugs, each sorted, into *out (from
 * a). STORE_OK (a partner that does not exist has an empty product) or STORE_ERROR. */
int store_partner_product(struct store *st, struct arena *a, int64_t partner_id,
                          struct partner_product *out);

/* Gives the partner named slug the new API key key (partner_key_valid): the old one stops
 * working at once. STORE_OK, STORE_NOT_FOUND (no such partner), STORE_CONFLICT (the key is
 * another's: never in practice) or STORE_ERROR. */
int store_partner_set_key(struct store *st, const char *slug, const char *key);

/* Removes the partner named slug with its product; its key stops working. STORE_OK,
 * STORE_NOT_FOUND or STORE_ERROR. */
int store_partner_remove(struct store *st, const char *slug);

/* Whether article article_id is in partner partner_id's product (the product rule above, in
 * one query of a few primary-key probes): STORE_OK if it is, STORE_NOT_FOUND if it is not (or
 * either does not exist), STORE_ERROR. It says nothing of the article's state (published,
 * embargoed, killed): which states a partner receives is the API's rule, applied beside it.
 * The same rule is a SQL predicate (store_impl.h PARTNER_SEES) for statements that list
 * articles, so a partner's list is filtered in SQL rather than article by article. */
int store_partner_sees(struct store *st, int64_t partner_id, int64_t article_id);

/* --- The item log (issue 13, "Contract publishing": store_items.c) ----------------------------
 *
 * One row per version of an article a partner may see, in commit order (migration 021): what
 * the partners' API pages through and the webhooks deliver. A version is noted when it is
 * published (a new story, a save, a correction, a restore, the scheduler), sent ahead under
 * embargo (scheduled with embargoed = 1), killed (canceled, once partners had it), or taken
 * down after partners had it (withheld, once). Imports note their published articles too. */

enum item_status { ITEM_USABLE, ITEM_WITHHELD, ITEM_CANCELED };
/* "usable", "withheld", "canceled" (ninjs pubstatus); and back (-1 for another name). */
const char *store_item_status_name(enum item_status status);

struct item_tag {
    const char *name, *slug;
};

/* One version of an article as a partner receives it: the log's row and the version's content
 * (its revision, or the article while the version is its current one). */
struct item_version {
    int64_t seq; /* its place in the log: the partners' cursor */
    int64_t article_id, version;
    enum item_status status;
    int64_t embargoed;  /* not before then (unix seconds); 0: none */
    const char *ednote; /* for the partner's editors: a correction, a kill; "" none */
    int64_t noted_at;   /* when the version was made: ninjs versioncreated */
    int64_t publication_id;
    const char *section_name, *section_slug;
    const char *slug, *headline, *dek, *byline, *summary, *body_markdown;
    const struct item_tag *tags;
    size_t tag_count;
    int64_t created_at;   /* the article's: firstcreated (0: published_at) */
    int64_t published_at; /* the article's: contentcreated (the embargo's time while embargoed) */
};

#define ITEMS_PAGE_MAX 100 /* store_items_after's limit, at most */
#define ITEMS_WINDOW 5000  /* rows of the log one call of store_items_after looks at, at most */

/* The versions after seq `after` (0: from the start) that partner_id's product holds (0: any
 * partner's: every version), oldest first, at most limit (1..ITEMS_PAGE_MAX), into *out (from
 * a) and *n. One call looks at the next ITEMS_WINDOW rows of the log at most, whatever the
 * product, so its cost is bounded also for a partner whose product is a sliver of a long log:
 * *next is the cursor to go on from (the last version returned, or the end of the rows looked
 * at, which may be past it when none of them is the partner's) and *more is 1 while the log
 * goes on after *next (a page may then hold fewer than limit versions, even none). A version
 * whose content is no longer at hand is skipped (revision_keep makes that not happen).
 * STORE_OK or STORE_ERROR. */
int store_items_after(struct store *st, struct arena *a, int64_t partner_id, int64_t after,
                      int limit, struct item_version **out, size_t *n, int64_t *next, int *more);
/* Article article_id's latest version in partner_id's product (0: any), or version `version`
 * of it when version > 0: STORE_OK, STORE_NOT_FOUND (no such version in the log, outside the
 * product, or its content gone), or STORE_ERROR. */
int store_item_get(struct store *st, struct arena *a, int64_t partner_id, int64_t article_id,
                   int64_t version, struct item_version *out);
/* The log's last seq (0 when empty) into *seq. STORE_OK or STORE_ERROR. */
int store_item_log_last(struct store *st, int64_t *seq);

/* Kills article id at base_version (published, scheduled or unpublished, not killed already):
 * it becomes unpublished with killed_at = now and note (why, sent to partners: a note that
 * store_kill_note_check passes), its page answers 410, and partners that had it get a canceled
 * version. The caller checks that the person is an editor. STORE_OK, STORE_CONFLICT,
 * STORE_NOT_FOUND, STORE_INVALID (no note, a draft or one in review, or killed already) or
 * STORE_ERROR. */
#define KILL_NOTE_MAX 1000
/* Whether note (len bytes) may be a kill's reason: the one rule, for the store and the page. */
enum kill_note_check {
    KILL_NOTE_OK,
    KILL_NOTE_NOT_TEXT, /* not UTF-8, or a NUL inside */
    KILL_NOTE_LONG,     /* over KILL_NOTE_MAX bytes */
    KILL_NOTE_BLANK,    /* empty, or nothing but white space */
};
enum kill_note_check store_kill_note_check(const char *note, size_t len);
int store_newsroom_kill(struct store *st, int64_t id, int64_t base_version, int64_t user_id,
                        int64_t now, const char *note, struct newsroom_conflict *conflict);
/* Whether slug names a killed article (its page answers 410): 1, 0, or STORE_ERROR. */
int store_article_killed(struct store *st, const char *slug);

/* --- Webhooks: push to partners (issue 13, "Push": store_webhooks.c, webhook.h) -------------
 *
 * A partner may have one webhook: a URL its items are POSTed to, signed with a secret kept
 * here (the HMAC needs it; never logged or shown after creation), and a cursor in the item log:
 * the seq delivered up to. The delivery worker claims a due webhook by a lease (owner, until),
 * delivers the versions of the partner's product after the cursor in order, and moves the
 * cursor after each 2xx; a failure ends the lease and puts the next attempt a delay ahead.
 * Every attempt is written to the partner's delivery log. */

struct partner_webhook {
    int64_t partner_id;
    const char *partner_slug, *content; /* the partner's: "full" or "preview" */
    const char *url;
    const char *secret;      /* the signing secret: never log or print it */
    int64_t cursor;          /* the item log's seq delivered up to */
    int attempts;            /* failed attempts since the last 2xx */
    int64_t next_attempt_at; /* not before then (unix seconds) */
    const char *lease_owner; /* "" when not leased */
    int64_t lease_until;
    int last_status;        /* the latest attempt's HTTP status; 0: none came */
    const char *last_error; /* the latest failure's reason; "" after a 2xx */
    int64_t created_at;
};

/* One attempt in a partner's delivery log. */
struct webhook_delivery {
    int64_t id, seq, article_id, version;
    int attempt;       /* 1 for the first attempt at this version */
    int status;        /* the HTTP status; 0 when no answer came */
    const char *error; /* "" after a 2xx */
    int64_t duration_ms, at;
};

/* Partner partner_id's webhook into *out (strings from a): STORE_OK, STORE_NOT_FOUND or
 * STORE_ERROR. */
int store_webhook_get(struct store *st, struct arena *a, int64_t partner_id,
                      struct partner_webhook *out);
/* Gives partner partner_id a webhook to url signed with secret, starting at the item log's
 * end (older items are the API's): STORE_OK, STORE_CONFLICT when it has one already (nothing
 * changed), STORE_NOT_FOUND when the partner is gone, or STORE_ERROR. The caller checks url. */
int store_webhook_add(struct store *st, int64_t partner_id, const char *url, const char *secret,
                      int64_t now);
/* Moves partner_id's webhook to url (its cursor and secret kept; due at once, its failures
 * forgotten), or gives it the new signing secret: STORE_OK, STORE_NOT_FOUND (no webhook) or
 * STORE_ERROR. */
int store_webhook_set_url(struct store *st, int64_t partner_id, const char *url);
int store_webhook_set_secret(struct store *st, int64_t partner_id, const char *secret);
/* Removes partner_id's webhook (its delivery log stays until the partner goes): STORE_OK,
 * STORE_NOT_FOUND or STORE_ERROR. */
int store_webhook_remove(struct store *st, int64_t partner_id);

/* Claims up to max webhooks due at now, unleased, with versions in the log past their cursor,
 * for owner until lease_until: each claimed one's row into a new array *out (from a; n of
 * them, 0 when none). STORE_OK or STORE_ERROR. */
int store_webhooks_claim(struct store *st, struct arena *a, const char *owner, int64_t now,
                         int64_t lease_until, size_t max, struct partner_webhook **out, size_t *n);
/* The lease's owner records: version seq delivered with HTTP status (the cursor moves there,
 * attempts back to 0) and the lease extended to lease_until; a failed attempt (the lease
 * ends; next attempt at next_attempt_at, status 0 when none came, error why); or that nothing
 * more is due (the lease ends; the cursor moves to cursor when that is further: past versions
 * outside the product). Each: STORE_OK, STORE_NOT_FOUND when the lease is no longer owner's
 * (or the webhook was removed), or STORE_ERROR. */
int store_webhook_delivered(struct store *st, int64_t partner_id, const char *owner, int64_t seq,
                            int status, int64_t lease_until);
int store_webhook_failed(struct store *st, int64_t partner_id, const char *owner,
                         int64_t next_attempt_at, int status, const char *error);
int store_webhook_release(struct store *st, int64_t partner_id, const char *owner, int64_t cursor);
/* Appends attempt d (its id ignored) to partner_id's delivery log (nothing if the partner was
 * removed). STORE_OK or STORE_ERROR. */
int store_webhook_log(struct store *st, int64_t partner_id, const struct webhook_delivery *d);
/* The newest limit (1..1000) attempts of partner_id's log, newest first, into *out (from a)
 * and *n. STORE_OK or STORE_ERROR. */
int store_webhook_deliveries(struct store *st, struct arena *a, int64_t partner_id, int limit,
                             struct webhook_delivery **out, size_t *n);
/* Deletes from every webhook's delivery log all but its newest keep attempts: STORE_OK or
 * STORE_ERROR. */
int store_webhook_prune(struct store *st, int keep);

#endif
