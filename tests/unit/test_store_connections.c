/*
 * test_store_connections.c: tests of store.c's per-thread connections when the database
 * file is not writable for a while (issue 8, finding 18). A connection must never be kept in a
 * degraded state: one that SQLite quietly opened read-only is refused, and one whose writes fail
 * because the connection itself cannot write is dropped, so that the thread's next call opens a
 * new connection and works once the file is writable again, without a restart.
 *
 * How a file is made unwritable for one thread, also as root (CI runs the tests as root, and root
 * ignores file modes): the thread drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from its own
 * effective capability set with the raw capset system call, which on Linux changes the calling
 * thread only, and the file is chmod'ed to 0444. Root then meets the file's mode like any owner,
 * so SQLite's open(O_RDWR) fails with EACCES and it falls back to read-only, exactly as for a
 * server running as an ordinary user. The capabilities stay in the permitted set, so the thread
 * raises them again afterwards. As a non-root user the capset is a no-op and the chmod does it.
 * Each scenario runs on a thread of its own, like a server's worker thread, while the test's main
 * thread keeps the connection store_open made (as the server's main thread does), so the
 * database's -wal and -shm files stay in place.
 */
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arena.h"
#include "check.h"
#include "store.h"
#include "test_support.h"
#include "util.h"

/* Turns the calling thread's file-permission override (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH)
 * off or back on, in its effective set only. Returns 0 or -1. */
static int thread_dac_override(int on)
{
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    const unsigned mask = (1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH);
    if (syscall(SYS_capget, &header, data) != 0)
        return -1;
    if (on)
        data[0].effective |= mask & data[0].permitted;
    else
        data[0].effective &= ~mask;
    return syscall(SYS_capset, &header, data) == 0 ? 0 : -1;
}

/* Sets the mode of t's database file with suffix ("", "-wal", "-shm"). Returns 0 or -1. */
static int chmod_db(const struct tmpdb *t, const char *suffix, mode_t mode)
{
    char file[300];
    snprintf(file, sizeof file, "%s%s", t->path, suffix);
    return chmod(file, mode);
}

/* 1 if the calling thread can open t's file with suffix for writing (so the test could not take
 * write access away and would prove nothing). */
static int thread_can_write(const struct tmpdb *t, const char *suffix)
{
    char file[300];
    snprintf(file, sizeof file, "%s%s", t->path, suffix);
    int fd = open(file, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

/* One scenario on its own thread: which files are unwritable while the thread first uses the
 * store, and what it saw. */
struct scenario {
    struct store *st;
    const struct tmpdb *t;
    const char *const *suffixes; /* files taken away, NULL-terminated */
    int read_first;              /* 1: a read opens the connection before the write */
    int could_write;             /* the thread could still open a file for writing (test broken) */
    int read_result, failed_write, later_write, later_read;
};

/* The scenario's thread: takes write access away, uses the store, gives write access back, and
 * writes again, all on this one thread. */
static void *scenario_run(void *arg)
{
    struct scenario *sc = arg;
    struct arena *a = arena_new(0);
    struct user u;
    thread_dac_override(0);
    for (const char *const *s = sc->suffixes; *s; s++) {
        chmod_db(sc->t, *s, 0444);
        sc->could_write |= thread_can_write(sc->t, *s);
    }
    if (sc->read_first)
        sc->read_result = store_user_by_email(sc->st, a, "nobody@example.com", &u);
    sc->failed_write =
        store_user_create(sc->st, "while-readonly@example.com", "A Reader", "", ROLE_READER, NULL);
    for (const char *const *s = sc->suffixes; *s; s++)
        chmod_db(sc->t, *s, 0644);
    thread_dac_override(1);
    sc->later_write =
        store_user_create(sc->st, "afterwards@example.com", "A Reader", "", ROLE_READER, NULL);
    sc->later_read = store_user_by_email(sc->st, a, "afterwards@example.com", &u);
    store_thread_done(sc->st);
    arena_free(a);
    return NULL;
}

/* Runs sc on a new thread against a fresh database, then checks from the main thread that the
 * write made after write access came back is in the database. */
static void run_scenario(struct scenario *sc)
{
    struct tmpdb t;
    struct arena *a = arena_new(0);
    struct user u;
    pthread_t thread;
    CHECK(tmpdb_make(&t, "connections") == 0);
    struct store *st = open_store(&t);
    if (!st)
        goto out;
    /* A first write from the main thread, so that the -wal and -shm files exist. */
    CHECK_INT(store_user_create(st, "first@example.com", "First", "", ROLE_READER, NULL), STORE_OK);
    sc->st = st;
    sc->t = &t;
    CHECK(pthread_create(&thread, NULL, scenario_run, sc) == 0);
    pthread_join(thread, NULL);
    CHECK_INT(sc->could_write, 0);
    CHECK_INT(sc->failed_write, STORE_ERROR);
    CHECK_INT(sc->later_write, STORE_OK);
    CHECK_INT(sc->later_read, STORE_OK);
    CHECK_INT(store_user_by_email(st, a, "afterwards@example.com", &u), STORE_OK);
    CHECK_INT(store_user_by_email(st, a, "while-readonly@example.com", &u), STORE_NOT_FOUND);
    store_close(st);
out:
    arena_free(a);
    tmpdb_remove(&t);
}

/* The database file itself is read-only when the thread first needs a connection: SQLite opens
 * it read-only without an error. That connection must not be kept: once the file is writable
 * again, the same thread's next write works. */
static void test_opened_read_only_is_not_kept(void)
{
    static const char *const files[] = {"", "-wal", "-shm", NULL};
    struct scenario sc = {.suffixes = files};
    run_scenario(&sc);
}

/* The database file is writable but its write-ahead log is not: the connection opens read-write
 * (so nothing at open time tells), reads work, and every write fails with SQLITE_READONLY. The
 * failed write must drop the connection, so that the next one opens the log anew. */
static void test_readonly_error_drops_the_connection(void)
{
    static const char *const files[] = {"-wal", NULL};
    struct scenario sc = {.suffixes = files, .read_first = 1};
    run_scenario(&sc);
    CHECK_INT(sc.read_result, STORE_NOT_FOUND); /* reading worked: the connection was kept */
}

void suite_store_connections(void)
{
    RUN(test_opened_read_only_is_not_kept);
    RUN(test_readonly_error_drops_the_connection);
}
