/*
 * jobs.c: the offload thread pool: a mutex-protected FIFO with a length bound and a condition
 * variable. See jobs.h.
 */
#include "jobs.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

struct job {
    void (*fn)(void *arg);
    void *arg;
    struct job *next;
};

struct jobs {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    struct job *head, *tail;
    unsigned queued;     /* jobs in the FIFO (taken ones are not counted) */
    unsigned max_queued; /* 0: no bound */
    int stopping;
    unsigned count;
    pthread_t *threads;
};

/* A worker: takes jobs until the pool stops and the queue is empty. */
static void *worker(void *arg)
{
    struct jobs *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->lock);
        while (!j->head && !j->stopping)
            pthread_cond_wait(&j->ready, &j->lock);
        struct job *job = j->head;
        if (job) {
            j->head = job->next;
            if (!j->head)
                j->tail = NULL;
            j->queued--;
        }
        pthread_mutex_unlock(&j->lock);
        if (!job)
            return NULL; /* stopping, queue drained */
        job->fn(job->arg);
        free(job);
    }
}

struct jobs *jobs_start(unsigned threads, unsigned max_queued)
{
    struct jobs *j = xcalloc(1, sizeof *j);
    j->max_queued = max_queued;
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->ready, NULL);
    j->count = threads ? threads : 1;
    j->threads = xcalloc(j->count, sizeof *j->threads);
    for (unsigned i = 0; i < j->count; i++) {
        if (pthread_create(&j->threads[i], NULL, worker, j) != 0) {
            fprintf(stderr, "broadsheet: cannot start a job thread\n");
            abort();
        }
    }
    return j;
}

int jobs_submit(struct jobs *j, void (*fn)(void *arg), void *arg)
{
    struct job *job = xmalloc(sizeof *job); /* outside the lock; freed again if refused */
    job->fn = fn;
    job->arg = arg;
    job->next = NULL;
    pthread_mutex_lock(&j->lock);
    if (j->max_queued && j->queued >= j->max_queued) {
        pthread_mutex_unlock(&j->lock);
        free(job);
        return -1;
    }
    j->queued++;
    if (j->tail)
        j->tail->next = job;
    else
        j->head = job;
    j->tail = job;
    pthread_cond_signal(&j->ready);
    pthread_mutex_unlock(&j->lock);
    return 0;
}

unsigned jobs_queued(struct jobs *j)
{
    pthread_mutex_lock(&j->lock); /* a scrape's few reads: not worth an atomic on every submit */
    unsigned n = j->queued;
    pthread_mutex_unlock(&j->lock);
    return n;
}

void jobs_stop(struct jobs *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->lock);
    j->stopping = 1;
    pthread_cond_broadcast(&j->ready);
    pthread_mutex_unlock(&j->lock);
    for (unsigned i = 0; i < j->count; i++)
        pthread_join(j->threads[i], NULL);
    pthread_mutex_destroy(&j->lock);
    pthread_cond_destroy(&j->ready);
    free(j->threads);
    free(j);
}
