/*
 * config.c: the directive table and its parsers. See config.h.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* TYPE_SIZE: a byte count, as a whole number with an optional K, M or G suffix (binary: 1K is
 * 1024), kept in a size_t; min and max are in bytes. */
enum directive_type { TYPE_STRING, TYPE_INT, TYPE_SIZE };

struct directive {
    const char *name;
    enum directive_type type;
    size_t offset;        /* of the field in struct config */
    const char *fallback; /* default, as text */
    long min, max;        /* for TYPE_INT and TYPE_SIZE */
    const char *help;
};

#define FIELD(f) offsetof(struct config, f)

static const struct directive directives[] = {
    {"address", TYPE_STRING, FIELD(address), "127.0.0.1", 0, 0, "address to listen on"},
    {"port", TYPE_INT, FIELD(port), "8080", 0, 65535, "port to listen on (0: any free port)"},
    {"db", TYPE_STRING, FIELD(db), "data/broadsheet.db", 0, 0,
     "SQLite database file, or a postgresql:// URL"},
    {"theme", TYPE_STRING, FIELD(theme), "themes/default", 0, 0, "theme directory"},
    {"demo_dir", TYPE_STRING, FIELD(demo_dir), "demo", 0, 0, "demo newsroom content (--demo)"},
    {"site_name", TYPE_STRING, FIELD(site_name), "National Journal", 0, 0,
     "site name when no host publication is set"},
    {"site_url", TYPE_STRING, FIELD(site_url), "", 0, 0,
     "public base URL for canonical links (empty: http://ADDRESS:PORT)"},
    {"threads", TYPE_INT, FIELD(threads), "0", 0, 256, "HTTP worker threads (0: one per core)"},
    {"connection_limit", TYPE_INT, FIELD(connection_limit), "1000", 1, 1000000,
     "open connections at most"},
    {"per_ip_limit", TYPE_INT, FIELD(per_ip_limit), "512", 0, 1000000,
     "open connections per client address at most (0: no limit)"},
    {"timeout", TYPE_INT, FIELD(timeout), "30", 1, 3600, "idle connection timeout, seconds"},
    {"header_timeout", TYPE_INT, FIELD(header_timeout), "10", 1, 3600,
     "seconds a request's headers may take from its first byte to its last"},
    {"body_min_rate", TYPE_INT, FIELD(body_min_rate), "1024", 0, 1000000000,
     "bytes per second a request body must average, judged once it has had header_timeout "
     "(0: no limit)"},
    {"cache_bytes", TYPE_SIZE, FIELD(cache_bytes), "256M", 1L << 20, 1L << 40,
     "memory for the page cache (K, M or G; pages are evicted singly past it)"},
    {"access_log", TYPE_STRING, FIELD(access_log), "-", 0, 0,
     "access log: - (standard output), off, or a file"},
    /* Off by default, and never on the site's own port: the figures (routes' traffic, cache
     * sizes, queue depths) are for the operator, not for readers or crawlers. */
    {"metrics_address", TYPE_STRING, FIELD(metrics_address), "", 0, 0,
     "HOST:PORT serving Prometheus metrics at /metrics, e.g. 127.0.0.1:9100 (empty: off)"},
    {"cookie_secure", TYPE_INT, FIELD(cookie_secure), "0", 0, 1,
     "1: mark cookies Secure (set it when the site is served over HTTPS)"},
    {"session_days", TYPE_INT, FIELD(session_days), "30", 1, 3650,
     "a reader's session ends this many days after log-in"},
    {"session_idle_days", TYPE_INT, FIELD(session_idle_days), "14", 1, 3650,
     "… or this many days after the last visit"},
    {"staff_session_idle_minutes", TYPE_INT, FIELD(staff_session_idle_minutes), "480", 1, 525600,
     "a staff account's (writer, editor, admin) session ends after this many minutes unused"},
    {"hash_threads", TYPE_INT, FIELD(hash_threads), "2", 1, 64,
     "password hashes computed at once (each needs 64 MiB)"},
    {"smtp_url", TYPE_STRING, FIELD(smtp_url), "", 0, 0,
     "SMTP server, smtp://host:port or smtps://host:port (empty: write mail to the outbox)"},
    {"smtp_user", TYPE_STRING, FIELD(smtp_user), "", 0, 0, "SMTP user name"},
    {"smtp_password", TYPE_STRING, FIELD(smtp_password), "", 0, 0,
     "SMTP password (prefer BROADSHEET_SMTP_PASSWORD)"},
    {"smtp_starttls", TYPE_INT, FIELD(smtp_starttls), "0", 0, 1, "1: require STARTTLS on smtp://"},
    {"mail_from", TYPE_STRING, FIELD(mail_from), "newsroom@localhost", 0, 0,
     "the From address of mail to readers"},
    {"outbox", TYPE_STRING, FIELD(outbox), "data/outbox", 0, 0,
     "where mail is written as .eml files when smtp_url is empty"},
    /* At least 10 s: a send is given half the lease (mailer.c), and a few seconds is the least an
     * SMTP server can be asked to answer in. */
    {"mail_lease", TYPE_INT, FIELD(mail_lease), "300", 10, 86400,
     "seconds a mailer holds a message it is sending; a message whose mailer died goes out "
     "this long after it was claimed (a send may take half of it, at most 30)"},
    /* at most METER_MAX_READS (meter.h): the anonymous meter's cookie holds that many reads */
    {"meter_limit", TYPE_INT, FIELD(meter_limit), "3", 0, 32,
     "metered articles an anonymous reader may read per period (at most 32)"},
    {"meter_signed_in_limit", TYPE_INT, FIELD(meter_signed_in_limit), "10", 0, 1000,
     "metered articles a signed-in reader without a subscription may read per period"},
    {"meter_period_days", TYPE_INT, FIELD(meter_period_days), "30", 1, 366,
     "the meter's rolling period, days"},
    {"preview_paragraphs", TYPE_INT, FIELD(preview_paragraphs), "1", 0, 20,
     "paragraphs of a paywalled article shown to readers who are not entitled"},
    {"search_rate_limit", TYPE_INT, FIELD(search_rate_limit), "120", 0, 1000000,
     "searches each client address may run per minute (a burst of that many, then steadily; "
     "429 with Retry-After beyond; 0: no limit)"},
    {"partner_rate_limit", TYPE_INT, FIELD(partner_rate_limit), "600", 1, 1000000,
     "requests each partner's API key may make per minute (a burst of that many, then steadily; "
     "429 with Retry-After beyond)"},
    {"trusted_proxies", TYPE_STRING, FIELD(trusted_proxies), "", 0, 0,
     "proxies whose X-Forwarded-For is believed (comma-separated CIDR ranges)"},
    {"stripe_secret_key", TYPE_STRING, FIELD(stripe_secret_key), "", 0, 0,
     "Stripe secret key (empty: no online checkout; prefer BROADSHEET_STRIPE_SECRET_KEY)"},
    {"stripe_webhook_secret", TYPE_STRING, FIELD(stripe_webhook_secret), "", 0, 0,
     "Stripe webhook signing secret (whsec_…)"},
    {"stripe_api_url", TYPE_STRING, FIELD(stripe_api_url), "https://api.stripe.com", 0, 0,
     "Stripe API base URL"},
    {"stripe_tolerance", TYPE_INT, FIELD(stripe_tolerance), "300", 1, 86400,
     "seconds a webhook signature's timestamp may differ from now"},
    {"contact_email", TYPE_STRING, FIELD(contact_email), "", 0, 0,
     "address for institutional sales (empty: mail_from)"},
    {"ad_placements", TYPE_STRING, FIELD(ad_placements),
     "interstitial,leaderboard,in-article,sidebar", 0, 0,
     "ad placements shown (comma-separated; empty: no ads)"},
    {"ad_in_article_after", TYPE_INT, FIELD(ad_in_article_after), "2", 1, 50,
     "the in-article ad follows this paragraph"},
    {"ad_interstitial_seconds", TYPE_INT, FIELD(ad_interstitial_seconds), "10", 1, 60,
     "seconds the interstitial ad shows before it ends by itself"},
    {"ad_interstitial_cap_hours", TYPE_INT, FIELD(ad_interstitial_cap_hours), "6", 1, 720,
     "a reader sees the interstitial at most once in this many hours"},
    {"ad_free_subscribers", TYPE_INT, FIELD(ad_free_subscribers), "1", 0, 1,
     "1: subscribers see no ads"},
    {"ad_cap_impressions", TYPE_INT, FIELD(ad_cap_impressions), "100", 0, 10000,
     "impressions counted per client address (IPv6: /64) per creative per day (0: no cap)"},
    {"ad_cap_clicks", TYPE_INT, FIELD(ad_cap_clicks), "10", 0, 10000,
     "clicks counted per client address (IPv6: /64) per creative per day (0: no cap)"},
    {"uploads", TYPE_STRING, FIELD(uploads), "data/uploads", 0, 0,
     "where uploaded files (ad images) are kept"},
    {"supported_browsers", TYPE_STRING, FIELD(supported_browsers),
     "chrome 131, edge 131, firefox 133, safari 18", 0, 0,
     "browsers and minimum versions; older ones see the outdated-browser notice"},
    /* most read (issue 12) */
    {"most_read_count", TYPE_INT, FIELD(most_read_count), "5", 0, 20,
     "articles in the \"Most read\" box of the last 24 hours (0: no box, no views counted)"},
    {"most_read_refresh_seconds", TYPE_INT, FIELD(most_read_refresh_seconds), "60", 1, 3600,
     "seconds between flushes of the counted article views and refreshes of the box"},
    /* Webhooks: push to partners (issue 13, "Push": webhook.h) */
    {"webhook_allow_private", TYPE_INT, FIELD(webhook_allow_private), "0", 0, 1,
     "1: webhooks may reach loopback, private, link-local and other internal addresses (for "
     "tests and private networks; off, they are refused)"},
    {"webhook_timeout", TYPE_INT, FIELD(webhook_timeout), "10", 1, 120,
     "seconds a partner's webhook may take to answer a delivery (and at most this to connect)"},
    {"webhook_retry_base", TYPE_INT, FIELD(webhook_retry_base), "10", 1, 3600,
     "seconds before the first retry of a failed webhook delivery; each further one waits "
     "twice as long, at most an hour"},
};

