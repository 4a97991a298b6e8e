/*
 * test_jobs.c: tests of src/jobs.c, the offload thread pool: jobs run; a pool with a queue bound
 * refuses a job when that many wait for a worker (the caller answers 503 instead of letting a
 * burst grow memory without limit) and takes jobs again once they have run; a pool without a
 * bound never refuses; jobs_stop runs what is queued. A refused job's function never runs and
 * nothing of it is kept (the ASan build checks for leaks). Jobs block on a gate the test opens,
 * so which jobs are running and which are waiting is known, not guessed from timing; every wait
 * is bounded.
 */
#include <pthread.h>
#include <time.h>

#include "check.h"
#include "jobs.h"
#include "util.h"

#define WAIT_MS 10000 /* the most a test waits for jobs to start or finish */

/* What the test's jobs share: a gate they wait at, and counts. */
struct gate {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int open;     /* 1: jobs pass the gate */
    int started;  /* jobs that reached the gate */
    int finished; /* jobs that passed it */
};

static void gate_init(struct gate *g)
{
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->changed, NULL);
    g->open = g->started = g->finished = 0;
}

static void gate_destroy(struct gate *g)
{
    pthread_mutex_destroy(&g->lock);
    pthread_cond_destroy(&g->changed);
}

/* A job: counts its start, waits until the gate is open, counts its end. */
static void gated_job(void *arg)
{
    struct gate *g = arg;
    pthread_mutex_lock(&g->lock);
    g->started++;
    pthread_cond_broadcast(&g->changed);
    while (!g->open)
        pthread_cond_wait(&g->changed, &g->lock);
    g->finished++;
    pthread_cond_broadcast(&g->changed);
    pthread_mutex_unlock(&g->lock);
}

/* A job that must never run (it was refused): counts itself where the test looks. */
static void refused_job(void *arg)
{
    int *ran = arg;
    __atomic_add_fetch(ran, 1, __ATOMIC_SEQ_CST);
}

/* Waits until *counter (of g) reaches want, for at most WAIT_MS. Returns 1 if it did. */
static int gate_wait(struct gate *g, const int *counter, int want)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += WAIT_MS / 1000;
    pthread_mutex_lock(&g->lock);
    while (*counter < want)
        if (pthread_cond_timedwait(&g->changed, &g->lock, &until) != 0)
            break;
    int reached = *counter >= want;
    pthread_mutex_unlock(&g->lock);
    return reached;
}

static void gate_open(struct gate *g)
{
    pthread_mutex_lock(&g->lock);
    g->open = 1;
    pthread_cond_broadcast(&g->changed);
    pthread_mutex_unlock(&g->lock);
}

/* One worker, at most two waiting: the worker's job and two queued are taken, the fourth is
 * refused; once they have run, jobs are taken again. */
static void test_bounded_queue_refuses_when_full(void)
{
    struct gate g;
    int refused_ran = 0;
    gate_init(&g);
    struct jobs *j = jobs_start(1, 2);
    CHECK_INT(jobs_submit(j, gated_job, &g), 0);
    CHECK(gate_wait(&g, &g.started, 1)); /* the worker holds it: nothing waits yet */
    CHECK_INT(jobs_queued(j), 0);
    CHECK_INT(jobs_submit(j, gated_job, &g), 0);
    CHECK_INT(jobs_submit(j, gated_job, &g), 0);
    CHECK_INT(jobs_queued(j), 2); /* what the metrics show as broadsheet_jobs_queued */
    CHECK_INT(jobs_submit(j, refused_job, &refused_ran), -1); /* two wait: full */
    CHECK_INT(jobs_submit(j, refused_job, &refused_ran), -1);
    CHECK_INT(jobs_queued(j), 2);
    gate_open(&g);
    CHECK(gate_wait(&g, &g.finished, 3));
    CHECK_INT(jobs_queued(j), 0);
    CHECK_INT(jobs_submit(j, gated_job, &g), 0); /* room again */
    CHECK(gate_wait(&g, &g.finished, 4));
    jobs_stop(j);
    CHECK_INT(g.finished, 4);
    CHECK_INT(__atomic_load_n(&refused_ran, __ATOMIC_SEQ_CST), 0);
    gate_destroy(&g);
}

/* Without a bound (0) nothing is refused, however many wait. */
static void test_unbounded_queue_takes_everything(void)
{
    struct gate g;
    gate_init(&g);
    struct jobs *j = jobs_start(2, 0);
    for (int i = 0; i < 200; i++)
        CHECK_INT(jobs_submit(j, gated_job, &g), 0);
    gate_open(&g);
    CHECK(gate_wait(&g, &g.finished, 200));
    jobs_stop(j);
    CHECK_INT(g.finished, 200);
    gate_destroy(&g);
}

/* jobs_stop runs every job still queued before it returns (an offloaded request resumes its
 * connection from its job, so a job dropped at shutdown would leave a connection hanging). */
static void test_stop_runs_what_is_queued(void)
{
    struct gate g;
    gate_init(&g);
    struct jobs *j = jobs_start(1, 8);
    for (int i = 0; i < 6; i++)
        CHECK_INT(jobs_submit(j, gated_job, &g), 0);
    CHECK(gate_wait(&g, &g.started, 1));
    gate_open(&g);
    jobs_stop(j);
    CHECK_INT(g.finished, 6);
    gate_destroy(&g);
}

void suite_jobs(void)
{
    RUN(test_bounded_queue_refuses_when_full);
    RUN(test_unbounded_queue_takes_everything);
    RUN(test_stop_runs_what_is_queued);
}
