/*
 * mailer.c: the delivery thread of the mail queue. See mailer.h.
 *
 * The thread sleeps on a condition variable, woken by mailer_queue or every few seconds, and
 * sends every message whose time has come. A failed send is tried again after 30 s, 1 min,
 * 2 min… up to an hour apart, for MAILER_MAX_ATTEMPTS attempts, then left marked failed. The
 * log names messages by queue id and outbox path, never by their content: a link in a message
 * is a credential.
 */
#include "mailer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "mail.h"
#include "util.h"

#define MAILER_BATCH 20
#define MAILER_MAX_ATTEMPTS 12
#define MAILER_IDLE_SECONDS 5

struct mailer {
    struct store *store;
    struct mail_config mail;
    char *site_name;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stopping;
    int pending; /* woken by mailer_queue */
};

/* Seconds to wait before attempt number `attempts` + 1. */
static int64_t backoff(int attempts)
{
    int64_t delay = 30;
    for (int i = 1; i < attempts && delay < 3600; i++)
        delay *= 2;
    return delay < 3600 ? delay : 3600;
}

/* Sends every message that is due. */
static void deliver_due(struct mailer *m)
{
    struct arena *a = arena_new(0);
    for (;;) {
        arena_reset(a);
        struct queued_mail *list;
        size_t n;
        int64_t now = util_now();
        if (store_mail_due(m->store, a, now, MAILER_BATCH, &list, &n) != STORE_OK || n == 0)
            break;
        for (size_t i = 0; i < n; i++) {
            struct mail_message msg = {list[i].to, list[i].subject, list[i].text, list[i].html};
            char err[512], path[1024];
            path[0] = '\0';
            if (mail_send(&m->mail, &msg, err, sizeof err, path, sizeof path) == 0) {
                store_mail_sent(m->store, list[i].id, util_now());
                if (*path)
                    fprintf(stderr, "broadsheet: mail %lld written to %s\n", (long long)list[i].id,
                            path);
                else
                    fprintf(stderr, "broadsheet: mail %lld delivered\n", (long long)list[i].id);
            } else {
                int attempts = list[i].attempts + 1;
                int64_t next = attempts >= MAILER_MAX_ATTEMPTS ? 0 : util_now() + backoff(attempts);
                store_mail_failed(m->store, list[i].id, next, err);
                fprintf(stderr, "broadsheet: mail %lld not delivered (attempt %d%s): %s\n",
                        (long long)list[i].id, attempts, next ? "" : ", giving up", err);
            }
        }
        if (n < MAILER_BATCH)
            break;
    }
    arena_free(a);
}

/* The delivery thread. */
static void *run(void *arg)
{
    struct mailer *m = arg;
    pthread_mutex_lock(&m->lock);
    while (!m->stopping) {
        m->pending = 0;
        pthread_mutex_unlock(&m->lock);
        deliver_due(m);
        pthread_mutex_lock(&m->lock);
        if (m->stopping || m->pending)
            continue;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += MAILER_IDLE_SECONDS;
        pthread_cond_timedwait(&m->wake, &m->lock, &until);
    }
    pthread_mutex_unlock(&m->lock);
    deliver_due(m); /* what was queued just before stopping */
    store_thread_done(m->store);
    return NULL;
}

struct mailer *mailer_start(const struct config *config, struct store *store, const char *site_name)
{
    struct mailer *m = xcalloc(1, sizeof *m);
    m->store = store;
    m->site_name = xstrdup(site_name);
    m->mail.smtp_url = config->smtp_url;
    m->mail.smtp_user = config->smtp_user;
    m->mail.smtp_password = config->smtp_password;
    m->mail.starttls = config->smtp_starttls;
    m->mail.from_address = config->mail_from;
    m->mail.site_name = m->site_name;
    m->mail.outbox_dir = config->outbox;
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->wake, NULL);
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
    pthread_mutex_lock(&m->lock);
    m->pending = 1;
    pthread_cond_signal(&m->wake);
    pthread_mutex_unlock(&m->lock);
    return 0;
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