/* Checks a listen address: HOST:PORT, an IPv6 host in brackets. */
static int check_listen_address(const char *value, char *err, size_t errlen)
{
    char host[256];
    int port;
    if (util_host_port_parse(value, host, sizeof host, &port) == 0)
        return 0;
    snprintf(err, errlen, "expected HOST:PORT, such as 127.0.0.1:9100 or [::1]:9100 (empty: off)");
    return -1;
}

/* The few strings whose non-empty values have a shape to check beyond their type (kept apart
 * from the directive table so that its rows stay short). check returns 0, or -1 with why. */
static const struct {
    const char *name;
    int (*check)(const char *value, char *err, size_t errlen);
} string_checks[] = {
    {"metrics_address", check_listen_address},
};

/* Checks value for the string directive d. Returns 0, or -1 with a message in err. */
static int check_string(const struct directive *d, const char *value, char *err, size_t errlen)
{
    if (!*value) /* "" is every string's way of saying off or unset */
        return 0;
    for (size_t i = 0; i < ARRAY_LEN(string_checks); i++) {
        char why[160];
        if (!strcmp(string_checks[i].name, d->name) &&
            string_checks[i].check(value, why, sizeof why) < 0) {
            snprintf(err, errlen, "invalid value '%s' for %s: %s", value, d->name, why);
            return -1;
        }
    }
    return 0;
}

