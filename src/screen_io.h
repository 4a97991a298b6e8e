/*
 * screen_io.h: putting the request screen (screen.h) in front of libmicrohttpd.
 *
 * libmicrohttpd 0.9.75 parses leniently where a proxy in front may be strict (white space
 * before a header's colon, obs-fold lines, NUL in values), answers some malformed requests
 * itself with a malformed response (a missing Host, a bad Content-Length or an oversized head:
 * the status line and headers twice, and none of our security headers), and answers
 * "Transfer-Encoding: xchunked" not at all. It has no hook before its parser, and it reads
 * every byte of every request on a connection itself, so screening only a connection's first
 * request (as our listener did) would let a second request on the same keep-alive connection
 * through unscreened.
 *
 * So every byte libmicrohttpd reads passes through the screen first: this module defines
 * recv(), which the dynamic linker binds libmicrohttpd's calls to (a definition in the
 * executable comes before libc's: symbol interposition). For a socket libmicrohttpd serves, it
 * reads, feeds the screen, and passes acceptable bytes on; on a verdict it writes the refusal
 * (a well-formed response with our security headers and Connection: close) to the socket itself
 * and reports the connection reset, so that libmicrohttpd closes it without a word of its own.
 * When pipelined requests precede the refused one in the same read, they are passed on and
 * answered first; the refusal goes out when libmicrohttpd comes back for more. Every other
 * socket (SMTP, Stripe, a database) is read as is.
 *
 * A connection is known from libmicrohttpd's connection notifications, which come before its
 * first read and before its socket is closed, so a descriptor number reused by another socket is
 * never screened. screen_io_init refuses to start the server if the interposition is not in
 * effect (a static build, say).
 */
#ifndef BROADSHEET_SCREEN_IO_H
#define BROADSHEET_SCREEN_IO_H

#include <microhttpd.h>
#include <stddef.h>

struct app;

/* libmicrohttpd's memory per connection (MHD_OPTION_CONNECTION_MEMORY_LIMIT): room for the
 * largest head the screen lets through (SCREEN_MAX_HEAD) twice over, so libmicrohttpd never
 * refuses a head on its own. */
#define SCREEN_IO_MHD_MEMORY 65536

/* Prepares the refusals (the site's error pages) and the table of connections, sized by the
 * process's descriptor limit. Returns 0, or -1 (printed) when recv() is not interposed. Call
 * once, before the first connection. */
int screen_io_init(struct app *app);
/* Frees what screen_io_init made (no connection may be left). */
void screen_io_free(void);

/* MHD_NotifyConnectionCallback: starts and ends a connection's screening. */
void screen_io_notify(void *cls, struct MHD_Connection *connection, void **socket_context,
                      enum MHD_ConnectionNotificationCode toe);

/* The highest descriptor number the table covers, plus one: the listener refuses connections
 * whose descriptor is not below it. */
int screen_io_max_fd(void);

#endif
