/*
 * test_mailer.c: tests of the mail queue's delivery thread (src/mailer.c) when the database does
 * not take what the mailer writes (issue 8, finding 19): a message is sent once per recorded
 * success, nothing is sent while the database cannot record a claim, and every database failure
 * is followed by a growing wait, never a hot loop.
 *
 * Each test runs a real store and a real mailer thread on a fresh database, with mail going to
 * the outbox (counted as .eml files) or to a local TCP port that accepts and drops every
 * connection (counted as connections). The database is made to fail from outside, through a
 * connection of the test's own on the same file:
 *   - locked: the test's connection holds BEGIN IMMEDIATE (the write lock; readers go on, as in
 *     WAL mode), as another process importing articles would;
 *   - refusing one kind of write at once: a trigger fails the UPDATE that records a delivery (or
 *     a failed attempt) with RAISE(FAIL), as a full disk would, and first logs the attempt's time
 *     in a table (FAIL keeps the statement's earlier changes), so the test can count the
 *     mailer's attempts and the waits between them.
 * Each test watches for about 6.5 s, longer than the old mailer's 5 s retry, so that a message
 * sent twice would show. Time bounds are generous: an attempt count is checked against an upper
 * bound and the waits only for growing, never for an exact length.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "mailer.h"
#include "store.h"
#include "test_support.h"
#include "util.h"

#define WATCH_MS 6500       /* how long a failure is kept up: more than the old 5 s retry */
#define SETTLE_MS 20000     /* the most a test waits for the mailer to record, once it can */
#define MAX_ATTEMPTS_SEEN 6 /* attempts in WATCH_MS: a hot loop would make thousands */

/* One test's database, outbox and configuration, and the test's own connection to the file. */
struct env {
    struct tmpdb t;
    char outbox[160];
    struct config config;
    struct store *st;
    sqlite3 *db; /* the test's connection: locks, triggers, checks */
};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* Runs sql on the test's connection; a failure fails the test. */
static void exec(struct env *e, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(e->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "    %s: %s\n", sql, msg ? msg : "?");
        CHECK(!"a statement of the test failed");
    }
    sqlite3_free(msg);
}

/* The integer the query returns (its first column of its first row), or -1. */
static long long query_int(struct env *e, const char *sql)
{
    sqlite3_stmt *s = NULL;
    long long v = -1;
    if (sqlite3_prepare_v2(e->db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* Polls the query until it returns 1, for at most SETTLE_MS. Returns 1 if it did. */
static int wait_until(struct env *e, const char *sql)
{
    int64_t end = util_monotonic_ms() + SETTLE_MS;
    while (util_monotonic_ms() < end) {
        if (query_int(e, sql) == 1)
            return 1;
        sleep_ms(50);
    }
    return 0;
}

/* Messages in the outbox (.eml files; the hidden .tmp files are not messages yet). */
static int outbox_count(struct env *e)
{
    DIR *d = opendir(e->outbox);
    int n = 0;
    if (!d)
        return 0; /* not made yet: nothing was written */
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        size_t len = strlen(de->d_name);
        n += de->d_name[0] != '.' && len > 4 && strcmp(de->d_name + len - 4, ".eml") == 0;
    }
    closedir(d);
    return n;
}

/* Makes the database, store and configuration of a test, with one message queued (id 1). mail
 * goes to smtp_url, or to the outbox when it is NULL. Returns 0, or -1 (a check has failed). */
static int env_open(struct env *e, const char *smtp_url)
{
    char err[256];
    memset(e, 0, sizeof *e);
    config_init(&e->config);
    if (tmpdb_make(&e->t, "mailer") != 0) {
        CHECK(!"mkdtemp failed");
        return -1;
    }
    snprintf(e->outbox, sizeof e->outbox, "%s/outbox", e->t.dir);
    CHECK(config_set(&e->config, "outbox", e->outbox, err, sizeof err) == 0);
    CHECK(config_set(&e->config, "mail_from", "news@example.test", err, sizeof err) == 0);
    if (smtp_url)
        CHECK(config_set(&e->config, "smtp_url", smtp_url, err, sizeof err) == 0);
    if (!(e->st = open_store(&e->t)))
        return -1;
    CHECK(sqlite3_open(e->t.path, &e->db) == SQLITE_OK);
    sqlite3_busy_timeout(e->db, 5000);
    exec(e, "CREATE TABLE test_attempts (at REAL NOT NULL)");
    CHECK_INT(store_mail_enqueue(e->st, "reader@example.com", "Verify your email address",
                                 "Follow this link: https://example.test/verify?token=t", "",
                                 util_now()),
              STORE_OK);
    return 0;
}

/* Closes what env_open made and removes the files. */
static void env_close(struct env *e)
{
    DIR *d = opendir(e->outbox);
    if (d) {
        char file[512];
        for (struct dirent *de; (de = readdir(d)) != NULL;) {
            if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
                snprintf(file, sizeof file, "%s/%s", e->outbox, de->d_name);
                unlink(file);
            }
        }
        closedir(d);
        rmdir(e->outbox);
    }
    sqlite3_close(e->db);
    store_close(e->st);
    config_free(&e->config);
    tmpdb_remove(&e->t);
}

/* Installs a trigger that refuses every UPDATE of mail_queue setting column (sent_at: recording
 * a delivery; last_error: recording a failed attempt), logging each attempt in test_attempts. */
static void refuse_updates_of(struct env *e, const char *column)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "CREATE TRIGGER test_refuse BEFORE UPDATE OF %s ON mail_queue "
             "WHEN NEW.%s IS NOT NULL AND NEW.%s <> '' BEGIN "
             "INSERT INTO test_attempts VALUES (julianday('now') * 86400.0); "
             "SELECT RAISE(FAIL, 'simulated: the database refused the write'); END",
             column, column, column);
    exec(e, sql);
}

