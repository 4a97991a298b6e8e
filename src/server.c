/*
 * server.c: running the server: start the application (app.h), the HTTP life cycle (http.h) and
 * the listener (listener.h); tick until a stop signal; then drain and stop. See server.h.
 *
 * The main thread waits with poll(2) on two things at once: a signalfd for the stop signals and
 * the change log's notification socket (app_listen_fd, PostgreSQL only), with the time to the
 * next tick as its timeout. A notification is followed at once (app_listen_ready); the tick runs
 * every APP_TICK_MS whatever happens.
 */
#include "server.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "http.h"
#include "jobs.h"
#include "listener.h"
#include "metrics_http.h"
#include "route.h"
#include "screen_io.h"
#include "util.h"
#include "webhook.h"

#define DRAIN_SECONDS 10 /* how long shutdown waits for requests in flight */

/* Resolves address:port into *ss. Returns 0 or -1 (printed). */
static int resolve(const char *address, int port, struct sockaddr_storage *ss, socklen_t *len)
{
    struct addrinfo hints = {0}, *res;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(address, service, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "broadsheet: cannot use address '%s': %s\n", address, gai_strerror(rc));
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* Starts the metrics listener on the metrics_address setting (metrics_http.h) for app and site,
 * and says where it is. Returns it, or NULL (printed). */
static struct metrics_http *start_metrics(struct app *app, struct MHD_Daemon *site)
{
    const char *setting = app->config->metrics_address;
    char host[256];
    int port;
    if (util_host_port_parse(setting, host, sizeof host, &port) < 0) { /* config.c checked it */
        fprintf(stderr, "broadsheet: metrics_address '%s' is not HOST:PORT\n", setting);
        return NULL;
    }
    struct sockaddr_storage ss;
    socklen_t ss_len;
    if (resolve(host, port, &ss, &ss_len) < 0)
        return NULL;
    struct metrics_http *m = metrics_http_start(app, site, (struct sockaddr *)&ss);
    if (!m) {
        fprintf(stderr, "broadsheet: cannot serve metrics on %s\n", setting);
        return NULL;
    }
    fprintf(stderr,
            ss.ss_family == AF_INET6 ? "broadsheet: metrics on http://[%s]:%u/metrics\n"
                                     : "broadsheet: metrics on http://%s:%u/metrics\n",
            host, metrics_http_port(m));
    return m;
}

/* Lets the process hold as many sockets as the connection limit needs: the hard limit, up to
 * the 2^20 descriptors the request screen's table covers (screen_io.h). */
static void raise_file_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rlim_t want = rl.rlim_max < (1 << 20) ? rl.rlim_max : (1 << 20);
    if (rl.rlim_cur != want) {
        rl.rlim_cur = want;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* Prints where the site is, and its newest article, for the operator. */
static void announce(struct app *app, const char *base)
{
    fprintf(stderr, "broadsheet: listening on %s/ (database %s)\n", base, store_shown(app->store));
    struct arena *a = arena_new(0);
    struct article_query q = {.limit = 1};
    struct article *latest;
    size_t n;
    if (store_articles_latest(app->store, a, &q, &latest, &n) == STORE_OK && n)
        fprintf(stderr, "broadsheet: newest article: %s/articles/%s\n", base, latest[0].slug);
    arena_free(a);
}

int server_run(const struct config *config, struct store *store)
{
    struct app app;
    int rc = -1;
    struct MHD_Daemon *daemon = NULL;
    struct listener *listener = NULL;
    struct metrics_http *metrics = NULL;
    int signal_fd = -1;
    /* Stop signals are taken by this thread through a signalfd. Block them before any thread
     * starts (the job pool and the mailer start in app_init, libmicrohttpd's workers later) so
     * every thread inherits the mask: a SIGTERM delivered to another thread would otherwise
     * kill the process instead of draining it. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    memset(&app, 0, sizeof app);
    if (route_table_check(routes, route_count, stderr) != 0) /* a policy hole: refuse to serve */
        goto out;
    signal_fd = signalfd(-1, &stop_signals, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signal_fd < 0) {
        fprintf(stderr, "broadsheet: cannot wait for signals: %s\n", strerror(errno));
        goto out;
    }
    if (app_init(&app, config, store) < 0)
        goto out;
    struct sockaddr_storage ss;
    socklen_t ss_len;
    if (resolve(config->address, config->port, &ss, &ss_len) < 0)
        goto out;
    raise_file_limit();

    char err[512];
    listener = listener_open((struct sockaddr *)&ss, ss_len, err, sizeof err);
    if (!listener) {
        fprintf(stderr, "broadsheet: cannot listen on %s port %d: %s\n", config->address,
                config->port, err);
        goto out;
    }
    /* The site's URL (canonical links) is known once the port is: set before anything renders. */
    unsigned port = listener_port(listener);
    char base[512];
    config_site_base(config, port, ss.ss_family == AF_INET6, base, sizeof base);
    app.site_url = xstrdup(base);
    /* Partners' webhooks (issue 13): their items name the site, so after site_url. */
    app.webhooks = webhooks_start(config, store, app.site_url);
    if (screen_io_init(&app) < 0) /* renders the refusals: after site_url */
        goto out;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads =
        config->threads ? (unsigned)config->threads : (unsigned)(cores > 0 ? cores : 1);
    daemon = http_start(&app, threads);
    if (!daemon)
        goto out;
    /* Asked for and not available is an error, as for the site's own address. */
    if (*config->metrics_address && !(metrics = start_metrics(&app, daemon)))
        goto out;
    if (listener_start(listener, daemon, config->timeout) < 0) {
        fprintf(stderr, "broadsheet: cannot start accepting connections: %s\n", strerror(errno));
        goto out;
    }
    if (*config->site_url)
        fprintf(stderr, "broadsheet: bound to %s port %u\n", config->address, port);
    char local[512];
    snprintf(local, sizeof local, ss.ss_family == AF_INET6 ? "http://[%s]:%u" : "http://%s:%u",
             config->address, port);
    announce(&app, local);

    /* Wait for a stop signal, ticking meanwhile (app_tick lists what a tick does) and following
     * the change log's notifications as they come. */
    int64_t next_tick = util_monotonic_ms() + APP_TICK_MS;
    for (;;) {
        struct pollfd fds[2] = {{.fd = signal_fd, .events = POLLIN},
                                {.fd = app_listen_fd(&app), .events = POLLIN}};
        int64_t wait = next_tick - util_monotonic_ms();
        int ready = poll(fds, 2, wait > 0 ? (int)wait : 0); /* a negative fd is skipped */
        if (ready > 0 && (fds[0].revents & POLLIN)) {
            struct signalfd_siginfo info;
            if (read(signal_fd, &info, sizeof info) == (ssize_t)sizeof info &&
                (info.ssi_signo == SIGTERM || info.ssi_signo == SIGINT)) {
                fprintf(stderr, "broadsheet: %s: finishing requests in flight\n",
                        info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
                break;
            }
        }
        if (ready > 0 && fds[1].fd >= 0 && fds[1].revents)
            app_listen_ready(&app);
        if (util_monotonic_ms() >= next_tick) {
            app_tick(&app);
            next_tick = util_monotonic_ms() + APP_TICK_MS;
        }
    }

    /* Drain: stop accepting, let the requests in flight finish, then close what is left
     * (idle keep-alive connections). */
    listener_close(listener);
    listener = NULL;
    int64_t deadline = util_monotonic_ms() + DRAIN_SECONDS * 1000;
    while (http_in_flight() > 0 && util_monotonic_ms() < deadline) {
        struct timespec pause = {0, 20 * 1000000L};
        nanosleep(&pause, NULL);
    }
    metrics_http_stop(metrics); /* scrapes show the drain; not past it (it reads app.jobs) */
    metrics = NULL;
    jobs_stop(app.jobs); /* finishes queued work, which resumes its connections */
    app.jobs = NULL;
    http_stop(daemon);
    daemon = NULL;
    app_flush(&app);
    store_thread_done(store);
    fprintf(stderr, "broadsheet: stopped\n");
    rc = 0;
out:
    if (signal_fd >= 0)
        close(signal_fd);
    listener_close(listener);
    metrics_http_stop(metrics);
    if (daemon)
        http_stop(daemon);
    screen_io_free();
    app_free(&app);
    return rc;
}
