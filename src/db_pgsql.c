/*
 * db_pgsql.c: the PostgreSQL backend of db.h, on libpq (db_driver.h says what a backend does;
 * db.c keeps connections, the statement cache and transaction nesting).
 *
 * Statements: the store writes parameters as ?1, ?2 … (the SQL SQLite and PostgreSQL both
 * speak); prepare rewrites them to $1, $2 … outside quoted strings, quoted identifiers and
 * comments, and prepares the text on the server under the name "s<id>", which lives as long as
 * the connection. Bound values are kept as text in the statement and sent in text format, and
 * rows come back as text: the store reads integers and strings only, and PostgreSQL's text
 * forms of both are what it expects (booleans, "t" and "f", are read as 1 and 0). The first
 * step after binding runs the statement and fetches its whole result; later steps walk its
 * rows; reset frees it. A result is held whole, which suits the store's statements, whose lists
 * are limited (LIMIT ?N); a statement reading a whole table would want libpq's single-row mode.
 *
 * Statements of db_prepare_text's (ids from the store's count on, named the same way) are the
 * caller's and streamed: the first step sends the statement (PQsendQueryPrepared) in libpq's
 * single-row mode, each step takes the next row's result, and the end is the final status;
 * a reset before the end reads the rest (the connection can run nothing else until it has);
 * finalize deallocates the server's statement.
 *
 * Blobs (bytea) travel in bytea's text form, "\x" and two hex digits a byte, both ways:
 * bytea_output = 'hex' is set per connection, and a row's blob is decoded when first read.
 *
 * Settings per connection: client_min_messages = warning and a notice processor that drops
 * what still comes (the driver never prints), TimeZone = 'UTC' (times are unix seconds computed
 * in C, but a server's now() or a timestamp cast must not depend on the server's zone),
 * bytea_output = 'hex' (above), and
 * lock_timeout from db_thread_wait, so a statement waits for a lock no longer than its thread
 * allows (what SQLite's busy timeout bounds), and statement_timeout at 30 s for every statement
 * (a bound on a runaway query, not a wait: an HTTP thread's 50 ms lock wait must not cap its
 * reads).
 *
 * Connecting: libpq is given connect_timeout = CONNECT_TIMEOUT, and TCP's user timeout and
 * keepalives (below), unless the URL sets its own, so that a server that does not answer (a
 * network that drops packets) holds a thread for seconds, not for the system's TCP timeouts of
 * minutes or hours; a server that is down refuses at once anyway, and a slow statement is the
 * server's statement_timeout's to stop.
 *
 * Notifications (db_listen_open and the rest): a connection of its own that has run LISTEN and
 * runs nothing else; its owner polls its socket and drains it (PQconsumeInput, PQnotifies),
 * never waiting in libpq.
 *
 * Errors are classified by SQLSTATE (error_classes); the message is the server's primary
 * message, or libpq's on one line, never the connection string (which may hold a password).
 */
#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_driver.h"
#include "util.h"

#define MAX_PARAMS 65535 /* the protocol's limit on a statement's parameters */
/* pg_type's oids: fixed in the catalog, but not in libpq's headers. */
#define BOOL_OID 16
#define BYTEA_OID 17
#define INT8_OID 20
#define INT2_OID 21
#define INT4_OID 23
#define OID_OID 26
#define FLOAT4_OID 700
#define FLOAT8_OID 701
#define NUMERIC_OID 1700

/* Defaults for a thread that never called db_thread_wait: as long as SQLite's busy timeout for a
 * lock, and a bound on a runaway statement that still lets a migration's largest one finish. */
#define DEFAULT_LOCK_TIMEOUT "5s"
#define DEFAULT_STATEMENT_TIMEOUT "30s"
#define CONNECT_TIMEOUT "5" /* seconds; a URL's own connect_timeout wins */
/* A server that stops answering over TCP (a dead host, a partition): a request sent and never
 * acknowledged fails after 10 s (milliseconds), and an idle connection is found dead after about
 * 30 s of silence (seconds: idle, then probes). A URL's own values win. */
#define TCP_USER_TIMEOUT "10000"
#define KEEPALIVES_IDLE "15"
#define KEEPALIVES_INTERVAL "5"
#define KEEPALIVES_COUNT "3"

/* Transactions that read or set the schema's version hold this advisory lock (any fixed number:
 * "Bdsh") until they end, so that two processes opening one database together apply each
 * migration once, as SQLite's BEGIN IMMEDIATE makes them; PostgreSQL's BEGIN locks nothing. */
#define SCHEMA_LOCK "SELECT pg_advisory_xact_lock(1113879400)"
#define SCHEMA_TABLE "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"

struct pg_conn {
    struct db_conn base;
    PGconn *pg;
};

