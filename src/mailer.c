/*
 * mailer.c: the delivery thread of the mail queue. See mailer.h.
 *
 * The guarantee is that a message is sent once per recorded success, and that no failure makes
 * the thread spin. It delivers one message at a time, in three steps:
 *
 *   1. Claim (store_mail_claim): one UPDATE leases the message to this mailer for mail_lease
 *      seconds (config.h). Nothing is sent unless the claim was written, so a database that
 *      takes no writes (locked by another process, full, read-only) holds mail back rather than
 *      letting it go out unrecorded.
 *   2. Send it (mail.h: SMTP or the outbox).
 *   3. Record the outcome: delivered, or failed and due again after 30 s, 1 min, 2 min… up to an
 *      hour, for MAILER_MAX_ATTEMPTS attempts, then given up. If the database refuses the
 *      record, the outcome is kept here (`unrecorded`) and recorded later: the message is not
 *      sent again, because its lease keeps it from being due meanwhile. Nothing else is claimed
 *      until the kept outcome is recorded, so there is never more than one.
 *
 * Any database failure (claiming or recording) makes the thread wait before it tries again:
 * 1 s, 2 s, 4 s… up to a minute, whatever wakes it, so a locked or failing database costs a
 * few attempts a minute, not a hot loop.
 *
 * The lease is what makes several mailers safe on one database (more processes on one node,
 * several app nodes on one PostgreSQL database): a claimed message is nobody else's until its
 * lease expires, and a process that dies between claiming and recording leaves the message due
 * again when it does. A send is given half the lease at most (and 30 s at most: libcurl's
 * timeout, mail_config.timeout_seconds), so the lease only expires under a live mailer when the
 * database refused the record for the other half; then another mailer may send the message a
 * second time, which is the one case where a message goes twice. The default, 5 minutes, is
 * short enough that mail a dead process had claimed goes out a few minutes late, not never.
 * Leases are compared with each node's own clock: nodes' clocks must agree to well within the
 * lease (NTP does).
 *
 * The log names messages by queue id and outbox path, never by their content: a link in a
 * message is a credential.
 */
#include "mailer.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "mail.h"
#include "util.h"

#define MAILER_MAX_ATTEMPTS 12
#define MAILER_IDLE_SECONDS 5 /* how often the queue is looked at without a wake-up */
#define MAILER_DB_RETRY_MIN_MS 1000
#define MAILER_DB_RETRY_MAX_MS 60000
#define MAILER_OWNER_BYTES 96

/* A delivery whose outcome the database has not taken yet. */
struct outcome {
    int pending;     /* 1: this is still to be recorded */
    int64_t id;      /* the message */
    int delivered;   /* 1: sent (record at `at`); 0: failed */
    int64_t at;      /* delivered: when; failed: the next attempt (0: never) */
    char error[512]; /* failed: why */
};

struct mailer {
    struct store *store;
    struct mail_config mail;
    char *site_name;
    char owner[MAILER_OWNER_BYTES]; /* this mailer's name in lease_owner: host, pid, random */
    int lease_seconds;              /* a claim's length (config mail_lease) */
    struct outcome unrecorded;      /* touched by the thread only */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* on CLOCK_MONOTONIC */
    int stopping;
    int pending; /* woken by mailer_queue */
};

/* Seconds to wait before attempt number `attempts` + 1 after failed deliveries. */
static int64_t backoff(int attempts)
{
    int64_t delay = 30;
    for (int i = 1; i < attempts && delay < 3600; i++)
        delay *= 2;
    return delay < 3600 ? delay : 3600;
}

/* Milliseconds to wait after the `failures`-th database failure in a row (1, 2, …). */
static int64_t database_backoff_ms(int failures)
{
    int64_t delay = MAILER_DB_RETRY_MIN_MS;
    for (int i = 1; i < failures && delay < MAILER_DB_RETRY_MAX_MS; i++)
        delay *= 2;
    return delay < MAILER_DB_RETRY_MAX_MS ? delay : MAILER_DB_RETRY_MAX_MS;
}

