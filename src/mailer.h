/*
 * mailer.h: the outgoing mail queue. A page that sends mail (a verification or reset link)
 * stores the message in the database and returns; a thread of the mailer delivers it
 * (mail.h: SMTP, or the outbox) and retries with growing delays when the server fails. So a
 * slow or unreachable mail server never holds up a reader's request, and a message the reader
 * was told about is not lost when the process stops before it went out: it is delivered after
 * the restart.
 */
#ifndef BROADSHEET_MAILER_H
#define BROADSHEET_MAILER_H

#include "config.h"
#include "store.h"

struct mailer;

/* Starts the delivery thread. site_name is the From display name. Never NULL. */
struct mailer *mailer_start(const struct config *config, struct store *store,
                            const char *site_name);
/* Queues a message (a transaction of its own) and wakes the thread. Returns 0 or -1. */
int mailer_queue(struct mailer *m, const char *to, const char *subject, const char *text,
                 const char *html);
/* Delivers what is due once more, stops the thread and frees m. NULL is fine. */
void mailer_stop(struct mailer *m);

#endif
