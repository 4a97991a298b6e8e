/*
 * cli.h: the `broadsheet` command line as a table. Each command is a row (struct cli_command):
 * its words ("org range add"), its positional arguments as the usage shows them ("SLUG CIDR"),
 * the options it takes, whether it uses the store, a one-line summary and the function that
 * runs it. cli.c does everything generic from the rows: finding the command, checking the
 * argument count and the options, the configuration (file, environment, flags), opening and
 * closing the store, the usage line of every error, and `--help` / `help COMMAND`. So a
 * command's function starts with arguments that are already the right number and options that
 * exist, and checks only what they mean.
 *
 * Exit status, for every command: 0 on success, 1 when the work failed (an unreadable database,
 * an account that does not exist), 2 for a usage error (CLI_USAGE: unknown command or option,
 * a missing or extra argument, a bad value), which also prints the command's usage.
 *
 * The rows of one subject (article, user, plan…) live in its cmd_*.c file; cmd.c lists the
 * subjects in the order `--help` shows them.
 */
#ifndef BROADSHEET_CLI_H
#define BROADSHEET_CLI_H

#include <stdio.h>

#include "config.h"

struct store;

#define CLI_USAGE 2 /* the exit status of a usage error */

/* Option flags. */
enum {
    CLI_REQUIRED = 1u << 0,   /* the command refuses to run without it (usage shows no []) */
    CLI_REPEATABLE = 1u << 1, /* each use adds a line: the value is every use joined by "\n" */
    CLI_CONFIG = 1u << 2,     /* a configuration directive (config.h), named here only so that
                                 the usage shows it; every command takes every directive */
};

struct cli_option {
    const char *name;  /* without the leading "--": "price" */
    const char *value; /* the value as the usage shows it ("12.99", "YYYY-MM-DD"), or a set of
                          choices ("month|year|contact"); NULL: a switch that takes no value */
    unsigned flags;    /* CLI_REQUIRED, CLI_REPEATABLE, CLI_CONFIG */
};

/* Command flags. */
enum {
    CLI_STORE = 1u << 0, /* uses the database (cli_store); the usage shows [--db PATH] */
};

struct cli_call;

struct cli_command {
    const char *words; /* "org range add": one to three words */
    /* The positional arguments as the usage shows them, separated by single spaces: "SLUG
     * free|metered|subscribers|inherit", "FILE.md..." (one or more), "[DIR...]" or "[DIR]..."
     * (any number),
     * "[NAME]" (optional); "" for none. Only the last may end in "..." or be optional. */
    const char *arguments;
    const struct cli_option *options; /* ends with a row whose name is NULL; NULL for none */
    unsigned flags;                   /* CLI_STORE */
    const char *summary;              /* what it does, for --help: plain words, wrapped there */
    int (*run)(struct cli_call *call);
};

/* One run of a command, for its function: what the command line said. Everything in it is
 * owned by cli.c and lives until the function returns. */
struct cli_call {
    const struct cli_command *command;
    struct config config; /* defaults < config file < environment < flags */
    char **arguments;     /* the positional arguments, as many as the row allows */
    int argument_count;
    const char **values; /* by option index: the value, "" for a given switch, NULL if absent */
    char **joined;       /* by option index: a repeatable option's values, joined (heap) */
    struct store *store; /* opened by the first cli_store, closed by cli_run */
    FILE *out, *err;     /* where help and errors go (stdout and stderr outside tests) */
};

/* Runs the command named by argv[1..] from the rows of tables (an array of row arrays, each
 * ending with a row whose words are NULL; the array ends with NULL), writing help and errors to
 * out and err. Handles `--help`, `-h`, `help [COMMAND]` and `COMMAND --help` itself. Returns the
 * exit status: the command's, or 0 for help, or CLI_USAGE. */
int cli_run(const struct cli_command *const *tables, int argc, char **argv, FILE *out, FILE *err);

/* The value of the option name (without "--") as given: "" for a switch that was given, NULL
 * when absent. name must be one of the running command's options (a row's option list is the
 * contract between the table and its function): any other name aborts, so a typo fails the
 * first test that runs the command instead of reading as "not given". */
const char *cli_value(const struct cli_call *call, const char *name);

/* The store named by the configuration (--db), opened on the first call and closed by cli_run
 * after the command returns, so a command checks its arguments before the database is created
 * or touched. Prints why and returns NULL when it cannot be opened (the command then exits 1).
 * Only for rows with CLI_STORE (anything else aborts). */
struct store *cli_store(struct cli_call *call);

/* Prints "broadsheet: WORDS: " and the message (fmt and its arguments, as printf) on one line,
 * then the command's usage, to call->err. Returns CLI_USAGE for the command to return. */
__attribute__((format(printf, 2, 3))) int cli_usage_error(const struct cli_call *call,
                                                          const char *fmt, ...);

/* Checks the rows of tables for mistakes cli.c cannot work with: a command whose words are also
 * the start of another's, two commands with the same words, a bad argument list, an option
 * without a name, one listed twice, a command called help, or a row without a summary or a
 * function. Returns 0, or -1
 * with the first problem in err. The unit tests run it on the real table. */
int cli_table_check(const struct cli_command *const *tables, char *err, size_t errlen);

#endif