/* Writes outcome o to the database. Returns 0 when it is recorded (or there is nothing left to
 * record: the lease went to another mailer), -1 when the database refused it (reported by the
 * store; try again later). */
static int record(struct mailer *m, const struct outcome *o)
{
    if (o->delivered)
        return store_mail_sent(m->store, o->id, o->at) == STORE_OK ? 0 : -1;
    switch (store_mail_failed(m->store, o->id, m->owner, o->at, o->error)) {
    case STORE_OK: return 0;
    case STORE_NOT_FOUND:
        fprintf(stderr,
                "broadsheet: mail %lld: its lease passed to another mailer before this failed "
                "attempt was recorded; leaving it to that one\n",
                (long long)o->id);
        return 0;
    default: return -1;
    }
}

/* Sends the claimed message q and fills in o with the outcome (not yet recorded). */
static void send_claimed(struct mailer *m, const struct queued_mail *q, struct outcome *o)
{
    struct mail_message msg = {q->to, q->subject, q->text, q->html};
    char path[1024];
    path[0] = '\0';
    memset(o, 0, sizeof *o);
    o->id = q->id;
    if (mail_send(&m->mail, &msg, o->error, sizeof o->error, path, sizeof path) == 0) {
        o->delivered = 1;
        o->at = util_now();
        if (*path)
            fprintf(stderr, "broadsheet: mail %lld written to %s\n", (long long)q->id, path);
        else
            fprintf(stderr, "broadsheet: mail %lld delivered\n", (long long)q->id);
        return;
    }
    int attempts = q->attempts + 1;
    o->at = attempts >= MAILER_MAX_ATTEMPTS ? 0 : util_now() + backoff(attempts);
    fprintf(stderr, "broadsheet: mail %lld not delivered (attempt %d%s): %s\n", (long long)q->id,
            attempts, o->at ? "" : ", giving up", o->error);
}

/* Records the kept outcome, if any, then claims, sends and records every due message, one at a
 * time. Returns 0 when nothing is due any more, or -1 at the first database failure (the caller
 * waits before calling again); an outcome the database refused is kept in m->unrecorded. */
static int deliver_due(struct mailer *m, struct arena *a)
{
    if (m->unrecorded.pending) {
        if (record(m, &m->unrecorded) != 0) {
            fprintf(stderr,
                    "broadsheet: mail %lld: the outcome is still not recorded; nothing more is "
                    "sent until it is\n",
                    (long long)m->unrecorded.id);
            return -1;
        }
        fprintf(stderr, "broadsheet: mail %lld: outcome recorded\n", (long long)m->unrecorded.id);
        m->unrecorded.pending = 0;
    }
    for (;;) {
        struct queued_mail q;
        struct outcome o;
        arena_reset(a);
        int64_t now = util_now();
        int rc = store_mail_claim(m->store, a, m->owner, now, now + m->lease_seconds, &q);
        if (rc == STORE_NOT_FOUND)
            return 0;
        if (rc != STORE_OK)
            return -1;
        send_claimed(m, &q, &o);
        if (record(m, &o) != 0) {
            fprintf(stderr,
                    "broadsheet: mail %lld: the outcome could not be recorded; keeping it to "
                    "record later (the message is not sent again)\n",
                    (long long)o.id);
            m->unrecorded = o;
            m->unrecorded.pending = 1;
            return -1;
        }
    }
}

/* Waits (m->lock held) until the monotonic time deadline_ms, until stopping, or, when
 * wake_on_queue is set, until mailer_queue signals. */
static void wait_until(struct mailer *m, int64_t deadline_ms, int wake_on_queue)
{
    struct timespec until = {(time_t)(deadline_ms / 1000), (long)(deadline_ms % 1000) * 1000000L};
    while (!m->stopping && !(wake_on_queue && m->pending))
        if (pthread_cond_timedwait(&m->wake, &m->lock, &until) == ETIMEDOUT)
            break;
}

