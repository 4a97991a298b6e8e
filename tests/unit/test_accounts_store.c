/*
 * test_accounts_store.c: tests of the accounts part of store.h (store.c), each on a fresh
 * database in its own temporary directory: users (case-insensitive email, duplicates refused,
 * also when two threads register the same address at once), account changes, sessions (create,
 * joined lookup, touch, delete, end all but one), deleting a user with its sessions and tokens,
 * single-use tokens (valid once, then used; expired; unknown; of another kind; two threads
 * racing for one; looked at without using them), undo links (the address they hold, voiding
 * around them, the migration that made them possible), purging, and server secrets that
 * survive a reopen.
 *
 * The token hashes here are made-up 64-character strings: the store treats them as opaque keys
 * (auth.h makes real ones).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "check.h"
#include "migrations.h"
#include "store.h"
#include "test_support.h"
#include "util.h"

/* A made-up token hash: 64 hex digits derived from n. */
static const char *fake_hash(char buf[65], unsigned n)
{
    snprintf(buf, 65, "%064x", n);
    return buf;
}

/* Creates a reader with this email, checking it succeeds; returns its id (0 on failure). */
static int64_t make_user(struct store *st, const char *email)
{
    int64_t id = 0;
    CHECK_INT(store_user_create(st, email, "A Reader", "$argon2id$fake", ROLE_READER, &id),
              STORE_OK);
    CHECK(id > 0);
    return id;
}

static void test_role_names(void)
{
    CHECK_STR(store_role_name(ROLE_READER), "reader");
    CHECK_STR(store_role_name(ROLE_WRITER), "writer");
    CHECK_STR(store_role_name(ROLE_EDITOR), "editor");
    CHECK_STR(store_role_name(ROLE_ADMIN), "admin");
    CHECK_INT(store_role_parse("reader"), ROLE_READER);
    CHECK_INT(store_role_parse("admin"), ROLE_ADMIN);
    CHECK_INT(store_role_parse("Admin"), -1);
    CHECK_INT(store_role_parse("root"), -1);
    CHECK_INT(store_role_parse(NULL), -1);
}

