/*
 * config.h: Broadsheet's settings. One table of directives (name, type, default, help), as in
 * Kore, feeds every source of configuration alike, in rising precedence: the built-in
 * defaults, a config file of `name = value` lines, BROADSHEET_NAME environment variables, and
 * --name VALUE command-line flags. A bad value anywhere is a one-line error naming its source.
 */
#ifndef BROADSHEET_CONFIG_H
#define BROADSHEET_CONFIG_H

#include <stddef.h>
#include <stdio.h>

struct config {
    char *address;   /* listen address */
    int port;        /* listen port; 0 picks a free one */
    char *db;        /* SQLite database path */
    char *theme;     /* theme directory (templates + static/) */
    char *demo_dir;  /* demo newsroom content */
    char *site_name; /* shown in titles and the masthead when no host publication exists */
    char *site_url; /* public base URL for canonical links; "" derives it from the listen address */
    int threads;    /* HTTP worker threads; 0 = one per core */
    int connection_limit;  /* open connections at most */
    int per_ip_limit;      /* open connections per client address at most */
    int timeout;           /* idle connection timeout, seconds */
    int header_timeout;    /* a request's head must arrive within this, seconds (screen.h) */
    int body_min_rate;     /* bytes per second a body keeps up after its grace (screen.h) */
    size_t cache_bytes;    /* page cache budget, bytes (cache.h) */
    char *access_log;      /* "-" for stdout, "off", or a file path */
    char *metrics_address; /* HOST:PORT of the /metrics listener (metrics_http.h); "" = off */

    /* accounts */
    int cookie_secure;     /* 1: cookies get Secure (the site is served over HTTPS) */
    int session_days;      /* a session ends this long after log-in */
    int session_idle_days; /* … or this long after the last visit */
    int hash_threads;      /* password hashes at once (each takes 64 MiB for ~0.1 s) */
    /* a staff account's (writer, editor, admin) session ends after this many minutes unused,
     * when that is sooner than session_idle_days (reader.h) */
    int staff_session_idle_minutes;

    /* email */
    char *smtp_url; /* smtp://host:port or smtps://host:port; "" writes to the outbox */
    char *smtp_user;
    char *smtp_password; /* never logged; prefer BROADSHEET_SMTP_PASSWORD */
    int smtp_starttls;   /* 1: require STARTTLS on smtp:// */
    char *mail_from;     /* the From address */
    char *outbox;        /* where mail goes when there is no SMTP server */
    int mail_lease;      /* seconds a claimed message stays its mailer's (mailer.h) */

    /* paywall */
    int meter_limit;           /* metered articles per period, anonymous readers */
    int meter_signed_in_limit; /* … signed-in readers without a subscription */
    int meter_period_days;     /* the rolling period */
    int partner_rate_limit;    /* partners' API requests per key per minute */
    int search_rate_limit;     /* searches per client address per minute; 0: no limit */
    int preview_paragraphs;    /* blocks of the body a reader who is not entitled receives */
    char *trusted_proxies;     /* CIDR ranges whose X-Forwarded-For is believed, comma-separated */
    char *stripe_secret_key;   /* sk_…; "" disables online checkout */
    char *stripe_webhook_secret; /* whsec_… */
    char *stripe_api_url;        /* https://api.stripe.com (tests point it elsewhere) */
    int stripe_tolerance;        /* seconds a webhook signature's timestamp may be off */
    char *contact_email;         /* for institutional offers; "" uses mail_from */

    /* advertising and the browser notice */
    char *ad_placements;           /* comma-separated: interstitial, leaderboard, in-article,
                                      sidebar */
    int ad_in_article_after;       /* the in-article slot follows this paragraph */
    int ad_interstitial_seconds;   /* how long the interstitial shows */
    int ad_interstitial_cap_hours; /* a reader sees it at most once in this many hours */
    int ad_free_subscribers;       /* 1: subscribers see no ads */
    int ad_cap_impressions;        /* impressions counted per client per creative per day */
    int ad_cap_clicks;             /* … and clicks (0: no cap) */
    char *uploads;                 /* uploaded files (ad images) */
    char *supported_browsers;      /* "chrome 131, edge 131, firefox 133, safari 18" */

    /* most read (issue 12) */
    int most_read_count;           /* articles in the "Most read" box; 0: no box, no counting */
    int most_read_refresh_seconds; /* views flushed and the box made again this often */

    /* webhooks: push to partners (issue 13, webhook.h) */
    int webhook_allow_private; /* 1: internal addresses may be reached (tests) */
    int webhook_timeout;       /* seconds a delivery may take */
    int webhook_retry_base;    /* seconds before the first retry; doubling, at most an hour */
};

/* Fills in every default (heap strings the config owns). */
void config_init(struct config *c);
void config_free(struct config *c);

/* Sets the directive name (spelled with '_' or '-') from its text value. Returns 0, or -1 with a
 * message in err: an unknown name, or a value of the wrong type or out of range. */
int config_set(struct config *c, const char *name, const char *value, char *err, size_t errlen);

/* 1 if name is a directive. */
int config_known(const char *name);

/* Reads `name = value` lines (# comments, blank lines) from path. Errors say "path:LINE: …". */
int config_load_file(struct config *c, const char *path, char *err, size_t errlen);

/* The same for a config file's contents text[0..len) (not modified; a NUL byte ends it, as in a
 * file), named label in errors ("label:LINE: …"). Settings before a bad line stay applied, as
 * with config_load_file. Returns 0, or -1 with err. */
int config_load_text(struct config *c, const char *label, const char *text, size_t len, char *err,
                     size_t errlen);

/* Applies every BROADSHEET_NAME variable of the environment that names a directive
 * (BROADSHEET_CONFIG, the config file's path, is read by the caller). */
int config_load_env(struct config *c, char *err, size_t errlen);

/* Prints the directives with their defaults and help, for --help. */
void config_print_help(FILE *out);

/* The site's base URL (canonical links, feeds, partners' URIs) into out: site_url, else
 * http://ADDRESS:PORT (http://[ADDRESS]:PORT when ipv6), without a trailing slash. */
void config_site_base(const struct config *c, unsigned port, int ipv6, char *out, size_t size);

#endif
