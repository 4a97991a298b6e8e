/*
 * jobs.h: a small pool of threads for work that must not run on an HTTP worker thread.
 *
 * libmicrohttpd's worker threads each serve many connections; a request that blocks one (an
 * argon2id password hash takes about 0.1 s and 64 MiB) would stall every reader on that thread.
 * Such a request suspends its connection, its work runs here (a ROUTE_JOB handler, or a step of
 * one: http_offload in http.h), and the connection resumes when the work is done. The pool's
 * size is also the bound on how many password hashes run at once.
 *
 * The queue of jobs waiting for a worker is bounded too (max_queued), so a burst of log-ins
 * cannot grow memory and latency without limit: when it is full, jobs_submit refuses the job
 * and the caller answers at once (503 with Retry-After) instead of queueing it.
 */
#ifndef BROADSHEET_JOBS_H
#define BROADSHEET_JOBS_H

struct jobs;

/* Starts threads workers (0: one) whose queue holds at most max_queued jobs waiting for a worker
 * (besides the ones running); 0: no bound, for callers that cannot refuse work. Never NULL
 * (aborts if threads cannot be made). Free with jobs_stop. */
struct jobs *jobs_start(unsigned threads, unsigned max_queued);
/* Queues fn(arg); it runs on one of the workers, in submission order per worker. Returns 0, or
 * -1 when max_queued jobs are already waiting: then nothing is queued, fn never runs and arg is
 * still the caller's. */
int jobs_submit(struct jobs *j, void (*fn)(void *arg), void *arg);
/* Jobs waiting for a worker now (not the running ones). For the metrics; any thread. */
unsigned jobs_queued(struct jobs *j);
/* Runs what is queued, stops the workers and frees the pool. */
void jobs_stop(struct jobs *j);

#endif