/* The directive called name, accepting '-' for '_'; NULL if none. */
static const struct directive *find_directive(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(directives); i++) {
        const char *a = directives[i].name, *b = name;
        while (*a && (*a == *b || (*a == '_' && *b == '-'))) {
            a++;
            b++;
        }
        if (!*a && !*b)
            return &directives[i];
    }
    return NULL;
}

int config_known(const char *name)
{
    return find_directive(name) != NULL;
}

/* Stores value into the field of d, parsed by type. */
static int apply(struct config *c, const struct directive *d, const char *value, char *err,
                 size_t errlen)
{
    char *field = (char *)c + d->offset;
    if (d->type == TYPE_STRING) {
        if (check_string(d, value, err, errlen) < 0)
            return -1;
        char **s = (char **)(void *)field;
        free(*s);
        *s = xstrdup(value);
        return 0;
    }
    char *end;
    errno = 0;
    long n = strtol(value, &end, 10);
    if (d->type == TYPE_SIZE) {
        int shift = *end == 'K' || *end == 'k'   ? 10
                    : *end == 'M' || *end == 'm' ? 20
                    : *end == 'G' || *end == 'g' ? 30
                                                 : 0;
        if (shift)
            end++;
        if (!*value || !isdigit((unsigned char)*value) || *end || errno || n < 0 ||
            n > (d->max >> shift) || (n << shift) < d->min) {
            snprintf(err, errlen,
                     "invalid value '%s' for %s (bytes, with K, M or G: from %ldM to %ldG)", value,
                     d->name, d->min >> 20, d->max >> 30);
            return -1;
        }
        *(size_t *)(void *)field = (size_t)n << shift;
        return 0;
    }
    if (!*value || *end || errno || n < d->min || n > d->max) {
        snprintf(err, errlen, "invalid value '%s' for %s (a whole number from %ld to %ld)", value,
                 d->name, d->min, d->max);
        return -1;
    }
    *(int *)(void *)field = (int)n;
    return 0;
}

