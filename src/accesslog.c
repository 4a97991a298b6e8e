/*
 * accesslog.c: formatting and writing access log lines. See accesslog.h.
 */
#include "accesslog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int accesslog_open(const char *setting, int *failed)
{
    *failed = 0;
    if (!strcmp(setting, "-"))
        return STDOUT_FILENO;
    if (!strcmp(setting, "off"))
        return -1;
    int fd = open(setting, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        fprintf(stderr, "broadsheet: access log %s: %s\n", setting, strerror(errno));
        *failed = 1;
    }
    return fd;
}

/* A log line being built in a fixed buffer: logging allocates nothing, and a line that would
 * not fit is cut (it still ends with a newline). */
struct log_line {
    char *data;
    size_t size; /* of data; one byte is kept for the newline */
    size_t len;
};

/* Appends formatted text, cutting at the buffer's end. */
static void log_printf(struct log_line *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void log_printf(struct log_line *l, const char *fmt, ...)
{
    size_t room = l->size - 1 - l->len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->data + l->len, room + 1, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->len += (size_t)n < room ? (size_t)n : room;
}

/* Appends s[0..len) with quotes, backslashes and control or non-ASCII bytes as \xHH, so a
 * client cannot forge log lines. NULL appends "-". */
static void log_escaped(struct log_line *l, const char *s, size_t len)
{
    if (!s) {
        log_printf(l, "-");
        return;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
            log_printf(l, "\\x%02x", c);
        else if (l->len < l->size - 1)
            l->data[l->len++] = (char)c;
    }
}

/* The Referer without its query or fragment: what the reader came from, never a token. */
static void log_referer(struct log_line *l, const char *referer)
{
    if (!referer) {
        log_escaped(l, NULL, 0);
        return;
    }
    log_escaped(l, referer, strcspn(referer, "?#"));
}

size_t accesslog_format(const struct req *r, const char *client, char *out, size_t size)
{
    char when[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%d/%b/%Y:%H:%M:%S +0000", &tm);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t took = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - r->started_us;
    const char *referer = r->conn ? req_header((struct req *)r, "Referer") : NULL;
    const char *agent = r->conn ? req_header((struct req *)r, "User-Agent") : NULL;

    struct log_line line = {out, size, 0};
    log_printf(&line, "%s - - [%s] \"", client, when);
    log_escaped(&line, r->method_name, r->method_name ? strlen(r->method_name) : 0);
    log_printf(&line, " ");
    log_escaped(&line, r->raw_url, r->raw_url ? strlen(r->raw_url) : 0);
    log_printf(&line, " ");
    log_escaped(&line, r->version, r->version ? strlen(r->version) : 0);
    log_printf(&line, "\" %u %llu \"", r->status, (unsigned long long)r->bytes);
    log_referer(&line, referer);
    log_printf(&line, "\" \"");
    log_escaped(&line, agent, agent ? strlen(agent) : 0);
    log_printf(&line, "\" %.3fms", (double)took / 1000.0);
    line.data[line.len++] = '\n';
    return line.len;
}

void accesslog_write(int fd, struct req *r)
{
    if (fd < 0)
        return;
    char client[INET6_ADDRSTRLEN] = "-";
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (info && info->client_addr) {
        const struct sockaddr *sa = info->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, client,
                      sizeof client);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, client,
                      sizeof client);
    }
    char line[2048];
    size_t len = accesslog_format(r, client, line, sizeof line);
    ssize_t ignored = write(fd, line, len);
    (void)ignored;
}
