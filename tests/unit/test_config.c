/*
 * test_config.c: tests of src/config.c, the settings table. Checks the defaults, config_set on
 * every kind of bad value (out of range, not a number, trailing junk, unknown name) leaving the
 * setting as it was, names spelled with '-' or '_', config files (comments, blank lines, spaces,
 * CRLF, a last line without newline, errors naming "path:LINE:" with blank and comment lines
 * counted), the same parser on a buffer (config_load_text), BROADSHEET_* environment variables,
 * and the --help text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"

/* A temporary file holding text; its path is in path (unlink it when done). 0 or -1. */
static int temp_file(char *path, size_t size, const char *text)
{
    snprintf(path, size, "/tmp/broadsheet-config-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    size_t len = strlen(text);
    ssize_t written = write(fd, text, len);
    close(fd);
    return written == (ssize_t)len ? 0 : -1;
}

/* Loads text as a config file into c; the error (if any) goes to err with the temp path
 * replaced by "FILE" so tests can compare whole messages. Returns config_load_file's result. */
static int load_text(struct config *c, const char *text, char *err, size_t errlen)
{
    char path[64];
    err[0] = '\0';
    if (temp_file(path, sizeof path, text) != 0) {
        snprintf(err, errlen, "cannot make a temp file");
        return -2;
    }
    char raw[512] = "";
    int rc = config_load_file(c, path, raw, sizeof raw);
    unlink(path);
    size_t plen = strlen(path);
    if (!strncmp(raw, path, plen))
        snprintf(err, errlen, "FILE%s", raw + plen);
    else
        snprintf(err, errlen, "%s", raw);
    return rc;
}

/* 1 if a and b hold the same number settings. */
static int same_ints(const struct config *a, const struct config *b)
{
    return a->port == b->port && a->threads == b->threads &&
           a->connection_limit == b->connection_limit && a->per_ip_limit == b->per_ip_limit &&
           a->timeout == b->timeout && a->cache_bytes == b->cache_bytes &&
           a->mail_lease == b->mail_lease &&
           a->staff_session_idle_minutes == b->staff_session_idle_minutes;
}

static void test_defaults(void)
{
    struct config c;
    config_init(&c);
    CHECK_STR(c.address, "127.0.0.1");
    CHECK_INT(c.port, 8080);
    CHECK_STR(c.db, "data/broadsheet.db");
    CHECK_STR(c.theme, "themes/default");
    CHECK_STR(c.demo_dir, "demo");
    CHECK(c.site_name != NULL && c.site_name[0] != '\0');
    CHECK_STR(c.site_url, "");
    CHECK_INT(c.threads, 0);
    CHECK_INT(c.connection_limit, 1000);
    CHECK_INT(c.per_ip_limit, 512);
    CHECK_INT(c.timeout, 30);
    CHECK_INT(c.cache_bytes, (size_t)256 << 20);
    CHECK_STR(c.access_log, "-");
    CHECK_INT(c.mail_lease, 300);
    CHECK_INT(c.staff_session_idle_minutes, 480); /* a working day */
    config_free(&c);
    CHECK(c.address == NULL); /* free leaves no dangling strings */
    config_free(&c);          /* so a second free is harmless */
}

static void test_set_ints(void)
{
    struct config c;
    config_init(&c);
    char err[256] = "";
    CHECK_INT(config_set(&c, "port", "9000", err, sizeof err), 0);
    CHECK_INT(c.port, 9000);
    CHECK_INT(config_set(&c, "port", "0", err, sizeof err), 0);
    CHECK_INT(c.port, 0);
    CHECK_INT(config_set(&c, "port", "65535", err, sizeof err), 0);
    CHECK_INT(c.port, 65535);
    CHECK_INT(config_set(&c, "cache_bytes", "64M", err, sizeof err), 0);
    CHECK_INT(c.cache_bytes, (size_t)64 << 20);
    CHECK_INT(config_set(&c, "cache_bytes", "2g", err, sizeof err), 0);
    CHECK_INT(c.cache_bytes, (size_t)2 << 30);
    CHECK_INT(config_set(&c, "cache_bytes", "1048576", err, sizeof err), 0);
    CHECK_INT(c.cache_bytes, (size_t)1 << 20);
    CHECK_INT(config_set(&c, "cache_bytes", "4096K", err, sizeof err), 0);
    CHECK_INT(c.cache_bytes, (size_t)4 << 20);
    CHECK_INT(config_set(&c, "timeout", "3600", err, sizeof err), 0);
    CHECK_INT(c.timeout, 3600);
    CHECK_INT(config_set(&c, "mail-lease", "10", err, sizeof err), 0);
    CHECK_INT(c.mail_lease, 10);
    CHECK_INT(config_set(&c, "mail_lease", "86400", err, sizeof err), 0);
    CHECK_INT(c.mail_lease, 86400);
    CHECK_INT(config_set(&c, "staff-session-idle-minutes", "1", err, sizeof err), 0);
    CHECK_INT(c.staff_session_idle_minutes, 1);
    CHECK_INT(config_set(&c, "staff_session_idle_minutes", "525600", err, sizeof err), 0);
    CHECK_INT(c.staff_session_idle_minutes, 525600);
    config_free(&c);
}

/* Every bad number is refused with a message naming the setting, and the value stays. */
static void test_set_bad_ints(void)
{
    static const struct {
        const char *name, *value;
    } bad[] = {
        {"port", "65536"},
        {"port", "-1"},
        {"port", "abc"},
        {"port", ""},
        {"port", "80abc"},
        {"port", "80 "},
        {"port", "8.5"},
        {"port", "0x50"},
        {"port", "1e3"},
        {"port", "99999999999999999999"},
        {"port", "-99999999999999999999"},
        {"cache_bytes", "1048575"}, /* under 1M */
        {"cache_bytes", "2T"},
        {"cache_bytes", "1025G"},
        {"cache_bytes", "-1M"},
        {"cache_bytes", "M"},
        {"cache_bytes", "64MB"},
        {"cache_bytes", " 64M"},
        {"cache_bytes", "99999999999999999999G"},
        {"timeout", "0"},
        {"threads", "257"},
        {"connection_limit", "0"},
        {"per_ip_limit", "-5"},
        {"mail_lease", "9"}, /* a send gets half the lease: under 10 s is no time at all */
        {"mail_lease", "0"},
        {"mail_lease", "86401"},
        {"mail_lease", "5m"},
        {"staff_session_idle_minutes", "0"}, /* a session that ends at once */
        {"staff_session_idle_minutes", "525601"},
        {"staff_session_idle_minutes", "8h"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct config c, defaults;
        config_init(&c);
        config_init(&defaults);
        char err[256] = "";
        int rc = config_set(&c, bad[i].name, bad[i].value, err, sizeof err);
        if (rc != -1)
            fprintf(stderr, "    %s = [%s] was accepted\n", bad[i].name, bad[i].value);
        CHECK_INT(rc, -1);
        CHECK(strstr(err, bad[i].name) != NULL);
        CHECK(same_ints(&c, &defaults));
        config_free(&c);
        config_free(&defaults);
    }
    struct config c;
    config_init(&c);
    char err[256] = "";
    CHECK_INT(config_set(&c, "port", "70000", err, sizeof err), -1);
    CHECK_STR(err, "invalid value '70000' for port (a whole number from 0 to 65535)");
    CHECK_INT(config_set(&c, "mail_lease", "5", err, sizeof err), -1);
    CHECK_STR(err, "invalid value '5' for mail_lease (a whole number from 10 to 86400)");
    CHECK_INT(c.mail_lease, 300);
    config_free(&c);
}

static void test_set_strings(void)
{
    struct config c;
    config_init(&c);
    char err[256] = "";
    CHECK_INT(config_set(&c, "site_name", "The Daily Test", err, sizeof err), 0);
    CHECK_STR(c.site_name, "The Daily Test");
    CHECK_INT(config_set(&c, "site_name", "Second", err, sizeof err), 0); /* replaces, no leak */
    CHECK_STR(c.site_name, "Second");
    CHECK_INT(config_set(&c, "site_url", "https://example.org", err, sizeof err), 0);
    CHECK_STR(c.site_url, "https://example.org");
    CHECK_INT(config_set(&c, "access_log", "off", err, sizeof err), 0);
    CHECK_STR(c.access_log, "off");
    CHECK_INT(config_set(&c, "db", "", err, sizeof err), 0); /* strings take any text */
    CHECK_STR(c.db, "");
    config_free(&c);
}

static void test_unknown_names(void)
{
    struct config c;
    config_init(&c);
    char err[256] = "";
    CHECK_INT(config_set(&c, "nope", "1", err, sizeof err), -1);
    CHECK_STR(err, "unknown setting 'nope'");
    CHECK_INT(config_set(&c, "", "1", err, sizeof err), -1);
    CHECK_INT(config_set(&c, "por", "1", err, sizeof err), -1);
    CHECK_INT(config_set(&c, "portx", "1", err, sizeof err), -1);
    CHECK_INT(config_set(&c, "demo__dir", "x", err, sizeof err), -1);
    CHECK_INT(c.port, 8080);
    CHECK_INT(config_known("port"), 1);
    CHECK_INT(config_known("demo_dir"), 1);
    CHECK_INT(config_known("demo-dir"), 1);
    CHECK_INT(config_known("nope"), 0);
    CHECK_INT(config_known(""), 0);
    /* a short error buffer gets a cut, terminated message */
    char small[8];
    memset(small, 'x', sizeof small);
    CHECK_INT(config_set(&c, "a-very-long-unknown-name", "1", small, sizeof small), -1);
    CHECK(memchr(small, '\0', sizeof small) != NULL);
    config_free(&c);
}

/* Names may be spelled with '-' where the directive has '_' (as command-line flags are). */
static void test_dash_and_underscore(void)
{
    struct config c;
    config_init(&c);
    char err[256] = "";
    CHECK_INT(config_set(&c, "demo-dir", "one", err, sizeof err), 0);
    CHECK_STR(c.demo_dir, "one");
    CHECK_INT(config_set(&c, "demo_dir", "two", err, sizeof err), 0);
    CHECK_STR(c.demo_dir, "two");
    CHECK_INT(config_set(&c, "connection-limit", "50", err, sizeof err), 0);
    CHECK_INT(c.connection_limit, 50);
    CHECK_INT(config_set(&c, "per-ip-limit", "7", err, sizeof err), 0);
    CHECK_INT(c.per_ip_limit, 7);
    CHECK_INT(config_set(&c, "per_ip-limit", "8", err, sizeof err), 0);
    CHECK_INT(c.per_ip_limit, 8);
    CHECK_INT(config_set(&c, "cache-bytes", "x", err, sizeof err), -1);
    CHECK(strstr(err, "cache_bytes") != NULL);
    config_free(&c);
}

static void test_load_file(void)
{
    struct config c;
    config_init(&c);
    char err[512];
    const char *text = "# Broadsheet test configuration\n"
                       "\n"
                       "port = 9001\n"
                       "   site_name   =   The Daily Test   \n"
                       "\t# an indented comment\n"
                       "demo-dir=elsewhere\n"
                       "site_url = http://x.test/?a=b\n"
                       "\n"
                       "threads = 4"; /* no newline at the end */
    CHECK_INT(load_text(&c, text, err, sizeof err), 0);
    CHECK_STR(err, "");
    CHECK_INT(c.port, 9001);
    CHECK_STR(c.site_name, "The Daily Test");
    CHECK_STR(c.demo_dir, "elsewhere");
    CHECK_STR(c.site_url, "http://x.test/?a=b"); /* only the first '=' splits */
    CHECK_INT(c.threads, 4);
    CHECK_INT(c.timeout, 30); /* untouched settings keep their defaults */
    config_free(&c);
}

static void test_load_file_crlf_and_empty(void)
{
    struct config c;
    config_init(&c);
    char err[512];
    CHECK_INT(load_text(&c, "port = 9002\r\n\r\n# note\r\nsite_name = CR\r\n", err, sizeof err), 0);
    CHECK_INT(c.port, 9002);
    CHECK_STR(c.site_name, "CR");
    CHECK_INT(load_text(&c, "", err, sizeof err), 0);
    CHECK_INT(load_text(&c, "\n\n   \n# only comments\n", err, sizeof err), 0);
    CHECK_INT(c.port, 9002);
    config_free(&c);
}

/* Errors name the file and the line, counting blank and comment lines. */
static void test_load_file_errors(void)
{
    struct config c;
    config_init(&c);
    char err[512];
    CHECK_INT(load_text(&c, "# c\n\nport = 1\n\nbogus line\n", err, sizeof err), -1);
    CHECK_STR(err, "FILE:5: expected 'name = value'");
    CHECK_INT(load_text(&c, "\n\nport = 99999\n", err, sizeof err), -1);
    CHECK_STR(err, "FILE:3: invalid value '99999' for port (a whole number from 0 to 65535)");
    CHECK_INT(load_text(&c, "port = 1\nnope = 2\n", err, sizeof err), -1);
    CHECK_STR(err, "FILE:2: unknown setting 'nope'");
    CHECK_INT(load_text(&c, "bad", err, sizeof err), -1);
    CHECK_STR(err, "FILE:1: expected 'name = value'");
    CHECK_INT(load_text(&c, "# a\r\n\r\n\r\nport = x\r\n", err, sizeof err), -1);
    CHECK_STR(err, "FILE:4: invalid value 'x' for port (a whole number from 0 to 65535)");
    CHECK_INT(load_text(&c, "\n\n\n\n\n\n\n\n\n\n\n# eleven lines above\n = 5\n", err, sizeof err),
              -1);
    CHECK_STR(err, "FILE:13: unknown setting ''");
    config_free(&c);
}

/* config_load_text is the file's parser without the file: same settings, same errors under the
 * label given, the caller's text untouched. */
static void test_load_text(void)
{
    struct config c;
    config_init(&c);
    char err[256] = "";
    const char text[] = "# settings\nport = 9001\n\n  site_name =  The Paper \ntimeout=5";
    CHECK_INT(config_load_text(&c, "inline", text, strlen(text), err, sizeof err), 0);
    CHECK_INT(c.port, 9001);
    CHECK_STR(c.site_name, "The Paper");
    CHECK_INT(c.timeout, 5);
    CHECK_STR(text, "# settings\nport = 9001\n\n  site_name =  The Paper \ntimeout=5");
    /* Only len bytes are read: the rest of the string is not part of the text. */
    const char cut[] = "port = 9002\nport = x";
    CHECK_INT(config_load_text(&c, "inline", cut, 12, err, sizeof err), 0);
    CHECK_INT(c.port, 9002);
    CHECK_INT(config_load_text(&c, "inline", cut, strlen(cut), err, sizeof err), -1);
    CHECK_STR(err, "inline:2: invalid value 'x' for port (a whole number from 0 to 65535)");
    CHECK_INT(config_load_text(&c, "inline", "\n\nport 1", 8, err, sizeof err), -1);
    CHECK_STR(err, "inline:3: expected 'name = value'");
    config_free(&c);
}

static void test_load_missing_file(void)
{
    struct config c;
    config_init(&c);
    char err[512] = "";
    const char *path = "/nonexistent-broadsheet-dir/broadsheet.conf";
    CHECK_INT(config_load_file(&c, path, err, sizeof err), -1);
    CHECK(strncmp(err, path, strlen(path)) == 0);
    CHECK(strstr(err, "cannot read") != NULL);
    CHECK_INT(c.port, 8080);
    config_free(&c);
}

/* Sets or unsets (value NULL) an environment variable. */
static void set_env(const char *name, const char *value)
{
    if (value)
        setenv(name, value, 1);
    else
        unsetenv(name);
}

static void test_load_env(void)
{
    static const char *const vars[] = {"BROADSHEET_PORT", "BROADSHEET_DEMO_DIR",
                                       "BROADSHEET_SITE_NAME"};
    char *saved[3];
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(vars[i]);
        saved[i] = v ? strdup(v) : NULL;
        unsetenv(vars[i]);
    }
    struct config c;
    config_init(&c);
    char err[512] = "";

    CHECK_INT(config_set(&c, "port", "1234", err, sizeof err), 0);
    CHECK_INT(config_load_env(&c, err, sizeof err), 0);
    CHECK_INT(c.port, 1234); /* no variable: the setting stays */

    set_env("BROADSHEET_PORT", "9003");
    set_env("BROADSHEET_DEMO_DIR", "/srv/demo");
    set_env("BROADSHEET_SITE_NAME", "Env Times");
    CHECK_INT(config_load_env(&c, err, sizeof err), 0);
    CHECK_INT(c.port, 9003);
    CHECK_STR(c.demo_dir, "/srv/demo");
    CHECK_STR(c.site_name, "Env Times");

    set_env("BROADSHEET_PORT", "not-a-port");
    CHECK_INT(config_load_env(&c, err, sizeof err), -1);
    CHECK(strncmp(err, "BROADSHEET_PORT: ", 17) == 0);
    CHECK(strstr(err, "not-a-port") != NULL);
    CHECK_INT(c.port, 9003);

    set_env("BROADSHEET_PORT", "65536");
    CHECK_INT(config_load_env(&c, err, sizeof err), -1);
    CHECK(strncmp(err, "BROADSHEET_PORT: ", 17) == 0);

    set_env("BROADSHEET_PORT", NULL);
    CHECK_INT(config_load_env(&c, err, sizeof err), 0);
    CHECK_INT(c.port, 9003);

    config_free(&c);
    for (int i = 0; i < 3; i++) {
        set_env(vars[i], saved[i]);
        free(saved[i]);
    }
}

static void test_print_help(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    CHECK(out != NULL);
    if (!out)
        return;
    config_print_help(out);
    fclose(out);
    CHECK(strstr(text, "--port") != NULL);
    CHECK(strstr(text, "--demo-dir") != NULL); /* flags are spelled with '-' */
    CHECK(strstr(text, "--demo_dir") == NULL);
    CHECK(strstr(text, "--cache-bytes") != NULL);
    CHECK(strstr(text, "8080") != NULL);
    free(text);
}

/* metrics_address: empty (off) by default; HOST:PORT and [IPV6]:PORT taken; anything else
 * refused with a message that says what is expected, the setting left as it was. */
static void test_metrics_address(void)
{
    struct config c;
    config_init(&c);
    char err[256];
    CHECK_STR(c.metrics_address, "");
    CHECK_INT(config_set(&c, "metrics-address", "127.0.0.1:9100", err, sizeof err), 0);
    CHECK_STR(c.metrics_address, "127.0.0.1:9100");
    CHECK_INT(config_set(&c, "metrics_address", "[::1]:0", err, sizeof err), 0);
    CHECK_STR(c.metrics_address, "[::1]:0");
    CHECK_INT(config_set(&c, "metrics_address", "localhost:9100", err, sizeof err), 0);
    static const char *const bad[] = {
        "9100",
        ":9100",
        "127.0.0.1",
        "127.0.0.1:",
        "127.0.0.1:65536",
        "::1:9100",
        "[::1]9100",
        "[::1]",
        "a b:9100",
        "127.0.0.1:91x",
        "[]:9100",
        "127.0.0.1:-1",
        "127.0.0.1:123456",
        "host/x:9100",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        CHECK_INT(config_set(&c, "metrics_address", bad[i], err, sizeof err), -1);
        CHECK(strstr(err, "metrics_address") != NULL);
        CHECK(strstr(err, "HOST:PORT") != NULL);
        CHECK_STR(c.metrics_address, "localhost:9100");
    }
    CHECK_INT(config_set(&c, "metrics_address", "", err, sizeof err), 0); /* off again */
    CHECK_STR(c.metrics_address, "");
    config_free(&c);
}

/* The site's base URL: site_url without its trailing slashes, else the listen address. */
static void test_site_base(void)
{
    struct config c;
    char err[256], base[512];
    config_init(&c);
    config_site_base(&c, 8080, 0, base, sizeof base);
    CHECK_STR(base, "http://127.0.0.1:8080");
    config_site_base(&c, 8080, 1, base, sizeof base);
    CHECK_STR(base, "http://[127.0.0.1]:8080");
    CHECK_INT(config_set(&c, "site_url", "https://news.example.com//", err, sizeof err), 0);
    config_site_base(&c, 8080, 0, base, sizeof base);
    CHECK_STR(base, "https://news.example.com");
    config_free(&c);
}

void suite_config(void)
{
    RUN(test_site_base);
    RUN(test_defaults);
    RUN(test_set_ints);
    RUN(test_set_bad_ints);
    RUN(test_set_strings);
    RUN(test_unknown_names);
    RUN(test_dash_and_underscore);
    RUN(test_load_file);
    RUN(test_load_file_crlf_and_empty);
    RUN(test_load_file_errors);
    RUN(test_load_text);
    RUN(test_load_missing_file);
    RUN(test_load_env);
    RUN(test_print_help);
    RUN(test_metrics_address);
}
