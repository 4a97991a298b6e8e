/*
 * import.h: article files into the store (`broadsheet article import`, and the demo seeder).
 *
 * An article file is UTF-8 Markdown preceded by a front-matter header between two `---` lines,
 * one `key: value` per line (blank lines allowed; a value may be wrapped in double quotes, which
 * are removed; a value is everything after the first ':' so it may contain more):
 *
 *     ---
 *     headline: Tehran Could Help U.S. Combat Militants in Iraq: Iranian Official
 *     dek: Iran is so worried about the advance of Sunni militants…
 *     publication: gsn                    (a publication slug; required)
 *     section: security                   (a section slug; required)
 *     byline: Global Security Newswire Staff
 *     published: 2014-06-13T10:30:00Z     (or 2014-06-13; UTC; required)
 *     access: metered                     (free, metered or subscribers; optional, below)
 *     slug: tehran-could-help             (optional: derived from the headline)
 *     ---
 *     The body, in Markdown.
 *
 * A file without an `access:` line gets its default level when it is imported: the section's
 * default access if it has one, else the publication's, else metered (access_effective_level;
 * set with `broadsheet section access` and `broadsheet publication access`). The default is read
 * at import and stored in the article: changing a default later changes no article already
 * imported; importing the file again (still without `access:`) gives it the new default. A file
 * with its own `access:` line keeps that level whatever the defaults.
 *
 * A derived slug is the headline's ASCII letters and digits, lowercased, with every other run of
 * characters turned into one '-', trimmed of '-' and cut to 80 characters.
 *
 * Errors are written into err as "path:LINE: what is wrong" (line numbers from 1) so an editor
 * can go straight to the mistake; these functions do not log, their caller does.
 *
 * An import (import_run) takes a list of files (import_list.h) and makes two passes over it, so
 * that its memory stays the same whatever the number of files (about a million: under 200 MiB,
 * see docs/architecture.md for what was measured):
 *  1. Check: each file is read, parsed (its body is not rendered yet) and forgotten. The
 *     publications and sections named must exist (each looked up once), and no two files may
 *     have one slug: the slugs go into a temporary table of the store's, on disk, not into
 *     memory. The first problem ends the import with nothing written.
 *  2. Write: each file is read again, rendered and saved, 256 to a store call, all in one
 *     transaction (all or nothing), or with a batch size N in transactions of N files each.
 *     A file whose slug is not the one it was checked with (edited in between) stops the
 *     import there. With batches, the files of committed batches stay imported after a
 *     failure: import_result's resume_at is the number of listed files to skip (`--skip`) to
 *     go on where it stopped, once the problem is fixed.
 */
#ifndef BROADSHEET_IMPORT_H
#define BROADSHEET_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "import_list.h"
#include "store.h"

/* Parses the article file text[0..len) (path is only used in error messages) into *out, with
 * body_html rendered by markdown_to_html; every string in *out is allocated from a. Does not
 * check that the publication and section exist (import_run does), nor apply their default
 * access: without an `access:` line, out->access is metered. Returns 0, or -1 with
 * "path:LINE: reason" in err. */
int import_parse(const char *path, const char *text, size_t len, struct arena *a,
                 struct article_input *out, char *err, size_t errlen);

/* How import_run goes about it; all zero is one transaction, quietly, from the first file. */
struct import_options {
    int64_t batch;     /* 0: one transaction; N > 0: commit after every N files */
    int64_t skip;      /* leave out the first skip listed files (imported by an earlier run) */
    FILE *progress;    /* NULL, or a terminal for the progress line (rewritten with '\r') */
    int interruptible; /* 1: SIGINT or SIGTERM stops the import between two files (the open
                        * transaction rolled back, committed batches kept, resume_at set) instead
                        * of ending the process; a second signal ends it. For the command line
                        * only: it sets the process's handlers for the import's length. */
};

struct import_result {
    int64_t checked;   /* files checked by pass 1 (all of them when it passed) */
    int64_t imported;  /* files of this run written and committed */
    int64_t resume_at; /* skip + imported: where a later run resumes (--skip) after a failure */
};

/* Imports the files of l from position options->skip on (options may be NULL: the defaults),
 * in two passes as described above; each file without an `access:` line gets its section's or
 * publication's default level, read in the transaction that writes it. An existing slug is
 * updated in place. Reads l from its start (import_list_rewind) twice. Returns 0, or -1 with
 * the first problem in err, naming the file and (where there is one) the line; *result says
 * what was done either way. */
int import_run(struct store *st, struct import_list *l, const struct import_options *options,
               struct import_result *result, char *err, size_t errlen);

/* import_run over the n paths (files, or directories as import_list_add walks them) in one
 * transaction, for callers with a few paths in hand (the demo seeder). Returns 0 or -1 (err
 * set). */
int import_files(struct store *st, char *const *paths, int n, char *err, size_t errlen);

/* The progress line's text into buf: "checked 1200 of 10000 files (400/s, 0:22 left)" while
 * going (the rate and time left once there is one), "checked 10000 files in 25.0 s (400/s)" when
 * done == total. */
void import_progress_format(char *buf, size_t len, const char *verb, int64_t done, int64_t total,
                            int64_t elapsed_ms);

#endif