struct pg_stmt {
    struct db_stmt base;
    char name[24];         /* the server's name for it on its connection: "s<id>" */
    int nparams;           /* the highest ?N in its SQL */
    char **values;         /* nparams values as text, owned; NULL is SQL NULL (so is unbound) */
    PGresult *result;      /* the current run's rows: NULL until the first step after a reset */
    int row;               /* the current row in result, -1 before the first */
    unsigned char **blobs; /* the current row's bytea columns as read, owned; NULL: none yet */
    int nblobs;            /* the length of blobs: result's columns */
    int streamed;          /* db_prepare_text's: rows come one result at a time */
    int sent;              /* streamed, sent, and its final result not yet read */
};

/* SQLSTATEs and the classes of error they fall into; an entry of two characters stands for its
 * whole class. Anything not here is DB_ERR_OTHER. */
static const struct {
    const char *sqlstate;
    enum db_error error;
} error_classes[] = {
    {"23505", DB_ERR_UNIQUE},      /* unique_violation */
    {"23503", DB_ERR_FOREIGN_KEY}, /* foreign_key_violation */
    {"23514", DB_ERR_CHECK},       /* check_violation */
    {"23502", DB_ERR_CHECK},       /* not_null_violation */
    {"40001", DB_ERR_BUSY},        /* serialization_failure */
    {"40P01", DB_ERR_BUSY},        /* deadlock_detected */
    {"55P03", DB_ERR_BUSY},        /* lock_not_available: lock_timeout ran out */
    {"57014", DB_ERR_BUSY},        /* query_canceled: statement_timeout ran out */
    {"08", DB_ERR_BROKEN},         /* connection exceptions */
    {"57P01", DB_ERR_BROKEN},      /* admin_shutdown, also pg_terminate_backend */
    {"57P02", DB_ERR_BROKEN},      /* crash_shutdown */
    {"57P03", DB_ERR_BROKEN},      /* cannot_connect_now: the server is starting or stopping */
    {"53100", DB_ERR_FULL},        /* disk_full */
    /* read_only_sql_transaction: the database (or a server that became a standby) takes no
     * writes on this connection; as SQLite's READONLY, a new one may */
    {"25006", DB_ERR_BROKEN},
};

/* libpq's notice processor: drops the notice. libpq's own prints it on stderr. */
static void drop_notice(void *arg, const char *message)
{
    (void)arg, (void)message;
}

/* Copies libpq's message msg into out (outlen bytes) as one line: its line breaks and the tabs
 * that indent its continuation lines become single spaces, and its trailing newline goes. */
