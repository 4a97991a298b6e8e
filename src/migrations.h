/*
 * migrations.h: the schema migrations compiled into the binary. The build turns each
 * migrations/sqlite/NNN_name.sql (and migrations/pgsql/NNN_name.sql, the same schema for
 * PostgreSQL) into one entry (scripts/embed-migrations), in order, so the
 * binary carries its schema and needs no files beside it to create or upgrade a database.
 */
#ifndef BROADSHEET_MIGRATIONS_H
#define BROADSHEET_MIGRATIONS_H

#include <stddef.h>

struct migration {
    int version;      /* NNN from the file name; versions are 1, 2, 3… with no gaps */
    const char *name; /* the file name without .sql */
    const char *sql;  /* the whole file */
};

extern const struct migration migrations_sqlite[];
extern const size_t migrations_sqlite_count;
extern const struct migration migrations_pgsql[]; /* migrations/pgsql: the same versions */
extern const size_t migrations_pgsql_count;

#endif