static void test_user_create_and_lookup(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    struct user u;
    int64_t id = 0;
    CHECK(tmpdb_make(&t, "accounts") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    int64_t before = util_now();
    CHECK_INT(store_user_create(st, "Ada.Lovelace@Example.COM", "Ada <b>Lovelace</b>",
                                "$argon2id$v=19$fake", ROLE_EDITOR, &id),
              STORE_OK);
    CHECK(id > 0);

    /* Stored lowercased, found whatever the case. */
    CHECK_INT(store_user_by_email(st, a, "ada.lovelace@example.com", &u), STORE_OK);
    CHECK_INT(u.id, id);
    CHECK_STR(u.email, "ada.lovelace@example.com");
    CHECK_STR(u.display_name, "Ada <b>Lovelace</b>"); /* kept as typed; escaped on output */
    CHECK_STR(u.password_hash, "$argon2id$v=19$fake");
    CHECK_INT(u.role, ROLE_EDITOR);
    CHECK_INT(u.email_verified_at, 0);
    CHECK(u.created_at >= before && u.created_at <= before + 5);
    CHECK_INT(store_user_by_email(st, a, "ADA.LOVELACE@EXAMPLE.COM", &u), STORE_OK);
    CHECK_INT(u.id, id);
    CHECK_INT(store_user_by_id(st, a, id, &u), STORE_OK);
    CHECK_STR(u.email, "ada.lovelace@example.com");

    CHECK_INT(store_user_by_email(st, a, "nobody@example.com", &u), STORE_NOT_FOUND);
    CHECK_INT(store_user_by_email(st, a, NULL, &u), STORE_NOT_FOUND);
    CHECK_INT(store_user_by_id(st, a, id + 100, &u), STORE_NOT_FOUND);

    /* The list: oldest first, without password hashes. */
    struct user *list;
    size_t n = 99;
    int64_t second = 0;
    CHECK_INT(store_user_create(st, "b@example.com", "B", "$argon2id$b", ROLE_READER, &second),
              STORE_OK);
    CHECK_INT(store_users(st, a, &list, &n), STORE_OK);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_INT(list[0].id, id);
        CHECK_STR(list[0].email, "ada.lovelace@example.com");
        CHECK_INT(list[0].role, ROLE_EDITOR);
        CHECK_STR(list[0].password_hash, "");
        CHECK_INT(list[1].id, second);
        CHECK_STR(list[1].display_name, "B");
    }

    /* Refused: an empty email, an invalid role. */
    CHECK_INT(store_user_create(st, "", "x", "", ROLE_READER, NULL), STORE_ERROR);
    CHECK_INT(store_user_create(st, "x@example.com", "x", "", (enum role)7, NULL), STORE_ERROR);
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

static void test_duplicate_email(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    struct user u;
    int64_t id = 0;
    CHECK(tmpdb_make(&t, "accounts") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    int64_t first = make_user(st, "reader@example.com");
    CHECK_INT(store_user_create(st, "reader@example.com", "Again", "", ROLE_READER, &id),
              STORE_CONFLICT);
    CHECK_INT(store_user_create(st, "Reader@EXAMPLE.com", "Again", "", ROLE_READER, &id),
              STORE_CONFLICT);
    CHECK_INT(store_user_by_email(st, a, "reader@example.com", &u), STORE_OK);
    CHECK_INT(u.id, first);
    CHECK_STR(u.display_name, "A Reader"); /* nothing of the refused ones was written */

    /* Changing an email to a taken one is a conflict too, in any case. */
    int64_t second = make_user(st, "other@example.com");
    CHECK_INT(store_user_set_email(st, second, "READER@example.com", 0), STORE_CONFLICT);
    CHECK_INT(store_user_by_id(st, a, second, &u), STORE_OK);
    CHECK_STR(u.email, "other@example.com");
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

/* Two threads registering one email at the same moment. */
struct registrar {
    struct store *st;
    pthread_barrier_t *start;
    int result;
};

/* Waits for the other thread, then registers "race@example.com". */
static void *registrar_run(void *arg)
{
    struct registrar *r = arg;
    pthread_barrier_wait(r->start);
    r->result = store_user_create(r->st, "race@example.com", "Racer", "", ROLE_READER, NULL);
    store_thread_done(r->st);
    return NULL;
}

static void test_concurrent_registration(void)
{
    struct tmpdb t;
    pthread_barrier_t start;
    pthread_t threads[2];
    struct registrar r[2];
    CHECK(tmpdb_make(&t, "accounts") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    for (int round = 0; round < 5; round++) {
        pthread_barrier_init(&start, NULL, 2);
        for (int i = 0; i < 2; i++) {
            r[i] = (struct registrar){.st = st, .start = &start, .result = 99};
            CHECK(pthread_create(&threads[i], NULL, registrar_run, &r[i]) == 0);
        }
        for (int i = 0; i < 2; i++)
            pthread_join(threads[i], NULL);
        pthread_barrier_destroy(&start);
        int ok = (r[0].result == STORE_OK) + (r[1].result == STORE_OK);
        int conflict = (r[0].result == STORE_CONFLICT) + (r[1].result == STORE_CONFLICT);
        CHECK_INT(ok, 1);
        CHECK_INT(conflict, 1);
        struct arena *a = arena_new(0);
        struct user u;
        CHECK_INT(store_user_by_email(st, a, "race@example.com", &u), STORE_OK);
        CHECK_INT(store_user_delete(st, u.id), STORE_OK); /* the next round races again */
        arena_free(a);
    }
    store_close(st);
out:
    tmpdb_remove(&t);
}

static void test_user_changes(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    struct user u;
    CHECK(tmpdb_make(&t, "accounts") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    int64_t id = make_user(st, "old@example.com");

    CHECK_INT(store_user_set_name(st, id, "New Name"), STORE_OK);
    CHECK_INT(store_user_set_password_hash(st, id, "$argon2id$new"), STORE_OK);
    CHECK_INT(store_user_set_role(st, id, ROLE_ADMIN), STORE_OK);
    CHECK_INT(store_user_set_role(st, id, (enum role) - 1), STORE_ERROR);
    CHECK_INT(store_user_mark_verified(st, id, 1700000000), STORE_OK);
    CHECK_INT(store_user_by_id(st, a, id, &u), STORE_OK);
    CHECK_STR(u.display_name, "New Name");
    CHECK_STR(u.password_hash, "$argon2id$new");
    CHECK_INT(u.role, ROLE_ADMIN);
    CHECK_INT(u.email_verified_at, 1700000000);

    /* A new email, unverified (0) or verified at a time. */
    CHECK_INT(store_user_set_email(st, id, "New@Example.com", 0), STORE_OK);
    CHECK_INT(store_user_by_id(st, a, id, &u), STORE_OK);
    CHECK_STR(u.email, "new@example.com");
    CHECK_INT(u.email_verified_at, 0);
    CHECK_INT(store_user_by_email(st, a, "old@example.com", &u), STORE_NOT_FOUND);
    CHECK_INT(store_user_set_email(st, id, "newer@example.com", 1700000100), STORE_OK);
    CHECK_INT(store_user_by_id(st, a, id, &u), STORE_OK);
    CHECK_INT(u.email_verified_at, 1700000100);
    CHECK_INT(store_user_set_email(st, id, "", 0), STORE_ERROR);

    /* Changes to a missing user say so. */
    CHECK_INT(store_user_set_name(st, id + 50, "x"), STORE_NOT_FOUND);
    CHECK_INT(store_user_set_email(st, id + 50, "x@example.com", 0), STORE_NOT_FOUND);
    CHECK_INT(store_user_set_password_hash(st, id + 50, "x"), STORE_NOT_FOUND);
    CHECK_INT(store_user_set_role(st, id + 50, ROLE_READER), STORE_NOT_FOUND);
    CHECK_INT(store_user_mark_verified(st, id + 50, 1), STORE_NOT_FOUND);
    CHECK_INT(store_user_delete(st, id + 50), STORE_NOT_FOUND);
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

static void test_sessions(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    struct session s, *list;
    struct user u;
    size_t n;
    char h1[65], h2[65], h3[65], h4[65];
    int64_t s1 = 0, s2 = 0, s3 = 0, other_session = 0;
    CHECK(tmpdb_make(&t, "accounts") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    int64_t id = make_user(st, "sessions@example.com");
    int64_t other = make_user(st, "bystander@example.com");

    CHECK_INT(store_session_create(st, id, fake_hash(h1, 1), 1000, 1000 + 86400, "Firefox/128",
                                   "192.0.2.1", &s1),
              STORE_OK);
    CHECK_INT(store_session_create(st, id, fake_hash(h2, 2), 1100, 1100 + 86400, NULL, NULL, &s2),
              STORE_OK);
    CHECK_INT(
        store_session_create(st, id, fake_hash(h3, 3), 1200, 1200 + 86400, "curl", "::1", &s3),
        STORE_OK);
    CHECK_INT(
        store_session_create(st, other, fake_hash(h4, 4), 1000, 90000, "", "", &other_session),
        STORE_OK);
    CHECK(s1 > 0 && s2 > s1 && s3 > s2);
    /* A hash already in use; a user that does not exist. */
    CHECK_INT(store_session_create(st, id, h1, 1, 2, "", "", NULL), STORE_CONFLICT);
    CHECK_INT(store_session_create(st, id + 100, fake_hash(h4, 5), 1, 2, "", "", NULL),
              STORE_NOT_FOUND);

    /* The joined lookup. */
    CHECK_INT(store_session_by_token(st, a, h1, &s, &u), STORE_OK);
    CHECK_INT(s.id, s1);
    CHECK_INT(s.user_id, id);
    CHECK_INT(s.created_at, 1000);
    CHECK_INT(s.last_seen_at, 1000);
    CHECK_INT(s.expires_at, 1000 + 86400);
    CHECK_STR(s.user_agent, "Firefox/128");
    CHECK_STR(s.ip, "192.0.2.1");
    CHECK_INT(u.id, id);
    CHECK_STR(u.email, "sessions@example.com");
    CHECK_STR(u.display_name, "A Reader");
    CHECK_INT(store_session_by_token(st, a, h2, &s, NULL), STORE_OK);
    CHECK_STR(s.user_agent, "");
    CHECK_INT(store_session_by_token(st, a, fake_hash(h4, 99), &s, &u), STORE_NOT_FOUND);

    /* Touch moves last_seen_at only. */
    CHECK_INT(store_session_touch(st, s1, 5000), STORE_OK);
    CHECK_INT(store_session_by_token(st, a, h1, &s, &u), STORE_OK);
    CHECK_INT(s.last_seen_at, 5000);
    CHECK_INT(s.created_at, 1000);
    CHECK_INT(store_session_touch(st, s3 + 100, 5000), STORE_NOT_FOUND);

    /* Listed most recently seen first: s1 (5000), s3 (1200), s2 (1100). */
    CHECK_INT(store_sessions_for_user(st, a, id, &list, &n), STORE_OK);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_INT(list[0].id, s1);
        CHECK_INT(list[1].id, s3);
        CHECK_INT(list[2].id, s2);
        CHECK_STR(list[1].ip, "::1");
    }

    /* Log out one; then everywhere but the current one (s1). */
    CHECK_INT(store_session_delete(st, s2), STORE_OK);
    CHECK_INT(store_session_delete(st, s2), STORE_NOT_FOUND);
    CHECK_INT(store_session_by_token(st, a, h2, &s, &u), STORE_NOT_FOUND);
    CHECK_INT(store_session_create(st, id, fake_hash(h2, 6), 1300, 90000, "", "", NULL), STORE_OK);
    CHECK_INT(store_session_delete_for_user(st, id, s1), STORE_OK);
    CHECK_INT(store_sessions_for_user(st, a, id, &list, &n), STORE_OK);
    CHECK_INT(n, 1);
    if (n == 1)
        CHECK_INT(list[0].id, s1);
    /* The other user's session is untouched. */
    CHECK_INT(store_sessions_for_user(st, a, other, &list, &n), STORE_OK);
    CHECK_INT(n, 1);
    /* Except 0: all of them. */
    CHECK_INT(store_session_delete_for_user(st, id, 0), STORE_OK);
    CHECK_INT(store_sessions_for_user(st, a, id, &list, &n), STORE_OK);
    CHECK_INT(n, 0);
    CHECK_INT(store_session_delete_for_user(st, id, 0), STORE_OK); /* nothing left: still OK */

    /* Purging removes sessions past their absolute expiry. */
    CHECK_INT(store_accounts_purge(st, 90000), STORE_OK);
    CHECK_INT(store_sessions_for_user(st, a, other, &list, &n), STORE_OK);
    CHECK_INT(n, 0);
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

static void test_delete_user_cascades(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    struct session s, *list;
    struct user u;
    size_t n;
    char h1[65], h2[65], h3[65];
    int64_t uid = 0;
    CHECK(tmpdb_make(&t, "accounts") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    int64_t id = make_user(st, "leaving@example.com");
    int64_t stays = make_user(st, "staying@example.com");
    CHECK_INT(store_session_create(st, id, fake_hash(h1, 1), 1, 100000, "", "", NULL), STORE_OK);
    CHECK_INT(store_token_create(st, id, "reset", fake_hash(h2, 2), "", 1, 100000), STORE_OK);
    CHECK_INT(store_token_create(st, stays, "verify", fake_hash(h3, 3), "", 1, 100000), STORE_OK);

    CHECK_INT(store_user_delete(st, id), STORE_OK);
    CHECK_INT(store_user_by_id(st, a, id, &u), STORE_NOT_FOUND);
    CHECK_INT(store_session_by_token(st, a, h1, &s, &u), STORE_NOT_FOUND);
    CHECK_INT(store_sessions_for_user(st, a, id, &list, &n), STORE_OK);
    CHECK_INT(n, 0);
    CHECK_INT(store_token_consume(st, a, "reset", h2, 2, &uid, NULL), TOKEN_UNKNOWN);
    /* The other account keeps its token; the address is free again. */
    CHECK_INT(store_token_consume(st, a, "verify", h3, 2, &uid, NULL), TOKEN_VALID);
    CHECK_INT(uid, stays);
    make_user(st, "leaving@example.com");
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

static void test_tokens(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    char h1[65], h2[65], h3[65], h4[65];
    int64_t uid = 0;
    const char *payload = NULL;
    CHECK(tmpdb_make(&t, "accounts") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    int64_t id = make_user(st, "tokens@example.com");

    /* Valid once, then used. */
    CHECK_INT(
        store_token_create(st, id, "email_change", fake_hash(h1, 1), "new@example.com", 1000, 4600),
        STORE_OK);
    CHECK_INT(store_token_consume(st, a, "email_change", h1, 1500, &uid, &payload), TOKEN_VALID);
    CHECK_INT(uid, id);
    CHECK_STR(payload, "new@example.com");
    uid = 0;
    payload = NULL;
    CHECK_INT(store_token_consume(st, a, "email_change", h1, 1501, &uid, &payload), TOKEN_USED);
    CHECK_INT(uid, 0); /* nothing handed out */
    CHECK(payload == NULL);

    /* Expired: at expires_at and after, and it stays unused. */
    CHECK_INT(store_token_create(st, id, "reset", fake_hash(h2, 2), NULL, 1000, 4600), STORE_OK);
    CHECK_INT(store_token_consume(st, a, "reset", h2, 4600, &uid, NULL), TOKEN_EXPIRED);
    CHECK_INT(store_token_consume(st, a, "reset", h2, 9999, &uid, NULL), TOKEN_EXPIRED);
    CHECK_INT(store_token_consume(st, a, "reset", h2, 4599, &uid, &payload), TOKEN_VALID);
    CHECK_STR(payload, "");

    /* Unknown: never made, or made for another kind. */
    CHECK_INT(store_token_consume(st, a, "reset", fake_hash(h3, 3), 1000, &uid, NULL),
              TOKEN_UNKNOWN);
    CHECK_INT(store_token_create(st, id, "verify", h3, "", 1000, 4600), STORE_OK);
    CHECK_INT(store_token_consume(st, a, "reset", h3, 1000, &uid, NULL), TOKEN_UNKNOWN);
    CHECK_INT(store_token_consume(st, a, "verify", h3, 1000, &uid, NULL), TOKEN_VALID);

    /* Refused at creation: an unknown kind, a missing user, a hash in use. */
    CHECK_INT(store_token_create(st, id, "login", fake_hash(h4, 4), "", 1, 2), STORE_ERROR);
    CHECK_INT(store_token_create(st, id + 9, "reset", fake_hash(h4, 4), "", 1, 2), STORE_NOT_FOUND);
    CHECK_INT(store_token_create(st, id, "reset", h1, "", 1, 2), STORE_CONFLICT);

    /* Deleting a user's tokens of one kind leaves the others. */
    CHECK_INT(store_token_create(st, id, "reset", fake_hash(h1, 10), "", 1000, 4600), STORE_OK);
    CHECK_INT(store_token_create(st, id, "reset", fake_hash(h2, 11), "", 1000, 4600), STORE_OK);
    CHECK_INT(store_token_create(st, id, "verify", fake_hash(h3, 12), "", 1000, 4600), STORE_OK);
    CHECK_INT(store_tokens_delete_for_user(st, id, "reset"), STORE_OK);
    CHECK_INT(store_token_consume(st, a, "reset", h1, 1000, &uid, NULL), TOKEN_UNKNOWN);
    CHECK_INT(store_token_consume(st, a, "reset", h2, 1000, &uid, NULL), TOKEN_UNKNOWN);
    CHECK_INT(store_token_create(st, id, "reset", fake_hash(h1, 13), "", 1000, 4600), STORE_OK);
    CHECK_INT(store_tokens_delete_for_user(st, id, NULL), STORE_OK); /* every kind */
    CHECK_INT(store_token_consume(st, a, "verify", h3, 1000, &uid, NULL), TOKEN_UNKNOWN);
    CHECK_INT(store_token_consume(st, a, "reset", h1, 1000, &uid, NULL), TOKEN_UNKNOWN);

    /* Purging keeps expired tokens for a day ("expired", not "unknown"), then drops them. */
    CHECK_INT(store_token_create(st, id, "reset", fake_hash(h4, 14), "", 1000, 4600), STORE_OK);
    CHECK_INT(store_accounts_purge(st, 4600 + 3600), STORE_OK);
    CHECK_INT(store_token_consume(st, a, "reset", h4, 4600 + 3600, &uid, NULL), TOKEN_EXPIRED);
    CHECK_INT(store_accounts_purge(st, 4600 + 86400), STORE_OK);
    CHECK_INT(store_token_consume(st, a, "reset", h4, 4600 + 86400, &uid, NULL), TOKEN_UNKNOWN);
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

/* Peeking judges a token as consuming would and changes nothing. */
static void test_token_peek(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    char h1[65], h2[65];
    int64_t uid = 0;
    const char *payload = NULL;
    CHECK(tmpdb_make(&t, "accounts") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    int64_t id = make_user(st, "peek@example.com");
    CHECK_INT(
        store_token_create(st, id, "email_change", fake_hash(h1, 1), "n@example.com", 1000, 4600),
        STORE_OK);
    for (int i = 0; i < 2; i++) { /* twice: the first peek used nothing */
        uid = 0;
        payload = NULL;
        CHECK_INT(store_token_peek(st, a, "email_change", h1, 1500, &uid, &payload), TOKEN_VALID);
        CHECK_INT(uid, id);
        CHECK_STR(payload, "n@example.com");
    }
    CHECK_INT(store_token_peek(st, a, "email_change", h1, 4600, &uid, NULL), TOKEN_EXPIRED);
    CHECK_INT(store_token_peek(st, a, "reset", h1, 1500, &uid, NULL), TOKEN_UNKNOWN);
    CHECK_INT(store_token_peek(st, a, "reset", fake_hash(h2, 2), 1500, &uid, NULL), TOKEN_UNKNOWN);
    CHECK_INT(store_token_consume(st, a, "email_change", h1, 1500, &uid, NULL), TOKEN_VALID);
    uid = 0;
    payload = NULL;
    CHECK_INT(store_token_peek(st, a, "email_change", h1, 1500, &uid, &payload), TOKEN_USED);
    CHECK_INT(uid, 0);                   /* no account handed out */
    CHECK_STR(payload, "n@example.com"); /* but what the link was (an invitation's page says so) */
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

/* Undo links: a pending one holds its address for its account; voiding a user's links keeps
 * them, but for the ones made after the undo link being used. */
static void test_undo_links(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    char h[8][65];
    int64_t uid = 0;
    CHECK(tmpdb_make(&t, "accounts") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    int64_t now = util_now(); /* the hold is judged at util_now() (store.h) */
    int64_t owner = make_user(st, "moved@example.com");
    int64_t other = make_user(st, "other@example.com");
    CHECK_INT(store_user_set_email(st, owner, "new@example.com", now), STORE_OK);
    CHECK_INT(store_token_create(st, owner, "email_undo", fake_hash(h[0], 1), "moved@example.com",
                                 now, now + 3600),
              STORE_OK);
    /* Held: neither a new account nor another one may take it, in any case. */
    CHECK_INT(store_user_create(st, "Moved@Example.com", "Squatter", "", ROLE_READER, NULL),
              STORE_CONFLICT);
    CHECK_INT(store_user_set_email(st, other, "MOVED@example.com", 0), STORE_CONFLICT);
    CHECK_INT(store_user_set_email(st, other + 99, "moved@example.com", 0), STORE_NOT_FOUND);
    /* The account it would return to may. */
    CHECK_INT(store_user_set_email(st, owner, "moved@example.com", now), STORE_OK);
    CHECK_INT(store_user_set_email(st, owner, "new@example.com", now), STORE_OK);
    /* Used, or expired: the address is free again. */
    CHECK_INT(store_token_consume(st, a, "email_undo", h[0], now, &uid, NULL), TOKEN_VALID);
    CHECK_INT(store_user_create(st, "moved@example.com", "Newcomer", "", ROLE_READER, NULL),
              STORE_OK);
    CHECK_INT(store_token_create(st, owner, "email_undo", fake_hash(h[1], 2), "gone@example.com",
                                 now - 7200, now - 3600),
              STORE_OK);
    CHECK_INT(store_user_create(st, "gone@example.com", "Newcomer", "", ROLE_READER, NULL),
              STORE_OK);

    /* Voiding: every pending link but the undo links… */
    CHECK_INT(store_token_create(st, owner, "reset", fake_hash(h[2], 3), "", now, now + 3600),
              STORE_OK);
    CHECK_INT(store_token_create(st, owner, "verify", fake_hash(h[3], 4), "", now, now + 3600),
              STORE_OK);
    CHECK_INT(
        store_token_create(st, owner, "email_change", fake_hash(h[4], 5), "x@b.c", now, now + 9),
        STORE_OK);
    CHECK_INT(
        store_token_create(st, owner, "email_undo", fake_hash(h[5], 6), "a@b.c", now, now + 3600),
        STORE_OK);
    CHECK_INT(
        store_token_create(st, owner, "email_undo", fake_hash(h[6], 7), "b@b.c", now, now + 3600),
        STORE_OK);
    CHECK_INT(
        store_token_create(st, owner, "email_undo", fake_hash(h[7], 8), "c@b.c", now, now + 3600),
        STORE_OK);
    CHECK_INT(store_tokens_void(st, owner, NULL), STORE_OK);
    CHECK_INT(store_token_peek(st, a, "reset", h[2], now, &uid, NULL), TOKEN_UNKNOWN);
    CHECK_INT(store_token_peek(st, a, "verify", h[3], now, &uid, NULL), TOKEN_UNKNOWN);
    CHECK_INT(store_token_peek(st, a, "email_change", h[4], now, &uid, NULL), TOKEN_UNKNOWN);
    for (int i = 5; i <= 7; i++)
        CHECK_INT(store_token_peek(st, a, "email_undo", h[i], now, &uid, NULL), TOKEN_VALID);
    /* … and with an undo link named, the undo links made after it too, not those before. */
    CHECK_INT(store_tokens_void(st, owner, h[6]), STORE_OK);
    CHECK_INT(store_token_peek(st, a, "email_undo", h[5], now, &uid, NULL), TOKEN_VALID);
    CHECK_INT(store_token_peek(st, a, "email_undo", h[6], now, &uid, NULL), TOKEN_VALID);
    CHECK_INT(store_token_peek(st, a, "email_undo", h[7], now, &uid, NULL), TOKEN_UNKNOWN);
    /* Another account's links are not touched. */
    CHECK_INT(store_token_create(st, other, "reset", fake_hash(h[2], 9), "", now, now + 3600),
              STORE_OK);
    CHECK_INT(store_tokens_void(st, owner, NULL), STORE_OK);
    CHECK_INT(store_token_peek(st, a, "reset", h[2], now, &uid, NULL), TOKEN_VALID);
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

/* A database made before undo links (schema version 6) keeps its tokens, ids and all, when it
 * is brought up to date, and then takes undo links. */
static void test_tokens_migration(void)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    char h[65];
    int64_t uid = 0;
    const char *payload = NULL;
    CHECK(tmpdb_make(&t, "accounts") == 0);
    CHECK_INT(tdb_migrate_to(&t, 6), 0);
    CHECK_INT(tdb_exec(&t,
                       "INSERT INTO users (id, email, created_at, updated_at) "
                       "VALUES (7, 'old@example.com', 1, 1);"
                       "INSERT INTO tokens (id, user_id, kind, token_hash, payload, created_at, "
                       "expires_at) VALUES (41, 7, 'email_change', "
                       "'00000000000000000000000000000000000000000000000000000000000000aa', "
                       "'n@example.com', 1000, 4600);"),
              0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    CHECK_INT(
        store_token_consume(st, a, "email_change",
                            "00000000000000000000000000000000000000000000000000000000000000aa",
                            1500, &uid, &payload),
        TOKEN_VALID);
    CHECK_INT(uid, 7);
    CHECK_STR(payload, "n@example.com");
    CHECK_INT(store_token_create(st, 7, "email_undo", fake_hash(h, 1), "old@example.com", 1, 2),
              STORE_OK);
    CHECK_INT(store_user_delete(st, 7), STORE_OK); /* the foreign key still cascades */
    CHECK_INT(store_token_peek(st, a, "email_undo", h, 1, &uid, NULL), TOKEN_UNKNOWN);
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

/* Two threads consuming one token at the same moment. */
struct consumer {
    struct store *st;
    pthread_barrier_t *start;
    const char *hash;
    int result;
};

/* Waits for the other thread, then consumes the reset token hash. */
static void *consumer_run(void *arg)
{
    struct consumer *c = arg;
    struct arena *a = arena_new(0);
    int64_t uid;
    pthread_barrier_wait(c->start);
    c->result = store_token_consume(c->st, a, "reset", c->hash, 2000, &uid, NULL);
    store_thread_done(c->st);
    arena_free(a);
    return NULL;
}

static void test_concurrent_consume(void)
{
    struct tmpdb t;
    pthread_barrier_t start;
    pthread_t threads[2];
    struct consumer c[2];
    char hash[65];
    CHECK(tmpdb_make(&t, "accounts") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    int64_t id = make_user(st, "racer@example.com");
    for (unsigned round = 0; round < 40; round++) {
        CHECK_INT(store_token_create(st, id, "reset", fake_hash(hash, 100 + round), "", 1000, 5000),
                  STORE_OK);
        pthread_barrier_init(&start, NULL, 2);
        for (int i = 0; i < 2; i++) {
            c[i] = (struct consumer){.st = st, .start = &start, .hash = hash, .result = 99};
            CHECK(pthread_create(&threads[i], NULL, consumer_run, &c[i]) == 0);
        }
        for (int i = 0; i < 2; i++)
            pthread_join(threads[i], NULL);
        pthread_barrier_destroy(&start);
        int valid = (c[0].result == TOKEN_VALID) + (c[1].result == TOKEN_VALID);
        int used = (c[0].result == TOKEN_USED) + (c[1].result == TOKEN_USED);
        CHECK_INT(valid, 1);
        CHECK_INT(used, 1);
    }
    store_close(st);
out:
    tmpdb_remove(&t);
}

static void test_secrets(void)
{
    struct tmpdb t;
    unsigned char csrf[32], csrf_again[32], cookie[32], zero[32] = {0};
    CHECK(tmpdb_make(&t, "accounts") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    CHECK_INT(store_secret(st, "csrf", csrf), STORE_OK);
    CHECK(memcmp(csrf, zero, sizeof zero) != 0);
    CHECK_INT(store_secret(st, "csrf", csrf_again), STORE_OK);
    CHECK(memcmp(csrf, csrf_again, sizeof csrf) == 0);
    CHECK_INT(store_secret(st, "cookie", cookie), STORE_OK);
    CHECK(memcmp(csrf, cookie, sizeof csrf) != 0);
    CHECK_INT(store_secret(st, "", cookie), STORE_ERROR);
    store_close(st);

    /* Another process (here: another store) on the same file, after a reopen, sees the same. */
    st = open_store(&t);
    if (!st)
        goto out;
    memset(csrf_again, 0, sizeof csrf_again);
    CHECK_INT(store_secret(st, "csrf", csrf_again), STORE_OK);
    CHECK(memcmp(csrf, csrf_again, sizeof csrf) == 0);
    store_close(st);
out:
    tmpdb_remove(&t);
}

void suite_accounts_store(void)
{
    RUN(test_role_names);
    RUN(test_user_create_and_lookup);
    RUN(test_duplicate_email);
    RUN(test_concurrent_registration);
    RUN(test_user_changes);
    RUN(test_sessions);
    RUN(test_delete_user_cascades);
    RUN(test_tokens);
    RUN(test_token_peek);
    RUN(test_undo_links);
    RUN(test_tokens_migration);
    RUN(test_concurrent_consume);
    RUN(test_secrets);
}
