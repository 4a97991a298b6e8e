/*
 * screen_io.c: the screen in front of libmicrohttpd's reads. See screen_io.h.
 */
#include "screen_io.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "app.h"
#include "respond.h"
#include "screen.h"
#include "util.h"

#define MAX_TABLE (1 << 20) /* descriptors covered at most (8 MiB of table, touched as used) */
#define DRAIN_BYTES 65536   /* unread input dropped before a refusal's close, at most */

/* One connection being served by libmicrohttpd. */
struct conn_state {
    int fd;
    struct screen screen;
    unsigned refuse; /* a verdict sent once the requests before it are answered */
    int refused;     /* the refusal went out: the connection is over */
};

static _Atomic(struct conn_state *) *table; /* by descriptor; NULL: not a connection of ours */
static int table_size;
static struct screen_limits limits;

/* The prepared refusals. */
static const unsigned refusal_statuses[] = {400, 408, 414, 431, 501, 505};
static struct {
    char *bytes;
    size_t len;
} refusals[sizeof refusal_statuses / sizeof refusal_statuses[0]];

int screen_io_init(struct app *app)
{
    /* The interposition must be in effect: libmicrohttpd's recv is the one the dynamic linker
     * finds first, which must be ours. */
    void *found = dlsym(RTLD_DEFAULT, "recv");
    if (found != (void *)recv) {
        fprintf(stderr, "broadsheet: the request screen is not in front of libmicrohttpd "
                        "(recv is not interposed; was the binary linked statically?)\n");
        return -1;
    }
    struct rlimit rl;
    rlim_t n = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
    table_size = n > MAX_TABLE ? MAX_TABLE : (int)n;
    table = xcalloc((size_t)table_size, sizeof *table);
    limits.head_deadline_ms = (int64_t)app->config->header_timeout * 1000;
    limits.body_min_rate = (uint64_t)app->config->body_min_rate;
    for (size_t i = 0; i < ARRAY_LEN(refusal_statuses); i++)
        refusals[i].bytes = respond_raw_error(app, refusal_statuses[i], &refusals[i].len);
    return 0;
}

void screen_io_free(void)
{
    free((void *)table);
    table = NULL;
    table_size = 0;
    for (size_t i = 0; i < ARRAY_LEN(refusals); i++) {
        free(refusals[i].bytes);
        refusals[i].bytes = NULL;
    }
}

int screen_io_max_fd(void)
{
    return table_size;
}

void screen_io_notify(void *cls, struct MHD_Connection *connection, void **socket_context,
                      enum MHD_ConnectionNotificationCode toe)
{
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!info || !table || info->connect_fd < 0 || info->connect_fd >= table_size)
            return; /* the listener never hands over such a descriptor */
        struct conn_state *c = xcalloc(1, sizeof *c);
        c->fd = info->connect_fd;
        screen_init(&c->screen, &limits);
        *socket_context = c;
        atomic_store_explicit(&table[c->fd], c, memory_order_release);
        return;
    }
    struct conn_state *c = *socket_context;
    if (!c)
        return;
    /* Before libmicrohttpd closes the socket: the descriptor is still this connection's. */
    atomic_store_explicit(&table[c->fd], NULL, memory_order_release);
    free(c);
    *socket_context = NULL;
}

/* Writes the refusal for status to c's socket, drops what input is waiting (closing a socket
 * with unread input makes the kernel send a reset, which could destroy the answer in flight),
 * and marks the connection over. The socket is non-blocking: what does not fit in its buffer is
 * lost, which a few kilobytes on a new connection never are. */
static void refuse(struct conn_state *c, unsigned status)
{
    size_t which = 0; /* 400 unless the status has its own page */
    for (size_t i = 0; i < ARRAY_LEN(refusal_statuses); i++)
        if (refusal_statuses[i] == status)
            which = i;
    if (refusals[which].bytes) {
        ssize_t ignored =
            send(c->fd, refusals[which].bytes, refusals[which].len, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)ignored;
    }
    char sink[4096];
    size_t dropped = 0;
    ssize_t n;
    while (dropped < DRAIN_BYTES &&
           (n = recvfrom(c->fd, sink, sizeof sink, MSG_DONTWAIT, NULL, NULL)) > 0)
        dropped += (size_t)n;
    shutdown(c->fd, SHUT_WR);
    c->refused = 1;
    c->refuse = 0;
}

/* The interposed recv (see screen_io.h). recvfrom with no address is recv, and is not
 * interposed, so it reaches libc's. */
ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    struct conn_state *c = NULL;
    if (table && fd >= 0 && fd < table_size && !(flags & MSG_PEEK))
        c = atomic_load_explicit(&table[fd], memory_order_acquire);
    if (!c)
        return recvfrom(fd, buf, len, flags, NULL, NULL);
    if (c->refused || c->refuse) {
        if (!c->refused)
            refuse(c, c->refuse);
        errno = ECONNRESET;
        return -1;
    }
    ssize_t n = recvfrom(fd, buf, len, flags, NULL, NULL);
    if (n <= 0)
        return n;
    size_t good;
    unsigned verdict = screen_feed(&c->screen, buf, (size_t)n, util_monotonic_ms(), &good);
    if (!verdict)
        return n;
    if (good) {
        /* Complete requests came before the refused one: they are answered first. Shutting the
         * reading side makes the socket readable at once, so libmicrohttpd, once it has
         * answered them, comes back here for more (the refused request's bytes were read
         * already), and the refusal goes out then. */
        c->refuse = verdict;
        shutdown(fd, SHUT_RD);
        return (ssize_t)good;
    }
    refuse(c, verdict);
    errno = ECONNRESET;
    return -1;
}
