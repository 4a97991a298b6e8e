/*
 * accesslog.h: the access log, one line per answered request in the combined log format plus
 * the time taken. Secrets are never logged: the request's query string is left out (reset and
 * verification links carry tokens there), and so is the Referer's query (a page reached from a
 * reset page would otherwise log the token it came from). Client text is escaped so that it
 * cannot forge lines.
 */
#ifndef BROADSHEET_ACCESSLOG_H
#define BROADSHEET_ACCESSLOG_H

#include <stddef.h>

#include "req.h"

/* Opens the log named by the access_log setting: "-" is standard output, "off" none (returns
 * -1 with no error), else a file opened for appending. Returns the descriptor, or -1; *failed
 * is set when a file could not be opened (printed). */
int accesslog_open(const char *setting, int *failed);

/* Formats r's line (with its trailing newline) into out, cut to fit size (at least 64). Returns
 * its length. For the unit test, and accesslog_write. */
size_t accesslog_format(const struct req *r, const char *client, char *out, size_t size);

/* Writes r's line to fd (nothing when fd < 0). Allocates nothing. */
void accesslog_write(int fd, struct req *r);

#endif