/* Checks the attempts logged in test_attempts: at least one, at most MAX_ATTEMPTS_SEEN, and each
 * wait between two attempts longer than the one before (a backoff, not a fixed period). */
static void check_backoff(struct env *e)
{
    sqlite3_stmt *s = NULL;
    double at[64];
    int n = 0;
    CHECK(sqlite3_prepare_v2(e->db, "SELECT at FROM test_attempts ORDER BY at", -1, &s, NULL) ==
          SQLITE_OK);
    while (s && sqlite3_step(s) == SQLITE_ROW)
        if (n < (int)ARRAY_LEN(at))
            at[n++] = sqlite3_column_double(s, 0);
    sqlite3_finalize(s);
    fprintf(stderr, "    %d attempts to record:", n);
    for (int i = 1; i < n; i++)
        fprintf(stderr, " +%.2fs", at[i] - at[i - 1]);
    fprintf(stderr, "\n");
    CHECK(n >= 1);
    CHECK(n <= MAX_ATTEMPTS_SEEN);
    for (int i = 2; i < n; i++)
        CHECK(at[i] - at[i - 1] > at[i - 1] - at[i - 2]);
}

/* The mailer sends the message and the database refuses to record the delivery for a while (as
 * when the disk is full). The message must not go out again: the mailer keeps the outcome and
 * tries to record it, waiting longer each time; once the database takes it, it is recorded. */
static void test_sent_once_when_recording_the_delivery_fails(void)
{
    struct env e;
    if (env_open(&e, NULL) == 0) {
        refuse_updates_of(&e, "sent_at");
        struct mailer *m = mailer_start(&e.config, e.st, "Broadsheet Test");
        sleep_ms(WATCH_MS);
        int written = outbox_count(&e);
        exec(&e, "DROP TRIGGER test_refuse");
        CHECK(wait_until(&e, "SELECT sent_at IS NOT NULL FROM mail_queue WHERE id = 1"));
        mailer_stop(m);
        CHECK_INT(written, 1);
        CHECK_INT(outbox_count(&e), 1);
        check_backoff(&e);
    }
    env_close(&e);
}

/* Another connection holds the database's write lock when the mailer starts, for longer than
 * the store's busy timeout. Nothing may be sent while the mailer cannot record that it took the
 * message; once the lock is released the message is written exactly once and recorded. */
static void test_nothing_sent_while_locked_then_once(void)
{
    struct env e;
    if (env_open(&e, NULL) == 0) {
        exec(&e, "BEGIN IMMEDIATE");
        struct mailer *m = mailer_start(&e.config, e.st, "Broadsheet Test");
        sleep_ms(WATCH_MS);
        int written_while_locked = outbox_count(&e);
        exec(&e, "COMMIT");
        CHECK(wait_until(&e, "SELECT sent_at IS NOT NULL FROM mail_queue WHERE id = 1"));
        mailer_stop(m);
        CHECK_INT(written_while_locked, 0);
        CHECK_INT(outbox_count(&e), 1);
    }
    env_close(&e);
}

/* A TCP listener on 127.0.0.1 that accepts and at once closes every connection, counting them:
 * an SMTP server that fails every delivery, and a count of delivery attempts. With `silent`, it
 * keeps each connection open and says nothing instead: a server that hangs. */
struct dropper {
    int fd;
    int port;
    int silent;
    int held[8]; /* silent: the connections kept open */
    atomic_int accepted;
    atomic_int stopping;
    pthread_t thread;
};

