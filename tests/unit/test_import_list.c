/*
 * test_import_list.c: tests of src/import_list.c, the spooled list of files an import reads. A
 * directory lists its .md files recursively in byte order of the names in each directory,
 * leaving out hidden names, other files, links to directories and dangling links; a file argument
 * is taken whatever its name; --files-from lines are paths (or directories) with the bad line
 * named; paths come back exactly as they went in (a newline in a name included), however many.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "import_list.h"
#include "test_support.h"

/* Reads l back into one string, each path followed by '|' (a newline in a path stays one).
 * Returns a heap string; the test frees it. */
static char *read_back(struct import_list *l)
{
    char err[512] = "";
    size_t cap = 256, len = 0;
    char *all = xmalloc(cap);
    const char *path;
    all[0] = '\0';
    CHECK_INT(import_list_rewind(l, err, sizeof err), 0);
    int got;
    while ((got = import_list_next(l, &path, err, sizeof err)) == 1) {
        size_t n = strlen(path);
        if (len + n + 2 > cap)
            all = xrealloc(all, cap = (len + n + 2) * 2);
        memcpy(all + len, path, n);
        len += n;
        all[len++] = '|';
        all[len] = '\0';
    }
    CHECK_INT(got, 0);
    CHECK_STR(err, "");
    return all;
}

/* A tree with everything a walk must take or leave out, under a fresh temporary directory
 * (written into dir). */
static void make_tree(char *dir, size_t len)
{
    snprintf(dir, len, "/tmp/broadsheet-list-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    static const char *const files[] = {
        "root/b.md",        "root/a.md",
        "root/Z.md",        "root/notes.txt",
        "root/.hidden.md",  "root/.git/x.md",
        "root/sub/c.md",    "root/sub/deeper/d.md",
        "root/a-dir/e.md",  "root/empty/readme.txt",
        "root/dir.md/f.md",
    };
    for (size_t i = 0; i < ARRAY_LEN(files); i++)
        tree_write(dir, files[i], "text\n");
    char target[600], link[600];
    snprintf(link, sizeof link, "%s/root/link.md", dir);
    CHECK_INT(symlink("sub/c.md", link), 0);
    snprintf(link, sizeof link, "%s/root/loop", dir);
    snprintf(target, sizeof target, "%s/root", dir);
    CHECK_INT(symlink(target, link), 0);
    snprintf(link, sizeof link, "%s/root/dangling.md", dir);
    CHECK_INT(symlink("nowhere.md", link), 0);
}

/* The directory the runner started in (the repository: other suites read fixtures from it),
 * to go back to after a test that works from its tree. */
static char start_dir[4096];

static void test_walk_order_and_choice(void)
{
    char dir[64], err[512] = "", path[600];
    CHECK(getcwd(start_dir, sizeof start_dir) != NULL);
    make_tree(dir, sizeof dir);
    CHECK_INT(chdir(dir), 0); /* relative paths, so the expected list reads plainly */
    struct import_list *l = import_list_new(err, sizeof err);
    CHECK(l != NULL);
    if (!l)
        goto out;
    /* Byte order: 'Z' before 'a', "a-dir" before "a.md" ('-' < '.'); a directory named *.md is
     * walked, not taken; the link to a file counts, the link to a directory and the dangling
     * one do not. */
    CHECK_INT(import_list_add(l, "root", err, sizeof err), 0);
    CHECK_STR(err, "");
    /* A file argument is taken whatever its name; a trailing slash changes nothing. */
    CHECK_INT(import_list_add(l, "root/notes.txt", err, sizeof err), 0);
    CHECK_INT(import_list_add(l, "root/sub/", err, sizeof err), 0);
    CHECK_INT(import_list_count(l), 11);
    char *all = read_back(l);
    CHECK_STR(
        all,
        "root/Z.md|root/a-dir/e.md|root/a.md|root/b.md|root/dir.md/f.md|root/link.md|"
        "root/sub/c.md|root/sub/deeper/d.md|root/notes.txt|root/sub/c.md|root/sub/deeper/d.md|");
    free(all);
    /* Reading again gives the same; adding once reading has started is refused. */
    all = read_back(l);
    CHECK(strncmp(all, "root/Z.md|", 10) == 0);
    free(all);
    CHECK_INT(import_list_add(l, "root/a.md", err, sizeof err), -1);
    import_list_free(l);

    l = import_list_new(err, sizeof err);
    CHECK_INT(import_list_add(l, "root/missing", err, sizeof err), -1);
    CHECK_STR(err, "root/missing: cannot read: No such file or directory");
    CHECK_INT(import_list_add(l, "", err, sizeof err), -1);
    CHECK_STR(err, "an empty path");
    CHECK_INT(import_list_add(l, "/dev/null", err, sizeof err), -1);
    CHECK_STR(err, "/dev/null: not a file or a directory");
    /* An unreadable directory is named (root can read anything, so only when not root). */
    if (geteuid() != 0) {
        snprintf(path, sizeof path, "%s/root/sub", dir);
        chmod(path, 0);
        CHECK_INT(import_list_add(l, "root", err, sizeof err), -1);
        CHECK_STR(err, "root/sub: cannot read: Permission denied");
        chmod(path, 0700);
    }
    import_list_free(l);
out:
    CHECK_INT(chdir(start_dir), 0);
    tree_remove(dir);
}

