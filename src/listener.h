/*
 * listener.h: Broadsheet's own accept loop in front of libmicrohttpd.
 *
 * The listener owns the listening socket: it accepts each connection and waits (in its own
 * epoll loop, edge-triggered) until the client has sent something, then hands the connection
 * to libmicrohttpd (MHD_add_connection, with MHD_USE_NO_LISTEN_SOCKET). A connection that
 * sends nothing within the idle timeout is closed here, so silent connections never take one
 * of libmicrohttpd's slots. What the client sends is screened on its way into libmicrohttpd,
 * every request of the connection alike (screen_io.h); the cost here is one epoll round per
 * connection, never per request on a keep-alive connection.
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
/* Starts the accept thread, handing connections to daemon (started with
 * MHD_USE_NO_LISTEN_SOCKET) once they have sent something. timeout_seconds bounds how long that
 * may take. */
int listener_start(struct listener *l, struct MHD_Daemon *daemon, int timeout_seconds);
/* Stops accepting, closes the listening socket and every connection not yet handed over, and
 * frees l. Connections already handed to libmicrohttpd are its own. */
void listener_close(struct listener *l);

#endif
