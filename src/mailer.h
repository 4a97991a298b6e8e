/*
 * mailer.h: the outgoing mail queue. A page that sends mail (a verification or reset link)
 * stores the message in the database and returns; a thread of the mailer delivers it
 * (mail.h: SMTP, or the outbox) and retries with growing delays when the server fails. So a
 * slow or unreachable mail server never holds up a reader's request, and a message the reader
 * was told about is not lost when the process stops before it went out: it is delivered after
 * the restart.
 *
 * A message is sent once per recorded success: the thread claims it in the database (a lease,
 * store.h) before sending and records the outcome after; while the database takes no writes,
 * nothing is sent, and an outcome it refused is kept in memory and recorded later instead of
 * sending again. Every failure, of the mail server or of the database, is followed by a growing
 * wait, never a retry at once. Several mailers (processes, nodes) may share one queue; a message
 * claimed by one that died is taken over by another when its lease expires (config mail_lease,
 * 5 minutes by default).
 */
#ifndef BROADSHEET_MAILER_H
#define BROADSHEET_MAILER_H

#include "config.h"
#include "store.h"

struct mailer;

/* Starts the delivery thread. site_name is the From display name. Never NULL. */
struct mailer *mailer_start(const struct config *config, struct store *store,
                            const char *site_name);
/* Queues a message (one statement: a part of the caller's transaction, store_begin, when one is
 * open; then call mailer_wake after the commit) and wakes the thread, unless it is waiting after
 * a database failure (then the message goes when that wait ends). Returns 0 or -1. */
int mailer_queue(struct mailer *m, const char *to, const char *subject, const char *text,
                 const char *html);
/* Wakes the thread to look for due mail: for a caller that queued mail inside its own
 * transaction (store_begin), after store_commit, since the thread cannot see the message before
 * (it would otherwise find it at its next look, within seconds). NULL is fine. */
void mailer_wake(struct mailer *m);
/* Delivers what is due once more (records a kept outcome first), stops the thread and frees m.
 * An outcome the database still refuses is logged: its message is due again when its lease
 * expires. NULL is fine. */
void mailer_stop(struct mailer *m);

#endif