/* The delivery thread. */
static void *run(void *arg)
{
    struct mailer *m = arg;
    struct arena *a = arena_new(0);
    int failures = 0; /* database failures in a row */
    pthread_mutex_lock(&m->lock);
    while (!m->stopping) {
        m->pending = 0;
        pthread_mutex_unlock(&m->lock);
        int rc = deliver_due(m, a);
        pthread_mutex_lock(&m->lock);
        if (rc == 0) {
            failures = 0;
            wait_until(m, util_monotonic_ms() + MAILER_IDLE_SECONDS * 1000, 1);
        } else {
            /* A wake-up does not cut this short: a reader's new message waits out the backoff
             * like the rest, or a failing database would be hammered once per request. */
            int64_t delay = database_backoff_ms(++failures);
            /* While the database is unavailable the store has said so once: one line here for
             * the first failure, not one per retry for as long as the outage lasts. */
            if (failures == 1 || !store_unavailable(m->store))
                fprintf(stderr,
                        "broadsheet: mailer: the database failed; trying again in %lld ms\n",
                        (long long)delay);
            wait_until(m, util_monotonic_ms() + delay, 0);
        }
    }
    pthread_mutex_unlock(&m->lock);
    deliver_due(m, a); /* what was queued just before stopping */
    if (m->unrecorded.pending)
        fprintf(stderr,
                "broadsheet: mail %lld: stopping with its outcome (%s) unrecorded; it is due "
                "again when its lease expires and may then be sent again\n",
                (long long)m->unrecorded.id, m->unrecorded.delivered ? "delivered" : "failed");
    store_thread_done(m->store);
    arena_free(a);
    return NULL;
}

struct mailer *mailer_start(const struct config *config, struct store *store, const char *site_name)
{
    struct mailer *m = xcalloc(1, sizeof *m);
    char host[64] = "";
    m->store = store;
    m->site_name = xstrdup(site_name);
    m->mail.smtp_url = config->smtp_url;
    m->mail.smtp_user = config->smtp_user;
    m->mail.smtp_password = config->smtp_password;
    m->mail.starttls = config->smtp_starttls;
    m->mail.from_address = config->mail_from;
    m->mail.site_name = m->site_name;
    m->mail.outbox_dir = config->outbox;
    /* A send gets half the lease (mail.c caps it at 30 s), so it always ends, delivered or
     * not, while the lease is still ours, with the other half left to record the outcome. */
    m->lease_seconds = config->mail_lease;
    m->mail.timeout_seconds = m->lease_seconds / 2;
    /* Host and pid tell an operator whose lease it is; the random part keeps two mailers apart
     * even where both are equal (a pid reused after a restart, containers). */
    if (sodium_init() < 0) {
        fprintf(stderr, "broadsheet: cannot initialise libsodium\n");
        abort();
    }
    gethostname(host, sizeof host - 1);
    snprintf(m->owner, sizeof m->owner, "%s/%ld/%08x", host, (long)getpid(),
             (unsigned)randombytes_random());
    pthread_mutex_init(&m->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* util_monotonic_ms's clock */
    pthread_cond_init(&m->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&m->thread, NULL, run, m) != 0) {
        fprintf(stderr, "broadsheet: cannot start the mail thread\n");
        abort();
    }
    return m;
}

int mailer_queue(struct mailer *m, const char *to, const char *subject, const char *text,
                 const char *html)
{
    if (store_mail_enqueue(m->store, to, subject, text, html, util_now()) != STORE_OK)
        return -1;
    mailer_wake(m);
    return 0;
}

void mailer_wake(struct mailer *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    m->pending = 1;
    pthread_cond_signal(&m->wake);
    pthread_mutex_unlock(&m->lock);
}

void mailer_stop(struct mailer *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    m->stopping = 1;
    pthread_cond_signal(&m->wake);
    pthread_mutex_unlock(&m->lock);
    pthread_join(m->thread, NULL);
    pthread_mutex_destroy(&m->lock);
    pthread_cond_destroy(&m->wake);
    free(m->site_name);
    free(m);
}
