/*
 * cmd.h: the rows of `broadsheet`'s command table (cli.h), one array per subject, each in its
 * own cmd_*.c file, and the few value parsers that several subjects share. cmd_tables lists the
 * subjects in the order `broadsheet --help` shows them.
 */
#ifndef BROADSHEET_CMD_H
#define BROADSHEET_CMD_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"

/* Each ends with a row whose words are NULL. */
extern const struct cli_command cmd_serve[];       /* serve, init */
extern const struct cli_command cmd_article[];     /* article import, list, ninjs */
extern const struct cli_command cmd_publication[]; /* publication access, list, rights; section */
extern const struct cli_command cmd_user[];        /* user add, role, list */
extern const struct cli_command cmd_paywall[];     /* plan, subscription, org */
extern const struct cli_command cmd_ads[];         /* ads campaign, creative, report */
extern const struct cli_command cmd_db[];          /* db copy */
extern const struct cli_command cmd_search[];      /* search reindex (issue 12) */
extern const struct cli_command cmd_partner[];     /* partner add, list, key rotate, remove */

/* Every subject, ending with NULL: what main() hands to cli_run. */
extern const struct cli_command *const cmd_tables[];

/* 1 if s is a usable slug for what the operator names on the command line (a plan, an
 * organisation, a campaign): 1 to 64 of a-z, 0-9 and '-', not starting or ending with '-'. */
int cmd_slug_valid(const char *s);

/* Parses a whole day "YYYY-MM-DD" (a real calendar date, years 1970 to 9999) into the first
 * (cmd_parse_day_start) or last (cmd_parse_day_end) second of that day in UTC. Returns 0, or -1
 * (*out untouched). */
int cmd_parse_day_start(const char *text, int64_t *out);
int cmd_parse_day_end(const char *text, int64_t *out);

/* Writes the UTC day of t as "YYYY-MM-DD" into out (at least 11 bytes). */
void cmd_format_day(int64_t t, char *out, size_t size);

/* Parses a whole number from min to max, as typed on the command line (decimal, nothing else
 * around it). Returns 0, or -1 (*out untouched). */
int cmd_parse_whole(const char *text, long min, long max, long *out);

#endif