static void one_line(char *out, size_t outlen, const char *msg)
{
    size_t n = 0;
    for (const char *p = msg; *p && n + 1 < outlen; p++) {
        if (*p != '\n' && *p != '\r' && *p != '\t')
            out[n++] = *p;
        else if (n > 0 && out[n - 1] != ' ')
            out[n++] = ' ';
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

/* The class of an error with SQLSTATE sqlstate (NULL when libpq made the error itself) on pg.
 * A connection libpq has given up on is broken whatever the error said. */
static enum db_error error_class(PGconn *pg, const char *sqlstate)
{
    if (PQstatus(pg) == CONNECTION_BAD)
        return DB_ERR_BROKEN;
    for (size_t i = 0; sqlstate && i < ARRAY_LEN(error_classes); i++) {
        const char *prefix = error_classes[i].sqlstate;
        if (strncmp(sqlstate, prefix, strlen(prefix)) == 0)
            return error_classes[i].error;
    }
    return DB_ERR_OTHER;
}

/* Records in c the error that result r (NULL when libpq could not make one) reports. */
static void set_error(struct pg_conn *c, const PGresult *r)
{
    const char *primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    const char *libpq = PQerrorMessage(c->pg);
    char msg[sizeof c->base.errmsg];
    if (primary)
        one_line(msg, sizeof msg, primary);
    else if (*libpq)
        one_line(msg, sizeof msg, libpq);
    else /* a result of a kind no caller expects, such as COPY's */
        snprintf(msg, sizeof msg, "unexpected result %s", PQresStatus(PQresultStatus(r)));
    enum db_error error = error_class(c->pg, PQresultErrorField(r, PG_DIAG_SQLSTATE));
    db_set_error(&c->base, error, "%s", msg);
}

/* Checks r, the result of a command on c: 0 if it succeeded (with or without rows), else -1
 * with c's error set. Does not free r. */
static int check_result(struct pg_conn *c, const PGresult *r)
{
    switch (PQresultStatus(r)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY: return 0;
    default: set_error(c, r); return -1;
    }
}

/* Runs sql, one or more statements without parameters, on c. Returns 0, or -1 with c's error
 * set. */
static int run(struct pg_conn *c, const char *sql)
{
    PGresult *r = PQexec(c->pg, sql);
    int rc = check_result(c, r);
    PQclear(r);
    return rc;
}

/* Sets c's session (see the top of the file) for wait_ms, db_thread_wait's milliseconds or -1
 * for the defaults. The values are bound: SET cannot take parameters, set_config can. Returns
 * 0, or -1 with c's error set. */
static int apply_settings(struct pg_conn *c, int wait_ms)
{
    static const char sql[] = "SELECT set_config('client_min_messages', 'warning', false), "
                              "set_config('TimeZone', 'UTC', false), "
                              "set_config('bytea_output', 'hex', false), "
                              "set_config('lock_timeout', $1, false), "
                              "set_config('statement_timeout', $2, false), "
                              /* on for db_open_read_only; else as the server or the
                               * database says (an operator's ALTER DATABASE … SET
                               * default_transaction_read_only = on is kept) */
                              "set_config('default_transaction_read_only', CASE WHEN $3 = 'on' "
                              "THEN 'on' ELSE current_setting('default_transaction_read_only') "
                              "END, false)";
    char ms[16];
    const char *values[3] = {DEFAULT_LOCK_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT,
                             c->base.db->read_only ? "on" : "off"};
    if (wait_ms >= 0) {
        /* At least 1: PostgreSQL reads 0 as no limit at all, the opposite of waiting 0 ms. */
        snprintf(ms, sizeof ms, "%d", wait_ms > 0 ? wait_ms : 1);
        values[0] = ms;
    }
    PGresult *r = PQexecParams(c->pg, sql, 3, NULL, values, NULL, NULL, 0);
    int rc = check_result(c, r);
    PQclear(r);
    return rc;
}

static void pg_disconnect(struct db_conn *conn)
{
    struct pg_conn *c = (struct pg_conn *)conn;
    PQfinish(c->pg);
    free(c);
}

/* Writes into err why pg could not connect to db (db.c puts the target as shown before it).
 * libpq's messages about a malformed URL quote the part at fault, which may be the password
 * ("invalid percent-encoded token"), so for a URL libpq cannot parse they are not given. */
static void connect_error(const struct db *db, PGconn *pg, char *err, size_t errlen)
{
    PQconninfoOption *options = PQconninfoParse(db->target, NULL);
    if (!options) {
        snprintf(err, errlen, "not a valid connection URL");
        return;
    }
    PQconninfoFree(options);
    one_line(err, errlen, PQerrorMessage(pg));
}

/* Connects to target (a URL) with the bounds on waiting the top of the file lists, each of which
 * the URL may override: libpq reads the arrays in order and the URL, expanded from dbname, comes
 * last. NULL only when out of memory; else check PQstatus. */
static PGconn *open_connection(const char *target)
{
    static const char *const keywords[] = {"connect_timeout",
                                           "tcp_user_timeout",
                                           "keepalives_idle",
                                           "keepalives_interval",
                                           "keepalives_count",
                                           "dbname",
                                           NULL};
    const char *values[] = {CONNECT_TIMEOUT,
                            TCP_USER_TIMEOUT,
                            KEEPALIVES_IDLE,
                            KEEPALIVES_INTERVAL,
                            KEEPALIVES_COUNT,
                            target,
                            NULL};
    return PQconnectdbParams(keywords, values, 1);
}

static struct db_conn *pg_connect(struct db *db, int wait_ms, char *err, size_t errlen)
{
    struct pg_conn *c = xcalloc(1, sizeof *c);
    /* db.c sets it again after; set now because apply_settings records errors through it. */
    c->base.db = db;
    c->pg = open_connection(db->target);
    if (!c->pg) {
        snprintf(err, errlen, "out of memory");
        free(c);
        return NULL;
    }
    PQsetNoticeProcessor(c->pg, drop_notice, NULL);
    if (PQstatus(c->pg) != CONNECTION_OK) {
        connect_error(db, c->pg, err, errlen);
        goto fail;
    }
    if (apply_settings(c, wait_ms) != 0) {
        snprintf(err, errlen, "%s", c->base.errmsg);
        goto fail;
    }
    return &c->base;
fail:
    pg_disconnect(&c->base);
    return NULL;
}

static void pg_set_wait(struct db_conn *conn, int wait_ms)
{
    apply_settings((struct pg_conn *)conn, wait_ms);
}

/* Reads what the server sent an idle connection, without waiting: after a restart, or
 * pg_terminate_backend, that is the end of the connection, and libpq marks it bad. Then the
 * thread's next call gets a new connection instead of failing once on the old one. */
static int pg_alive(struct db_conn *conn)
{
    PGconn *pg = ((struct pg_conn *)conn)->pg;
    /* One poll when nothing came (the usual case). The end comes as the server's FATAL message
     * and then end-of-file, which a second read sees; a few rounds are plenty. */
    for (int round = 0; round < 4 && PQstatus(pg) == CONNECTION_OK; round++) {
        struct pollfd p = {.fd = PQsocket(pg), .events = POLLIN};
        if (poll(&p, 1, 0) <= 0)
            break;
        if (!PQconsumeInput(pg))
            return 0;
    }
    return PQstatus(pg) == CONNECTION_OK;
}

/* The character after the quoted string or identifier that opens at p (with its quote, ' or "):
 * past its closing quote, a doubled quote being one inside it; the end of the text if it is
 * never closed (the server then reports it). */
static char *skip_quoted(char *p)
{
    char quote = *p++;
    while (*p) {
        if (*p++ == quote) {
            if (*p != quote)
                return p;
            p++;
        }
    }
    return p;
}

/* The character after the block comment that opens at p ("/ *"); PostgreSQL's nest. */
static char *skip_block_comment(char *p)
{
    int depth = 0;
    while (*p) {
        if (p[0] == '/' && p[1] == '*') {
            depth++;
            p += 2;
        } else if (p[0] == '*' && p[1] == '/') {
            p += 2;
            if (--depth == 0)
                return p;
        } else {
            p++;
        }
    }
    return p;
}

/* Rewrites the ?N parameters of sql in place to PostgreSQL's $N (the text keeps its length:
 * only the '?' changes) and stores the highest N in *nparams. Quoted strings, quoted identifiers
 * and comments are left as they are, a ?1 inside them being text. Returns 0, or -1 with the
 * offending '?' in *bad when one is not followed by a number from 1 to MAX_PARAMS (PostgreSQL's
 * own ?-operators are not in the SQL both backends speak). */
static int rewrite_parameters(char *sql, int *nparams, const char **bad)
{
    *nparams = 0;
    char *p = sql;
    while (*p) {
        if (*p == '\'' || *p == '"') {
            p = skip_quoted(p);
        } else if (p[0] == '-' && p[1] == '-') {
            p += strcspn(p, "\n");
        } else if (p[0] == '/' && p[1] == '*') {
            p = skip_block_comment(p);
        } else if (*p == '?') {
            *bad = p;
            *p++ = '$';
            long n = 0;
            for (; *p >= '0' && *p <= '9' && n <= MAX_PARAMS; p++)
                n = n * 10 + (*p - '0');
            if (n < 1 || n > MAX_PARAMS)
                return -1;
            if (n > *nparams)
                *nparams = (int)n;
        } else {
            p++;
        }
    }
    return 0;
}

/* Frees the blobs read from s's current row. */
static void drop_blobs(struct pg_stmt *s)
{
    for (int i = 0; i < s->nblobs; i++)
        free(s->blobs[i]);
    free(s->blobs);
    s->blobs = NULL;
    s->nblobs = 0;
}

/* Reads and drops what is left of a streamed statement's run: the connection can run nothing
 * else until its final result has been read. */
static void stream_drain(struct pg_stmt *s)
{
    struct pg_conn *c = (struct pg_conn *)s->base.conn;
    if (!s->sent)
        return;
    PGresult *r;
    while ((r = PQgetResult(c->pg)))
        PQclear(r);
    s->sent = 0;
}

/* The server's prepared statement of a numbered one is not deallocated here: db.c finalizes a
 * connection's statements only when it closes the connection, which ends them all. */
static void pg_finalize(struct db_stmt *stmt)
{
    struct pg_stmt *s = (struct pg_stmt *)stmt;
    if (s->streamed) {
        struct pg_conn *c = (struct pg_conn *)stmt->conn;
        stream_drain(s);
        /* db_prepare_text's statement is the caller's, so it goes now; the name is the
         * driver's own ("s<id>"). A failure (a transaction already in error) leaves it to the
         * connection's end, and is no error of the caller's. */
        char sql[48];
        snprintf(sql, sizeof sql, "DEALLOCATE %s", s->name);
        PQclear(PQexec(c->pg, sql));
    }
    drop_blobs(s);
    for (int i = 0; i < s->nparams; i++)
        free(s->values[i]);
    free(s->values);
    PQclear(s->result);
    free(s);
}

/* Rewrites sql's parameters and prepares it on the server as "s<id>". The values are made as
 * soon as their count is known, so that pg_finalize can free a statement the server refused. */
static struct db_stmt *pg_prepare(struct db_conn *conn, size_t id, const char *sql)
{
    struct pg_conn *c = (struct pg_conn *)conn;
    struct pg_stmt *s = xcalloc(1, sizeof *s);
    char *text = xstrdup(sql);
    const char *bad = NULL;
    int nparams;
    s->base.conn = conn;
    s->base.id = id;
    s->row = -1;
    s->streamed = id >= conn->db->nstatements;
    snprintf(s->name, sizeof s->name, "s%zu", id);
    if (rewrite_parameters(text, &nparams, &bad) != 0) {
        db_set_error(conn, DB_ERR_OTHER,
                     "statement %zu: the '?' at offset %td is not followed by a parameter "
                     "number from 1 to %d",
                     id, bad - text, MAX_PARAMS);
        goto fail;
    }
    s->nparams = nparams;
    s->values = xcalloc((size_t)nparams, sizeof *s->values);
    PGresult *r = PQprepare(c->pg, s->name, text, 0, NULL);
    int rc = check_result(c, r);
    PQclear(r);
    if (rc != 0)
        goto fail;
    free(text);
    return &s->base;
fail:
    free(text);
    pg_finalize(&s->base);
    return NULL;
}

/* Stores text (owned by the statement from now on) as s's parameter index. Returns 0, or -1
 * with the error set (and text freed) for an index the SQL has no ?N for or while s is running,
 * whose new values would go unseen until a reset. */
static int bind_value(struct pg_stmt *s, int index, char *text)
{
    if (index < 1 || index > s->nparams || s->result) {
        db_set_error(s->base.conn, DB_ERR_OTHER,
                     s->result ? "statement %zu: bound while running (not reset), parameter %d"
                               : "statement %zu has no parameter %d",
                     s->base.id, index);
        free(text);
        return -1;
    }
    free(s->values[index - 1]);
    s->values[index - 1] = text;
    return 0;
}

static int pg_bind_int64(struct db_stmt *s, int index, int64_t value)
{
    char text[24];
    snprintf(text, sizeof text, "%" PRId64, value);
    return bind_value((struct pg_stmt *)s, index, xstrdup(text));
}

static int pg_bind_text(struct db_stmt *s, int index, const char *text)
{
    return bind_value((struct pg_stmt *)s, index, xstrdup(text));
}

static int pg_bind_null(struct db_stmt *s, int index)
{
    return bind_value((struct pg_stmt *)s, index, NULL);
}

/* The blob in bytea's text form, which the server reads as bytea where the parameter is one
 * (a bytea column's value, or a ?N cast to bytea). */
static int pg_bind_blob(struct db_stmt *s, int index, const void *data, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *bytes = data;
    char *text = xmalloc(2 + 2 * len + 1);
    char *out = text;
    *out++ = '\\';
    *out++ = 'x';
    for (size_t i = 0; i < len; i++) {
        *out++ = digits[bytes[i] >> 4];
        *out++ = digits[bytes[i] & 15];
    }
    *out = '\0';
    return bind_value((struct pg_stmt *)s, index, text);
}

/* Sets c->changes from r when r ends an INSERT, UPDATE or DELETE (with or without RETURNING);
 * other statements leave it, as SQLite's changes() does. */
static void note_changes(struct pg_conn *c, PGresult *r)
{
    static const char *const writes[] = {"INSERT ", "UPDATE ", "DELETE "};
    const char *tag = PQcmdStatus(r);
    for (size_t i = 0; i < ARRAY_LEN(writes); i++) {
        if (strncmp(tag, writes[i], strlen(writes[i])) == 0) {
            c->base.changes = strtoll(PQcmdTuples(r), NULL, 10);
            return;
        }
    }
}

/* Runs s with its bound values and keeps its result. Returns 0, or -1 with the error set. */
static int execute(struct pg_stmt *s)
{
    struct pg_conn *c = (struct pg_conn *)s->base.conn;
    const char *const *values = (const char *const *)s->values;
    PGresult *r = PQexecPrepared(c->pg, s->name, s->nparams, values, NULL, NULL, 0);
    if (check_result(c, r) != 0) {
        PQclear(r);
        return -1;
    }
    note_changes(c, r);
    s->result = r;
    s->row = -1;
    return 0;
}

/* A streamed statement's step: sends it first (in single-row mode), then takes the next result:
 * a row (PGRES_SINGLE_TUPLE, kept as s->result's one row), or the final status, after which
 * it stays at the end (s->result a result of no rows, so that binding still waits for a
 * reset). */
static int stream_step(struct pg_stmt *s)
{
    struct pg_conn *c = (struct pg_conn *)s->base.conn;
    if (s->result && !s->sent)
        return s->row = PQntuples(s->result), DB_DONE;
    if (!s->result) {
        const char *const *values = (const char *const *)s->values;
        if (!PQsendQueryPrepared(c->pg, s->name, s->nparams, values, NULL, NULL, 0)) {
            set_error(c, NULL);
            return DB_FAIL;
        }
        s->sent = 1;
        PQsetSingleRowMode(c->pg); /* fails only when too late, which it is not here */
    }
    PQclear(s->result);
    s->result = PQgetResult(c->pg);
    s->row = 0;
    if (s->result && PQresultStatus(s->result) == PGRES_SINGLE_TUPLE)
        return DB_ROW;
    int rc = DB_DONE;
    if (!s->result || check_result(c, s->result) != 0) {
        if (!s->result) /* the connection went: libpq says why */
            set_error(c, NULL);
        rc = DB_FAIL;
    } else {
        note_changes(c, s->result);
    }
    stream_drain(s);
    if (!s->result) /* a result of no rows marks the end */
        s->result = PQmakeEmptyPGresult(c->pg, PGRES_TUPLES_OK);
    s->row = PQntuples(s->result);
    return rc;
}

/* The first step after a bind or reset runs the statement; each step moves to the next row of
 * its result, and stays at the end once there. */
static int pg_step(struct db_stmt *stmt)
{
    struct pg_stmt *s = (struct pg_stmt *)stmt;
    drop_blobs(s);
    if (s->streamed)
        return stream_step(s);
    if (!s->result && execute(s) != 0)
        return DB_FAIL;
    if (s->row + 1 >= PQntuples(s->result)) {
        s->row = PQntuples(s->result);
        return DB_DONE;
    }
    s->row++;
    return DB_ROW;
}

/* 1 if s is on a row that has a column col. */
static int has_column(const struct pg_stmt *s, int col)
{
    return s->result && s->row >= 0 && s->row < PQntuples(s->result) && col >= 0 &&
           col < PQnfields(s->result);
}

static int pg_column_is_null(struct db_stmt *stmt, int col)
{
    struct pg_stmt *s = (struct pg_stmt *)stmt;
    return !has_column(s, col) || PQgetisnull(s->result, s->row, col);
}

static const char *pg_column_text(struct db_stmt *stmt, int col)
{
    struct pg_stmt *s = (struct pg_stmt *)stmt;
    return pg_column_is_null(stmt, col) ? NULL : PQgetvalue(s->result, s->row, col);
}

static size_t pg_column_bytes(struct db_stmt *stmt, int col)
{
    struct pg_stmt *s = (struct pg_stmt *)stmt;
    return pg_column_is_null(stmt, col) ? 0 : (size_t)PQgetlength(s->result, s->row, col);
}

/* Integers in their text form; a boolean ("t" or "f") by its type, so that a text column
 * holding "t" reads 0 as in SQLite. */
static int64_t pg_column_int64(struct db_stmt *stmt, int col)
{
    struct pg_stmt *s = (struct pg_stmt *)stmt;
    const char *text = pg_column_text(stmt, col);
    if (!text)
        return 0;
    if (PQftype(s->result, col) == BOOL_OID)
        return text[0] == 't';
    return strtoll(text, NULL, 10);
}

static enum db_type pg_column_type(struct db_stmt *stmt, int col)
{
    struct pg_stmt *s = (struct pg_stmt *)stmt;
    if (pg_column_is_null(stmt, col))
        return DB_TYPE_NULL;
    switch (PQftype(s->result, col)) {
    case BOOL_OID:
    case INT2_OID:
    case INT4_OID:
    case INT8_OID:
    case OID_OID: return DB_TYPE_INTEGER;
    case FLOAT4_OID:
    case FLOAT8_OID:
    case NUMERIC_OID: return DB_TYPE_REAL;
    case BYTEA_OID: return DB_TYPE_BLOB;
    default: return DB_TYPE_TEXT;
    }
}

/* The value of hex digit c, or -1. */
static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* bytea's text form, "\x" then two hex digits a byte, decoded into a new buffer of
 * (textlen - 2) / 2 bytes; NULL if text is not of that form. */
static unsigned char *decode_bytea(const char *text, size_t textlen)
{
    if (textlen < 2 || text[0] != '\\' || text[1] != 'x' || textlen % 2 != 0)
        return NULL;
    unsigned char *bytes = xmalloc((textlen - 2) / 2);
    for (size_t i = 2; i < textlen; i += 2) {
        int high = hex_value(text[i]), low = hex_value(text[i + 1]);
        if (high < 0 || low < 0) {
            free(bytes);
            return NULL;
        }
        bytes[i / 2 - 1] = (unsigned char)(high << 4 | low);
    }
    return bytes;
}

/* A bytea column decoded, once per row: it is kept (s->blobs) until the next step or reset. Any
 * other column gives its text form's bytes, as SQLite gives a text column's. NULL, with *len 0,
 * for SQL NULL. */
static const void *pg_column_blob(struct db_stmt *stmt, int col, size_t *len)
{
    struct pg_stmt *s = (struct pg_stmt *)stmt;
    const char *text = pg_column_text(stmt, col);
    size_t textlen = pg_column_bytes(stmt, col);
    *len = textlen;
    if (!text || PQftype(s->result, col) != BYTEA_OID)
        return text;
    if (!s->blobs) {
        s->nblobs = PQnfields(s->result);
        s->blobs = xcalloc((size_t)s->nblobs, sizeof *s->blobs);
    }
    if (!s->blobs[col])
        s->blobs[col] = decode_bytea(text, textlen);
    *len = s->blobs[col] ? (textlen - 2) / 2 : 0;
    return s->blobs[col];
}

static void pg_reset(struct db_stmt *stmt)
{
    struct pg_stmt *s = (struct pg_stmt *)stmt;
    stream_drain(s);
    drop_blobs(s);
    PQclear(s->result);
    s->result = NULL;
    s->row = -1;
    for (int i = 0; i < s->nparams; i++) {
        free(s->values[i]);
        s->values[i] = NULL;
    }
}

static int pg_exec(struct db_conn *c, const char *sql)
{
    return run((struct pg_conn *)c, sql);
}

/* Savepoints are named by their depth, "s<depth>": a name cannot be a bound parameter, and the
 * depth is db.c's count, never outside input. */
static int pg_begin(struct db_conn *c, int depth)
{
    char sql[48];
    if (depth == 0 && c->db->read_only) /* a snapshot (db_open_read_only) */
        return run((struct pg_conn *)c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (depth == 0)
        return run((struct pg_conn *)c, "BEGIN");
    snprintf(sql, sizeof sql, "SAVEPOINT s%d", depth);
    return run((struct pg_conn *)c, sql);
}

/* A transaction in which a statement failed is ended by COMMIT without an error: the server
 * rolls it back and says so only in the command's tag, so that is checked. A RELEASE in such a
 * transaction fails; db.c then rolls the level back (pg_rollback), which is the way out. */
static int pg_commit(struct db_conn *conn, int depth)
{
    struct pg_conn *c = (struct pg_conn *)conn;
    char sql[48];
    if (depth > 0) {
        snprintf(sql, sizeof sql, "RELEASE SAVEPOINT s%d", depth);
        return run(c, sql);
    }
    PGresult *r = PQexec(c->pg, "COMMIT");
    int rc = check_result(c, r);
    if (rc == 0 && strcmp(PQcmdStatus(r), "ROLLBACK") == 0) {
        /* The class is the failed statement's, still in conn, as db.c's db_commit keeps it. */
        db_set_error(conn, conn->error != DB_ERR_NONE ? conn->error : DB_ERR_OTHER,
                     "the transaction was rolled back: a statement in it had failed");
        rc = -1;
    }
    PQclear(r);
    return rc;
}

/* An inner level is rolled back to its savepoint, which is then released, so that the level is
 * gone as after a commit. ROLLBACK and ROLLBACK TO are also what leaves a transaction in which
 * a statement failed (PQTRANS_INERROR). */
static int pg_rollback(struct db_conn *c, int depth)
{
    char sql[96];
    if (depth == 0)
        return run((struct pg_conn *)c, "ROLLBACK");
    snprintf(sql, sizeof sql, "ROLLBACK TO SAVEPOINT s%d; RELEASE SAVEPOINT s%d", depth, depth);
    return run((struct pg_conn *)c, sql);
}

/* The server ended the transaction db.c thinks open: only a COMMIT does that on a live
 * connection (a failed statement leaves it open, in error, until ROLLBACK). */
static int pg_rolled_back(struct db_conn *conn)
{
    struct pg_conn *c = (struct pg_conn *)conn;
    return conn->tx_depth > 0 && PQtransactionStatus(c->pg) == PQTRANS_IDLE;
}

/* Reads the version under the schema lock, creating the table first if missing; no row reads
 * as 0. One round trip: PQexec returns the last statement's result. */
static int pg_schema_version(struct db_conn *conn, int *version)
{
    struct pg_conn *c = (struct pg_conn *)conn;
    if (conn->db->read_only) { /* may not create the table: a missing one reads as 0 */
        PGresult *t = PQexec(c->pg, "SELECT to_regclass('schema_version') IS NOT NULL");
        int rc = check_result(c, t);
        int exists = rc == 0 && PQntuples(t) == 1 && PQgetvalue(t, 0, 0)[0] == 't';
        PQclear(t);
        if (rc != 0)
            return -1;
        if (!exists) {
            *version = 0;
            return 0;
        }
    }
    PGresult *r = PQexec(c->pg, conn->db->read_only ? "SELECT version FROM schema_version"
                                                    : SCHEMA_LOCK
                                    "; " SCHEMA_TABLE "; SELECT version FROM schema_version");
    int rc = check_result(c, r);
    if (rc == 0)
        *version = PQntuples(r) > 0 ? atoi(PQgetvalue(r, 0, 0)) : 0;
    PQclear(r);
    return rc;
}

/* Replaces the table's one row. The DELETE in the WITH runs in full whether or not the INSERT
 * reads it, and cannot see the row the INSERT adds. */
static int pg_set_schema_version(struct db_conn *conn, int version)
{
    struct pg_conn *c = (struct pg_conn *)conn;
    static const char sql[] = "WITH old AS (DELETE FROM schema_version) "
                              "INSERT INTO schema_version (version) VALUES ($1)";
    char text[16];
    const char *values[1] = {text};
    if (run(c, SCHEMA_LOCK "; " SCHEMA_TABLE) != 0)
        return -1;
    snprintf(text, sizeof text, "%d", version);
    PGresult *r = PQexecParams(c->pg, sql, 1, NULL, values, NULL, NULL, 0);
    int rc = check_result(c, r);
    PQclear(r);
    return rc;
}

/* ---- notifications ----------------------------------------------------------------------- */

struct db_listener {
    PGconn *pg;
    char errmsg[256]; /* why it was lost */
};

struct db_listener *db_listen_open(struct db *db, const char *channel, char *err, size_t errlen)
{
    if (db->driver->kind != DB_PGSQL) {
        snprintf(err, errlen, "SQLite has no notifications");
        return NULL;
    }
    struct db_listener *l = xcalloc(1, sizeof *l);
    l->pg = open_connection(db->target);
    if (!l->pg) {
        snprintf(err, errlen, "out of memory");
        free(l);
        return NULL;
    }
    PQsetNoticeProcessor(l->pg, drop_notice, NULL);
    if (PQstatus(l->pg) != CONNECTION_OK) {
        connect_error(db, l->pg, err, errlen);
        goto fail;
    }
    /* A channel is an identifier, which cannot be a bound parameter: quoted by libpq. */
    char *quoted = PQescapeIdentifier(l->pg, channel, strlen(channel));
    if (!quoted) {
        one_line(err, errlen, PQerrorMessage(l->pg));
        goto fail;
    }
    char sql[128];
    snprintf(sql, sizeof sql, "LISTEN %s", quoted);
    PQfreemem(quoted);
    PGresult *r = PQexec(l->pg, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        one_line(err, errlen, PQerrorMessage(l->pg));
    PQclear(r);
    if (!ok)
        goto fail;
    return l;
fail:
    db_listen_close(l);
    return NULL;
}

int db_listen_fd(struct db_listener *l)
{
    return PQsocket(l->pg);
}

int db_listen_drain(struct db_listener *l)
{
    /* PQconsumeInput reads only what is there; a server's farewell (FATAL on a restart or
     * pg_terminate_backend) is read as an error message, and the end of the connection next. */
    if (!PQconsumeInput(l->pg) || PQstatus(l->pg) != CONNECTION_OK) {
        one_line(l->errmsg, sizeof l->errmsg, PQerrorMessage(l->pg));
        if (!l->errmsg[0])
            snprintf(l->errmsg, sizeof l->errmsg, "the server closed the connection");
        return -1;
    }
    int arrived = 0;
    PGnotify *note;
    while ((note = PQnotifies(l->pg))) {
        PQfreemem(note);
        arrived = 1;
    }
    return arrived;
}

const char *db_listen_errmsg(struct db_listener *l)
{
    return l->errmsg;
}

void db_listen_close(struct db_listener *l)
{
    if (!l)
        return;
    PQfinish(l->pg);
    free(l);
}

const struct db_driver db_pgsql_driver = {
    .kind = DB_PGSQL,
    .retry_ms = 1000,
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .set_wait = pg_set_wait,
    .alive = pg_alive,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .bind_int64 = pg_bind_int64,
    .bind_text = pg_bind_text,
    .bind_null = pg_bind_null,
    .bind_blob = pg_bind_blob,
    .step = pg_step,
    .column_int64 = pg_column_int64,
    .column_text = pg_column_text,
    .column_bytes = pg_column_bytes,
    .column_is_null = pg_column_is_null,
    .column_blob = pg_column_blob,
    .column_type = pg_column_type,
    .reset = pg_reset,
    .exec = pg_exec,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .rolled_back = pg_rolled_back,
    .schema_version = pg_schema_version,
    .set_schema_version = pg_set_schema_version,
};