/* The dropper's thread: accepts and closes (or keeps) until stopping. */
static void *dropper_run(void *arg)
{
    struct dropper *d = arg;
    while (!atomic_load(&d->stopping)) {
        struct pollfd p = {.fd = d->fd, .events = POLLIN};
        if (poll(&p, 1, 100) == 1) {
            int c = accept(d->fd, NULL, NULL);
            if (c >= 0) {
                int n = atomic_fetch_add(&d->accepted, 1);
                if (d->silent && n < (int)ARRAY_LEN(d->held))
                    d->held[n] = c;
                else
                    close(c);
            }
        }
    }
    return NULL;
}

/* Starts a dropper on a free port (silent: see struct dropper). Returns 0 or -1. */
static int dropper_start(struct dropper *d, int silent)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    memset(d, 0, sizeof *d);
    d->silent = silent;
    d->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (d->fd < 0 || bind(d->fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(d->fd, 16) != 0 || getsockname(d->fd, (struct sockaddr *)&addr, &len) != 0) {
        if (d->fd >= 0)
            close(d->fd);
        return -1;
    }
    d->port = ntohs(addr.sin_port);
    if (pthread_create(&d->thread, NULL, dropper_run, d) != 0) {
        close(d->fd);
        return -1;
    }
    return 0;
}

static void dropper_stop(struct dropper *d)
{
    atomic_store(&d->stopping, 1);
    pthread_join(d->thread, NULL);
    close(d->fd);
    for (int i = 0; d->silent && i < atomic_load(&d->accepted) && i < (int)ARRAY_LEN(d->held); i++)
        close(d->held[i]);
}

/* The SMTP server fails the delivery and the database refuses to record the failed attempt for
 * a while. The mailer must not try the server again meanwhile (the message is still its own),
 * and must wait longer between its attempts to record; once the database takes it, the failed
 * attempt is recorded, with the next one far ahead. */
static void test_failed_attempt_unrecorded_is_not_retried_at_once(void)
{
    struct dropper d;
    struct env e;
    char url[64];
    if (dropper_start(&d, 0) != 0) {
        CHECK(!"cannot listen on 127.0.0.1");
        return;
    }
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", d.port);
    if (env_open(&e, url) == 0) {
        refuse_updates_of(&e, "last_error");
        struct mailer *m = mailer_start(&e.config, e.st, "Broadsheet Test");
        sleep_ms(WATCH_MS);
        int tried = atomic_load(&d.accepted);
        exec(&e, "DROP TRIGGER test_refuse");
        CHECK(wait_until(&e, "SELECT attempts = 1 AND last_error <> '' AND sent_at IS NULL AND "
                             "next_attempt_at > unixepoch() + 10 FROM mail_queue WHERE id = 1"));
        mailer_stop(m);
        CHECK_INT(tried, 1);
        CHECK_INT(atomic_load(&d.accepted), 1);
        check_backoff(&e);
    }
    env_close(&e);
    dropper_stop(&d);
}

/* A server that accepts the connection and never answers, with the shortest lease (mail_lease
 * 10 s): the send must give up within half the lease, and its failure be recorded while the
 * lease is still the mailer's, so no other mailer (another node) could have taken the message
 * and sent it meanwhile. libcurl's own limit, 30 s, would outlast the lease three times. */
static void test_send_ends_within_the_lease(void)
{
    struct dropper d;
    struct env e;
    char url[64], err[256];
    if (dropper_start(&d, 1) != 0) {
        CHECK(!"cannot listen on 127.0.0.1");
        return;
    }
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", d.port);
    if (env_open(&e, url) == 0) {
        CHECK(config_set(&e.config, "mail_lease", "10", err, sizeof err) == 0);
        int64_t started = util_monotonic_ms();
        struct mailer *m = mailer_start(&e.config, e.st, "Broadsheet Test");
        /* the claim, seen before the send gives up: a lease of 10 s (not 300), 5 or more left */
        CHECK(wait_until(&e, "SELECT lease_owner <> '' AND next_attempt_at BETWEEN "
                             "unixepoch() + 5 AND unixepoch() + 10 FROM mail_queue WHERE id = 1"));
        CHECK(wait_until(&e, "SELECT attempts = 1 AND last_error <> '' AND sent_at IS NULL "
                             "FROM mail_queue WHERE id = 1"));
        int64_t took = util_monotonic_ms() - started;
        mailer_stop(m);
        fprintf(stderr, "    the hung send was recorded as failed after %lld ms\n",
                (long long)took);
        CHECK(took >= 4000); /* it waited for the server: half the lease */
        CHECK(took < 9000);  /* and gave up well inside the lease */
        CHECK_INT(atomic_load(&d.accepted), 1);
    }
    env_close(&e);
    dropper_stop(&d);
}

void suite_mailer(void)
{
    RUN(test_sent_once_when_recording_the_delivery_fails);
    RUN(test_nothing_sent_while_locked_then_once);
    RUN(test_failed_attempt_unrecorded_is_not_retried_at_once);
    RUN(test_send_ends_within_the_lease);
}
