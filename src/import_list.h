/*
 * import_list.h: the list of files an import reads (`broadsheet article import`), spooled to an
 * unnamed temporary file instead of held in memory, so that a million paths cost disk and a
 * constant few kilobytes of memory, and never pass through the kernel's argument limit.
 *
 * What is listed, in this order (it decides what `--skip N` leaves out, so it must not depend on
 * anything but the files):
 *  - a file named by an argument or a --files-from line: that file, whatever its name;
 *  - a directory: every file under it whose name ends in ".md", recursively, in byte order of
 *    the names within each directory (a subdirectory's files where its name sorts), so the
 *    same tree always lists the same way whatever the locale or the file system. Names starting
 *    with '.' are left out (.git, editors' files), and so are links to directories, so that a
 *    link cannot make the walk endless; a link to a file counts as the file.
 * A file listed twice is imported twice, which the import refuses as a duplicate slug.
 *
 * Memory: paths are written as they are found; a directory walk holds the names of the
 * directories it is in (about 25 bytes per .md file or subdirectory in each), so only one
 * directory of a million files costs tens of megabytes, while it is read.
 *
 * Errors are written into err: "PATH: reason" for an argument, "LIST:LINE: reason" for a line of
 * a --files-from list ("(standard input)" for `-`).
 */
#ifndef BROADSHEET_IMPORT_LIST_H
#define BROADSHEET_IMPORT_LIST_H

#include <stdint.h>
#include <stdio.h>

struct import_list;

/* A new, empty list with its temporary file (deleted when the list is freed, or when the
 * process ends). Returns NULL with the reason in err when no temporary file can be made. Free
 * with import_list_free. */
struct import_list *import_list_new(char *err, size_t errlen);
void import_list_free(struct import_list *l);

/* Adds path: a file, or a directory's .md files (above). Returns 0, or -1 with "path: reason" in
 * err (it does not exist, cannot be read, is neither a file nor a directory, or a file under it
 * cannot be examined). Paths added before a failure stay listed. */
int import_list_add(struct import_list *l, const char *path, char *err, size_t errlen);

/* Adds each line of the file at list ("-": standard input) as import_list_add would: one path
 * per line, relative to the current directory; a final CR is dropped (a list written on
 * Windows); empty lines are skipped. Returns 0, or -1 with "list:LINE: reason" in err for the
 * first bad line (a NUL byte, a path that does not exist or cannot be read) or "list: reason"
 * when the list itself cannot be read. */
int import_list_add_from(struct import_list *l, const char *list, char *err, size_t errlen);

/* How many files are listed. */
int64_t import_list_count(const struct import_list *l);

/* Reading back: import_list_rewind goes to the first path (0, or -1 with err set when the
 * temporary file fails); then each import_list_next sets *path to the next one, valid until the
 * next call, and returns 1, or 0 after the last, or -1 with err set. Listing more after reading
 * starts is not allowed. */
int import_list_rewind(struct import_list *l, char *err, size_t errlen);
int import_list_next(struct import_list *l, const char **path, char *err, size_t errlen);

#endif
