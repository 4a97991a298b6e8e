/*
 * listener.c: the accept loop that waits for a connection's first bytes. See listener.h.
 */
#include "listener.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "screen_io.h"
#include "util.h"

#define MAX_PENDING 4096 /* connections waiting for their first bytes, at most */
#define EVENTS 64

/* A connection accepted but not yet handed over. */
struct pending {
    int fd;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    int64_t deadline_ms; /* closed if no byte has arrived by then */
    struct pending *prev, *next;
};

struct listener {
    int listen_fd;
    int epoll_fd;
    int wake_fd; /* eventfd: tells the thread to stop */
    unsigned port;
    struct MHD_Daemon *daemon;
    int timeout_ms;
    pthread_t thread;
    int started;
    struct pending *pending; /* doubly linked, newest first */
    size_t pending_count;
};

/* epoll data for the two fds that are not connections. */
static char listen_tag, wake_tag;

struct listener *listener_open(const struct sockaddr *addr, socklen_t addr_len, char *err,
                               size_t errlen)
{
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return NULL;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (addr->sa_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, addr, addr_len) < 0 || listen(fd, 1024) < 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        close(fd);
        return NULL;
    }
    struct listener *l = xcalloc(1, sizeof *l);
    l->listen_fd = fd;
    l->epoll_fd = l->wake_fd = -1;
    struct sockaddr_storage bound;
    socklen_t bound_len = sizeof bound;
    if (getsockname(fd, (struct sockaddr *)&bound, &bound_len) == 0) {
        if (bound.ss_family == AF_INET)
            l->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
        else if (bound.ss_family == AF_INET6)
            l->port = ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
    }
    return l;
}

unsigned listener_port(const struct listener *l)
{
    return l->port;
}

/* Unlinks p from the pending list and frees it; closes its socket when close_fd. */
static void drop_pending(struct listener *l, struct pending *p, int close_fd)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        l->pending = p->next;
    if (p->next)
        p->next->prev = p->prev;
    epoll_ctl(l->epoll_fd, EPOLL_CTL_DEL, p->fd, NULL);
    if (close_fd)
        close(p->fd);
    l->pending_count--;
    free(p);
}

/* Gives p's connection to libmicrohttpd, which closes the socket itself if it cannot take it. */
static void hand_over(struct listener *l, struct pending *p)
{
    int fd = p->fd;
    struct sockaddr_storage addr = p->addr;
    socklen_t len = p->addr_len;
    drop_pending(l, p, 0);
    MHD_add_connection(l->daemon, fd, (struct sockaddr *)&addr, len);
}

/* Looks at p: hands it over once it has sent something, drops it if it closed first. What it
 * sends is screened on its way into libmicrohttpd (screen_io.h), every request alike. */
static void screen(struct listener *l, struct pending *p)
{
    char byte;
    ssize_t n = recv(p->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        drop_pending(l, p, 1); /* closed before saying anything */
        return;
    }
    if (n > 0)
        hand_over(l, p);
}

/* Accepts every waiting connection into the pending list. */
static void accept_all(struct listener *l)
{
    for (;;) {
        struct pending *p = xcalloc(1, sizeof *p);
        p->addr_len = sizeof p->addr;
        p->fd = accept4(l->listen_fd, (struct sockaddr *)&p->addr, &p->addr_len,
                        SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (p->fd < 0) {
            int e = errno;
            free(p);
            if (e == EMFILE || e == ENFILE) {
                /* out of descriptors: let the level-triggered listen fd wait a moment */
                struct timespec pause = {0, 10 * 1000000L};
                nanosleep(&pause, NULL);
            }
            return;
        }
        if (p->fd >= screen_io_max_fd()) {
            /* beyond what the request screen covers (the descriptor limit): refused */
            close(p->fd);
            free(p);
            continue;
        }
        if (l->pending_count >= MAX_PENDING) {
            /* Too many silent connections: hand this one over at once rather than refuse a
             * possibly good client. libmicrohttpd's own limits apply. */
            MHD_add_connection(l->daemon, p->fd, (struct sockaddr *)&p->addr, p->addr_len);
            free(p);
            continue;
        }
        p->deadline_ms = util_monotonic_ms() + l->timeout_ms;
        p->next = l->pending;
        if (l->pending)
            l->pending->prev = p;
        l->pending = p;
        l->pending_count++;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = p};
        if (epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, p->fd, &ev) < 0)
            drop_pending(l, p, 1);
    }
}

/* Closes pending connections whose first bytes are overdue. */
static void expire(struct listener *l)
{
    int64_t now = util_monotonic_ms();
    struct pending *p = l->pending;
    while (p) {
        struct pending *next = p->next;
        if (p->deadline_ms <= now)
            drop_pending(l, p, 1);
        p = next;
    }
}

/* The accept thread. */
static void *run(void *arg)
{
    struct listener *l = arg;
    struct epoll_event events[EVENTS];
    for (;;) {
        int n = epoll_wait(l->epoll_fd, events, EVENTS, 1000);
        for (int i = 0; i < n; i++) {
            void *tag = events[i].data.ptr;
            if (tag == &wake_tag)
                return NULL;
            if (tag == &listen_tag)
                accept_all(l);
            else
                screen(l, tag);
        }
        expire(l);
    }
}

int listener_start(struct listener *l, struct MHD_Daemon *daemon, int timeout_seconds)
{
    l->daemon = daemon;
    l->timeout_ms = timeout_seconds * 1000;
    l->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    l->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (l->epoll_fd < 0 || l->wake_fd < 0)
        return -1;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &listen_tag};
    struct epoll_event wake = {.events = EPOLLIN, .data.ptr = &wake_tag};
    if (epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, l->listen_fd, &ev) < 0 ||
        epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, l->wake_fd, &wake) < 0)
        return -1;
    if (pthread_create(&l->thread, NULL, run, l) != 0)
        return -1;
    l->started = 1;
    return 0;
}

void listener_close(struct listener *l)
{
    if (!l)
        return;
    if (l->started) {
        uint64_t one = 1;
        ssize_t ignored = write(l->wake_fd, &one, sizeof one);
        (void)ignored;
        pthread_join(l->thread, NULL);
    }
    while (l->pending)
        drop_pending(l, l->pending, 1);
    close(l->listen_fd);
    if (l->epoll_fd >= 0)
        close(l->epoll_fd);
    if (l->wake_fd >= 0)
        close(l->wake_fd);
    free(l);
}