void config_init(struct config *c)
{
    memset(c, 0, sizeof *c);
    char err[256];
    for (size_t i = 0; i < ARRAY_LEN(directives); i++)
        apply(c, &directives[i], directives[i].fallback, err, sizeof err);
}

void config_free(struct config *c)
{
    for (size_t i = 0; i < ARRAY_LEN(directives); i++) {
        if (directives[i].type == TYPE_STRING) {
            char **s = (char **)(void *)((char *)c + directives[i].offset);
            free(*s);
            *s = NULL;
        }
    }
}

int config_set(struct config *c, const char *name, const char *value, char *err, size_t errlen)
{
    const struct directive *d = find_directive(name);
    if (!d) {
        snprintf(err, errlen, "unknown setting '%s'", name);
        return -1;
    }
    return apply(c, d, value, err, errlen);
}

/* Trims white space from both ends of s in place; returns the start. */
static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

/* Applies the `name = value` lines of the NUL-terminated text, which it cuts up in place (a
 * NUL byte ends the text, as it always has for a file read this way). label names the text in
 * errors ("label:LINE: ..."). Returns 0, or -1 with err at the first bad line. */
static int load_lines(struct config *c, const char *label, char *text, char *err, size_t errlen)
{
    int line_no = 0;
    char *next = text;
    while (next && *next) {
        char *line = next;
        char *nl = strchr(line, '\n');
        next = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        line_no++;
        char *t = trim(line);
        if (!*t || *t == '#')
            continue;
        char *eq = strchr(t, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected 'name = value'", label, line_no);
            return -1;
        }
        *eq = '\0';
        char msg[200];
        if (config_set(c, trim(t), trim(eq + 1), msg, sizeof msg) < 0) {
            snprintf(err, errlen, "%s:%d: %s", label, line_no, msg);
            return -1;
        }
    }
    return 0;
}

int config_load_text(struct config *c, const char *label, const char *text, size_t len, char *err,
                     size_t errlen)
{
    char *copy = xstrndup(text, len);
    int rc = load_lines(c, label, copy, err, errlen);
    free(copy);
    return rc;
}

int config_load_file(struct config *c, const char *path, char *err, size_t errlen)
{
    char *text = util_read_file(path, NULL);
    if (!text) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    int rc = load_lines(c, path, text, err, errlen);
    free(text);
    return rc;
}

int config_load_env(struct config *c, char *err, size_t errlen)
{
    for (size_t i = 0; i < ARRAY_LEN(directives); i++) {
        char var[64] = "BROADSHEET_";
        size_t n = strlen(var);
        for (const char *p = directives[i].name; *p && n < sizeof var - 1; p++)
            var[n++] = (char)toupper((unsigned char)*p);
        var[n] = '\0';
        const char *value = getenv(var);
        if (!value)
            continue;
        char msg[200];
        if (apply(c, &directives[i], value, msg, sizeof msg) < 0) {
            snprintf(err, errlen, "%s: %s", var, msg);
            return -1;
        }
    }
    return 0;
}

void config_print_help(FILE *out)
{
    for (size_t i = 0; i < ARRAY_LEN(directives); i++) {
        char flag[64];
        snprintf(flag, sizeof flag, "--%s", directives[i].name);
        for (char *p = flag; *p; p++)
            if (*p == '_')
                *p = '-';
        fprintf(out, "  %-22s %s (default: %s)\n", flag, directives[i].help,
                *directives[i].fallback ? directives[i].fallback : "\"\"");
    }
}

void config_site_base(const struct config *c, unsigned port, int ipv6, char *out, size_t size)
{
    if (*c->site_url)
        snprintf(out, size, "%s", c->site_url);
    else
        snprintf(out, size, ipv6 ? "http://[%s]:%u" : "http://%s:%u", c->address, port);
    size_t len = strlen(out);
    while (len && out[len - 1] == '/')
        out[--len] = '\0';
}
