/*
 * cmd.c: the list of the command table's subjects (cmd.h), in the order `broadsheet --help`
 * shows them, and the value parsers several subjects share: slugs, whole days and whole numbers
 * as the operator types them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "slug.h"

const struct cli_command *const cmd_tables[] = {
    cmd_serve,   cmd_article, cmd_publication, cmd_user,
    cmd_paywall, cmd_ads,     cmd_db,          cmd_search, /* issue 12, "Search" */
    cmd_partner,                                           /* issue 13, "Partners" */
    NULL,
};

/* Plan slugs travel in forms and the others in commands, so they are kept plain. */
int cmd_slug_valid(const char *s)
{
    return slug_valid(s, 64);
}

int cmd_parse_day_end(const char *text, int64_t *end)
{
    static const char shape[] = "dddd-dd-dd";
    if (strlen(text) != sizeof shape - 1)
        return -1;
    for (size_t i = 0; shape[i]; i++) {
        int digit = text[i] >= '0' && text[i] <= '9';
        if (shape[i] == 'd' ? !digit : text[i] != '-')
            return -1;
    }
    struct tm tm = {0};
    tm.tm_year = atoi(text) - 1900;
    tm.tm_mon = atoi(text + 5) - 1;
    tm.tm_mday = atoi(text + 8);
    int year = tm.tm_year, month = tm.tm_mon, day = tm.tm_mday;
    if (year < 70 || month < 0 || month > 11 || day < 1)
        return -1;
    time_t start = timegm(&tm);
    /* timegm rolls impossible dates over (February 30th is March 2nd): refuse those. */
    if (start == (time_t)-1 || tm.tm_year != year || tm.tm_mon != month || tm.tm_mday != day)
        return -1;
    *end = (int64_t)start + 86399;
    return 0;
}

int cmd_parse_day_start(const char *text, int64_t *start)
{
    int64_t end;
    if (cmd_parse_day_end(text, &end) < 0)
        return -1;
    *start = end - 86399;
    return 0;
}

void cmd_format_day(int64_t t, char *out, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, size, "%Y-%m-%d", &tm);
}

int cmd_parse_whole(const char *text, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(text, &end, 10);
    if (errno || end == text || *end || n < min || n > max)
        return -1;
    *out = n;
    return 0;
}
