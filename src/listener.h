/*
 * listener.h: Broadsheet's own accept loop in front of libmicrohttpd.
 *
 * libmicrohttpd 0.9.75 closes a connection without any response when the request line has no
 * space in it ("GARBAGE"), so that one kind of malformed request would get no answer. The
 * listener owns the listening socket instead: it accepts each connection, waits (in its own
 * epoll loop, edge-triggered) until the first request line has arrived, peeks at it without
 * consuming it, answers a line that cannot be a request line with 400 itself, and hands every
 * other connection to libmicrohttpd (MHD_add_connection), which reads the same bytes as if it
 * had accepted the connection. Only a connection's first line is screened: the cost is one
 * epoll round per connection, never per request on a keep-alive connection.
 *
 * A connection that sends no complete first line within the idle timeout is closed; a first
 * line longer than the peek buffer is handed over as is (libmicrohttpd answers 414 or 431).
 */
#ifndef BROADSHEET_LISTENER_H
#define BROADSHEET_LISTENER_H

#include <microhttpd.h>
#include <sys/socket.h>

struct listener;

/* Binds and listens on addr. Returns NULL with err set on failure. */
struct listener *listener_open(const struct sockaddr *addr, socklen_t addr_len, char *err,
                               size_t errlen);
/* The bound port (useful with port 0). */
unsigned listener_port(const struct listener *l);
/* Starts the accept thread, handing screened connections to daemon (started with
 * MHD_USE_NO_LISTEN_SOCKET). timeout_seconds bounds how long a first line may take. */
int listener_start(struct listener *l, struct MHD_Daemon *daemon, int timeout_seconds);
/* Stops accepting, closes the listening socket and every connection not yet handed over, and
 * frees l. Connections already handed to libmicrohttpd are its own. */
void listener_close(struct listener *l);

#endif
