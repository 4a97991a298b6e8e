/*
 * import_list.c: the spooled list of files to import (see import_list.h for what is listed and
 * in which order).
 *
 * The spool is a tmpfile() holding each path followed by a NUL byte: no path can contain one,
 * so any name a file system allows (newlines included) comes back as it went in. A directory is
 * walked with opendir/readdir rather than nftw or fts, because both visit a directory's entries
 * in the order the file system returns them (fts sorts, but keeps a ~100-byte FTSENT per entry
 * for the whole directory: a hundred megabytes for a directory of a million files); here one
 * directory's wanted names are packed into one buffer, sorted, and forgotten before its
 * subdirectories' files are written. A directory's handle is closed before descending, so a
 * deep tree does not use up file descriptors.
 */
#include "import_list.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

struct import_list {
    FILE *spool;   /* the paths, each ended by '\0' */
    int64_t count; /* paths written */
    char *path;    /* import_list_next's buffer (getdelim), heap */
    size_t path_cap;
    int reading; /* import_list_rewind was called: no more adding */
};

/* What a directory entry is, as far as readdir told: a file or directory we want, or one to look
 * at with lstat (readdir does not know, or it is a link). */
enum kind { KIND_FILE = 'f', KIND_DIR = 'd', KIND_CHECK = '?' };

/* One directory's wanted entries: each is its kind byte, then its name and a NUL, packed into
 * names; offsets[i] is where entry i starts. Both heap. */
struct entries {
    char *names;
    size_t len, cap;
    size_t *offsets;
    size_t count, offsets_cap;
};

struct import_list *import_list_new(char *err, size_t errlen)
{
    FILE *spool = tmpfile();
    if (!spool) {
        snprintf(err, errlen, "cannot make a temporary file for the list of files: %s",
                 strerror(errno));
        return NULL;
    }
    struct import_list *l = xcalloc(1, sizeof *l);
    l->spool = spool;
    return l;
}

void import_list_free(struct import_list *l)
{
    if (!l)
        return;
    fclose(l->spool);
    free(l->path);
    free(l);
}

int64_t import_list_count(const struct import_list *l)
{
    return l->count;
}

/* Appends path to the spool. Returns 0, or -1 with the reason in err (a full disk). */
static int spool_path(struct import_list *l, const char *path, char *err, size_t errlen)
{
    if (fwrite(path, 1, strlen(path) + 1, l->spool) != strlen(path) + 1) {
        snprintf(err, errlen, "%s: cannot write the list of files to a temporary file: %s", path,
                 strerror(errno));
        return -1;
    }
    l->count++;
    return 0;
}

/* 1 if name ends in ".md" (and is more than that). */
static int is_markdown(const char *name)
{
    size_t n = strlen(name);
    return n > 3 && memcmp(name + n - 3, ".md", 3) == 0;
}

/* Adds an entry of kind and name to e. */
static void entries_add(struct entries *e, enum kind kind, const char *name)
{
    size_t n = strlen(name);
    if (e->len + n + 2 > e->cap) {
        e->cap = (e->cap ? e->cap * 2 : 4096) + n + 2;
        e->names = xrealloc(e->names, e->cap);
    }
    if (e->count == e->offsets_cap) {
        e->offsets_cap = e->offsets_cap ? e->offsets_cap * 2 : 256;
        e->offsets = xrealloc(e->offsets, e->offsets_cap * sizeof *e->offsets);
    }
    e->offsets[e->count++] = e->len;
    e->names[e->len++] = (char)kind;
    memcpy(e->names + e->len, name, n + 1);
    e->len += n + 1;
}

/* qsort_r order of entry offsets into the names buffer arg: by name, byte by byte. */
static int by_name(const void *x, const void *y, void *arg)
{
    const char *names = arg;
    return strcmp(names + *(const size_t *)x + 1, names + *(const size_t *)y + 1);
}

/* Reads the wanted entries of directory dir into e, sorted by name: subdirectories, files named
 * *.md, and entries readdir cannot type (or links) whose kind walk settles with lstat. Hidden
 * names are left out. Returns 0, or -1 with "dir: reason" in err. */
static int read_entries(const char *dir, struct entries *e, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: cannot read: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *entry;
    for (;;) {
        errno = 0;
        if (!(entry = readdir(d)))
            break;
        const char *name = entry->d_name;
        if (name[0] == '.')
            continue;
        switch (entry->d_type) {
        case DT_DIR: entries_add(e, KIND_DIR, name); break;
        case DT_REG:
            if (is_markdown(name))
                entries_add(e, KIND_FILE, name);
            break;
        case DT_LNK: /* a link to a directory is not followed; to a file, it counts if .md */
            if (is_markdown(name))
                entries_add(e, KIND_CHECK, name);
            break;
        case DT_UNKNOWN: entries_add(e, KIND_CHECK, name); break;
        default: break; /* devices, pipes, sockets */
        }
    }
    int read_errno = errno;
    closedir(d);
    if (read_errno) {
        snprintf(err, errlen, "%s: cannot read: %s", dir, strerror(read_errno));
        return -1;
    }
    if (e->count > 1) /* an empty directory has no offsets array to sort */
        qsort_r(e->offsets, e->count, sizeof *e->offsets, by_name, e->names);
    return 0;
}