static void test_files_from(void)
{
    char dir[64], err[512] = "", list[600];
    CHECK(getcwd(start_dir, sizeof start_dir) != NULL);
    make_tree(dir, sizeof dir);
    CHECK_INT(chdir(dir), 0);
    struct import_list *l = import_list_new(err, sizeof err);
    if (!l)
        goto out;
    /* Lines are paths or directories; an empty line is skipped, a CR before the newline
     * dropped. */
    tree_write(dir, "list.txt", "root/a.md\n\nroot/sub\r\nroot/b.md");
    CHECK_INT(import_list_add_from(l, "list.txt", err, sizeof err), 0);
    CHECK_STR(err, "");
    char *all = read_back(l);
    CHECK_STR(all, "root/a.md|root/sub/c.md|root/sub/deeper/d.md|root/b.md|");
    free(all);
    import_list_free(l);

    /* The bad line is named by its number. */
    l = import_list_new(err, sizeof err);
    tree_write(dir, "bad.txt", "root/a.md\nroot/b.md\nroot/nope.md\nroot/Z.md\n");
    CHECK_INT(import_list_add_from(l, "bad.txt", err, sizeof err), -1);
    CHECK_STR(err, "bad.txt:3: root/nope.md: cannot read: No such file or directory");
    import_list_free(l);

    l = import_list_new(err, sizeof err);
    snprintf(list, sizeof list, "%s/nul.txt", dir);
    FILE *f = fopen(list, "w");
    CHECK(f != NULL);
    if (f) {
        fwrite("root/a.md\nroot/\0b.md\n", 1, 21, f);
        fclose(f);
    }
    CHECK_INT(import_list_add_from(l, "nul.txt", err, sizeof err), -1);
    CHECK_STR(err, "nul.txt:2: contains a NUL byte");
    CHECK_INT(import_list_add_from(l, "absent.txt", err, sizeof err), -1);
    CHECK_STR(err, "absent.txt: cannot read: No such file or directory");
    import_list_free(l);
out:
    CHECK_INT(chdir(start_dir), 0);
    tree_remove(dir);
}

static void test_many_paths_and_odd_names(void)
{
    char dir[64], err[512] = "", path[600];
    snprintf(dir, sizeof dir, "/tmp/broadsheet-list-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    tree_write(dir, "odd/new\nline.md", "text\n");
    tree_write(dir, "odd/sp ace.md", "text\n");
    struct import_list *l = import_list_new(err, sizeof err);
    if (!l)
        goto out;
    snprintf(path, sizeof path, "%s/odd", dir);
    CHECK_INT(import_list_add(l, path, err, sizeof err), 0);
    /* Many paths go to the spool, not memory, and come back in order. */
    snprintf(path, sizeof path, "%s/odd/sp ace.md", dir);
    for (int i = 0; i < 50000; i++)
        CHECK_INT(import_list_add(l, path, err, sizeof err), 0);
    CHECK_INT(import_list_count(l), 50002);
    CHECK_INT(import_list_rewind(l, err, sizeof err), 0);
    const char *got;
    char want[600];
    snprintf(want, sizeof want, "%s/odd/new\nline.md", dir);
    CHECK_INT(import_list_next(l, &got, err, sizeof err), 1);
    CHECK_STR(got, want);
    int64_t n = 1;
    while (import_list_next(l, &got, err, sizeof err) == 1) {
        if (strcmp(got, path) != 0)
            break;
        n++;
    }
    CHECK_INT(n, 50002);
    import_list_free(l);
out:
    tree_remove(dir);
}

void suite_import_list(void)
{
    RUN(test_walk_order_and_choice);
    RUN(test_files_from);
    RUN(test_many_paths_and_odd_names);
}
