/*
 * db_driver.h: what a backend implements under db.h. db.c keeps everything the backends share
 * (the thread key and the list of connections, replacing broken connections, the statement
 * cache by id, transaction nesting, db_error and db_errmsg) and calls the backend's functions
 * through a struct db_driver; db_sqlite.c and db_pgsql.c each define one.
 *
 * A backend's connection and statement are its own structs, each starting with the common
 * part (struct db_conn, struct db_stmt below), so db.c and the backend share one pointer.
 * Backends record errors with db_set_error (class and message) and never print.
 */
#ifndef BROADSHEET_DB_DRIVER_H
#define BROADSHEET_DB_DRIVER_H

#include <pthread.h>
#include <stdatomic.h>

#include "db.h"

struct db_driver;

/* The part of every connection that db.c keeps. */
struct db_conn {
    struct db *db;
    struct db_conn *next;   /* in db->conns */
    struct db_stmt **stmts; /* db->nstatements, NULL until prepared */
    int tx_depth;           /* open db_begin levels */
    int broken;             /* a DB_ERR_BROKEN error happened: replace at the next db_conn */
    enum db_error error;    /* the last error's class */
    char errmsg[512];       /* the last error's message */
    int64_t changes;        /* rows the last write changed (the backend sets it) */
    char replaced[512];     /* why it replaced a broken one ("" if not, or once told) */
    size_t texts;           /* db_prepare_text's statements made on it so far */
};

/* The part of every statement that db.c keeps. */
struct db_stmt {
    struct db_conn *conn;
    size_t id;
};

struct db {
    const struct db_driver *driver;
    char *target;       /* as given */
    char *target_shown; /* without a password */
    const struct db_sql *statements;
    size_t nstatements;
    int read_only;        /* db_open_read_only */
    pthread_key_t key;    /* the calling thread's struct db_conn */
    pthread_mutex_t lock; /* guards conns */
    struct db_conn *conns;
    atomic_int down;          /* the last attempt to open a connection failed (db_unavailable) */
    atomic_llong retry_at_ms; /* while down: no new attempt before this monotonic time */
};

struct db_driver {
    enum db_kind kind;
    /* A server that can go away: when a connection cannot be opened the database is unavailable
     * (db_unavailable) and the process tries again at most once in retry_ms (db.c). 0: a file
     * on this machine (SQLite), which has no server to lose; a failure to open it is that
     * call's alone, and every db_conn tries. */
    int retry_ms;
    /* A new connection to db->target, its common part zeroed except db (set by the caller
     * after): NULL with the reason in err. wait_ms: the thread's db_thread_wait, -1 default. */
    struct db_conn *(*connect)(struct db *db, int wait_ms, char *err, size_t errlen);
    void (*disconnect)(struct db_conn *c); /* frees c and its backend state, not its stmts */
    void (*set_wait)(struct db_conn *c, int wait_ms);
    /* 0 if c is known to be closed (the server ended it while it sat idle), without waiting:
     * db_conn then replaces it before a call fails on it. */
    int (*alive)(struct db_conn *c);
    /* Prepares sql (the backend's text of statement id) on c: NULL with the error set. An id
     * from db->nstatements on is one of db_prepare_text's, unique on c: the caller's, and
     * streamed (db.h). */
    struct db_stmt *(*prepare)(struct db_conn *c, size_t id, const char *sql);
    void (*finalize)(struct db_stmt *s); /* frees s (and a db_prepare_text one's server part) */
    int (*bind_int64)(struct db_stmt *s, int index, int64_t value);
    int (*bind_text)(struct db_stmt *s, int index, const char *text); /* never NULL here */
    int (*bind_null)(struct db_stmt *s, int index);
    int (*bind_blob)(struct db_stmt *s, int index, const void *data, size_t len);
    int (*step)(struct db_stmt *s); /* DB_ROW, DB_DONE, DB_FAIL (error set; c->changes set) */
    int64_t (*column_int64)(struct db_stmt *s, int col);
    const char *(*column_text)(struct db_stmt *s, int col);
    size_t (*column_bytes)(struct db_stmt *s, int col);
    int (*column_is_null)(struct db_stmt *s, int col);
    const void *(*column_blob)(struct db_stmt *s, int col, size_t *len);
    enum db_type (*column_type)(struct db_stmt *s, int col);
    void (*reset)(struct db_stmt *s);
    int (*exec)(struct db_conn *c, const char *sql); /* 0 or -1, error set */
    /* Transaction statements at nesting depth (0: the outermost). 0 or -1, error set. */
    int (*begin)(struct db_conn *c, int depth);
    int (*commit)(struct db_conn *c, int depth);
    int (*rollback)(struct db_conn *c, int depth);
    /* 1 if the database ended c's transaction by itself (SQLite after some errors). */
    int (*rolled_back)(struct db_conn *c);
    int (*schema_version)(struct db_conn *c, int *version);
    int (*set_schema_version)(struct db_conn *c, int version);
};

extern const struct db_driver db_sqlite_driver;
extern const struct db_driver db_pgsql_driver;

/* Records c's error: its class, and the message formatted from fmt. Marks c broken for
 * DB_ERR_BROKEN. */
__attribute__((format(printf, 3, 4))) void db_set_error(struct db_conn *c, enum db_error error,
                                                        const char *fmt, ...);

#endif