/* Settles the kind of path, an entry readdir could not type or a link: KIND_DIR for a real
 * directory, KIND_FILE for a .md file or a link to one, 0 for anything to leave out. Returns
 * -1 with "path: reason" in err when it cannot be examined. */
static int settle_kind(const char *path, const char *name, char *err, size_t errlen)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        goto fail;
    if (S_ISDIR(sb.st_mode))
        return KIND_DIR;
    if (!is_markdown(name))
        return 0;
    if (S_ISLNK(sb.st_mode) && stat(path, &sb) != 0) {
        if (errno == ENOENT)
            return 0; /* a dangling link: nothing to import */
        goto fail;
    }
    return S_ISREG(sb.st_mode) ? KIND_FILE : 0;
fail:
    snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
    return -1;
}

/* Lists the .md files under directory dir (see the file comment). Returns 0 or -1 (err set). */
static int walk(struct import_list *l, const char *dir, char *err, size_t errlen)
{
    struct entries e = {0};
    int rc = -1;
    if (read_entries(dir, &e, err, errlen) != 0)
        goto out;
    size_t dir_len = strlen(dir);
    while (dir_len > 1 && dir[dir_len - 1] == '/') /* "articles/" walks as "articles" */
        dir_len--;
    for (size_t i = 0; i < e.count; i++) {
        const char *entry = e.names + e.offsets[i], *name = entry + 1;
        char path[PATH_MAX];
        const char *slash = dir_len == 1 && dir[0] == '/' ? "" : "/";
        if (snprintf(path, sizeof path, "%.*s%s%s", (int)dir_len, dir, slash, name) >=
            (int)sizeof path) {
            snprintf(err, errlen, "%.*s/%s: path too long", (int)dir_len, dir, name);
            goto out;
        }
        int kind = entry[0] == KIND_CHECK ? settle_kind(path, name, err, errlen) : entry[0];
        if (kind < 0)
            goto out;
        if (kind == KIND_FILE && spool_path(l, path, err, errlen) != 0)
            goto out;
        if (kind == KIND_DIR && walk(l, path, err, errlen) != 0)
            goto out;
    }
    rc = 0;
out:
    free(e.names);
    free(e.offsets);
    return rc;
}

int import_list_add(struct import_list *l, const char *path, char *err, size_t errlen)
{
    struct stat sb;
    if (l->reading) {
        snprintf(err, errlen, "%s: the list is already being read", path);
        return -1;
    }
    if (!*path) {
        snprintf(err, errlen, "an empty path");
        return -1;
    }
    if (stat(path, &sb) != 0) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    if (S_ISDIR(sb.st_mode))
        return walk(l, path, err, errlen);
    if (!S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "%s: not a file or a directory", path);
        return -1;
    }
    return spool_path(l, path, err, errlen);
}

int import_list_add_from(struct import_list *l, const char *list, char *err, size_t errlen)
{
    int from_stdin = strcmp(list, "-") == 0;
    const char *name = from_stdin ? "(standard input)" : list;
    FILE *f = from_stdin ? stdin : fopen(list, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = -1;
    if (!f) {
        snprintf(err, errlen, "%s: cannot read: %s", name, strerror(errno));
        return -1;
    }
    for (long n = 1; (len = getline(&line, &cap, f)) >= 0; n++) {
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if (len > 0 && line[len - 1] == '\r')
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (memchr(line, '\0', (size_t)len)) {
            snprintf(err, errlen, "%s:%ld: contains a NUL byte", name, n);
            goto out;
        }
        char why[1024];
        if (import_list_add(l, line, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s:%ld: %s", name, n, why);
            goto out;
        }
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: cannot read: %s", name, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    free(line);
    if (!from_stdin)
        fclose(f);
    return rc;
}

int import_list_rewind(struct import_list *l, char *err, size_t errlen)
{
    l->reading = 1;
    if (fflush(l->spool) != 0 || ferror(l->spool) || fseeko(l->spool, 0, SEEK_SET) != 0) {
        snprintf(err, errlen, "cannot read back the list of files (a temporary file): %s",
                 strerror(errno));
        return -1;
    }
    return 0;
}

int import_list_next(struct import_list *l, const char **path, char *err, size_t errlen)
{
    ssize_t len = getdelim(&l->path, &l->path_cap, '\0', l->spool);
    if (len < 0) {
        if (ferror(l->spool)) {
            snprintf(err, errlen, "cannot read back the list of files (a temporary file): %s",
                     strerror(errno));
            return -1;
        }
        return 0;
    }
    *path = l->path;
    return 1;
}
