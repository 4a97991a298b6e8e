/*
 * test_cli.c: tests of src/cli.c, the command table's machinery, on a small table of its own
 * whose functions record what they were given: finding the row, arguments counted against the
 * row ("missing argument NAME", one too many), options (unknown, switch, value, --name=value,
 * repeatable, required, "--"), configuration directives taken by every command, usage errors
 * with the command's generated usage, --help and `help COMMAND` generated from the rows, and the
 * store opened only when the command asks for it and closed by cli_run. The last tests run
 * cli_table_check on bad tables and on the real one (cmd.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cli.h"
#include "cmd.h"
#include "test_support.h"

/* What the last command run was given. */
static struct {
    int runs;
    int argument_count;
    char arguments[4][64];
    char colour[64], lines[128];
    int flag_given, colour_given, lines_given;
    int port;
    int store_opened;
} seen;

static int run_add(struct cli_call *call)
{
    seen.runs++;
    seen.argument_count = call->argument_count;
    for (int i = 0; i < call->argument_count && i < 4; i++)
        snprintf(seen.arguments[i], sizeof seen.arguments[i], "%s", call->arguments[i]);
    const char *colour = cli_value(call, "colour"), *lines = cli_value(call, "line");
    seen.colour_given = colour != NULL;
    seen.lines_given = lines != NULL;
    snprintf(seen.colour, sizeof seen.colour, "%s", colour ? colour : "");
    snprintf(seen.lines, sizeof seen.lines, "%s", lines ? lines : "");
    seen.flag_given = cli_value(call, "flag") != NULL;
    seen.port = call->config.port;
    return 0;
}

/* Checks its argument (a usage error when it is "bad") before it opens the store. */
static int run_list(struct cli_call *call)
{
    seen.runs++;
    if (call->argument_count && !strcmp(call->arguments[0], "bad"))
        return cli_usage_error(call, "'%s' is bad", call->arguments[0]);
    struct store *st = cli_store(call);
    seen.store_opened = st != NULL;
    return st ? 0 : 1;
}

static const struct cli_option add_options[] = {
    {"colour", "C", CLI_REQUIRED}, {"flag", NULL, 0}, {"line", "TEXT", CLI_REPEATABLE},
    {"port", "N", CLI_CONFIG},     {NULL, NULL, 0},
};

static const struct cli_command things[] = {
    {"thing add", "NAME [TAG...]", add_options, 0, "add a thing", run_add},
    {"thing list", "[FILTER]", NULL, CLI_STORE,
     "list the things, with a summary long enough "
     "to be wrapped onto a second line of the help",
     run_list},
    {NULL, NULL, NULL, 0, NULL, NULL},
};

static const struct cli_command *const tables[] = {things, NULL};

/* The output of one cli_run. */
struct ran {
    int status;
    char *out, *err; /* heap strings */
};

/* Runs `broadsheet` with the NULL-terminated words given, capturing out and err. */
static struct ran run(const char *first, ...)
{
    char *argv[32] = {"broadsheet"};
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *w = first; w && argc < 31; w = va_arg(ap, const char *))
        argv[argc++] = (char *)w;
    va_end(ap);
    memset(&seen, 0, sizeof seen);
    struct ran r;
    size_t out_len, err_len;
    FILE *out = open_memstream(&r.out, &out_len), *err = open_memstream(&r.err, &err_len);
    r.status = cli_run(tables, argc, argv, out, err);
    fclose(out);
    fclose(err);
    return r;
}

static void ran_free(struct ran *r)
{
    free(r->out);
    free(r->err);
}

/* Checks a usage error: status 2, the message on one "broadsheet: " line, then the usage. */
#define CHECK_USAGE_ERROR(r, message, usage)                                                       \
    do {                                                                                           \
        CHECK_INT((r).status, CLI_USAGE);                                                          \
        CHECK(strncmp((r).err, message "\n", strlen(message "\n")) == 0);                          \
        CHECK(strstr((r).err, usage) != NULL);                                                     \
        if (strncmp((r).err, message "\n", strlen(message "\n")) != 0)                             \
            fprintf(stderr, "    stderr: %s\n", (r).err);                                          \
    } while (0)

static void test_arguments_and_options(void)
{
    struct ran r = run("thing", "add", "one", "two", "three", "--colour", "red", "--flag",
                       "--line=a", "--line", "b", NULL);
    CHECK_INT(r.status, 0);
    CHECK_INT(seen.runs, 1);
    CHECK_INT(seen.argument_count, 3);
    CHECK_STR(seen.arguments[2], "three");
    CHECK_STR(seen.colour, "red");
    CHECK(seen.flag_given);
    CHECK_STR(seen.lines, "a\nb");
    ran_free(&r);

    /* Absent options read as NULL; "--" makes the rest arguments, even "--flag". */
    r = run("thing", "add", "--colour=blue", "x", "--", "--flag", NULL);
    CHECK_INT(r.status, 0);
    CHECK(!seen.flag_given && !seen.lines_given);
    CHECK_STR(seen.colour, "blue");
    CHECK_INT(seen.argument_count, 2);
    CHECK_STR(seen.arguments[1], "--flag");
    ran_free(&r);
}

static void test_configuration_directives(void)
{
    /* A directive the row names, and one it does not: every command takes every directive. */
    struct ran r = run("thing", "add", "x", "--colour", "c", "--port", "9001", NULL);
    CHECK_INT(r.status, 0);
    CHECK_INT(seen.port, 9001);
    ran_free(&r);
    r = run("thing", "add", "x", "--colour", "c", "--timeout", "7", NULL);
    CHECK_INT(r.status, 0);
    ran_free(&r);
    r = run("thing", "add", "x", "--colour", "c", "--port", "notaport", NULL);
    CHECK_INT(r.status, CLI_USAGE);
    CHECK_INT(seen.runs, 0);
    ran_free(&r);
}

static void test_usage_errors(void)
{
    /* Wrapped to 80 columns, continued on lines indented by 4. */
    const char *usage = "usage: broadsheet thing add NAME [TAG...] --colour C [--flag] "
                        "[--line TEXT]...\n    [--port N]\n";
    struct ran r = run("thing", "add", "x", "--colour", "c", "--bogus", NULL);
    CHECK_USAGE_ERROR(r, "broadsheet: thing add: unknown option --bogus", usage);
    CHECK_INT(seen.runs, 0);
    ran_free(&r);
    r = run("thing", "add", "--colour", "c", NULL);
    CHECK_USAGE_ERROR(r, "broadsheet: thing add: missing argument NAME", usage);
    ran_free(&r);
    r = run("thing", "add", "x", NULL);
    CHECK_USAGE_ERROR(r, "broadsheet: thing add: needs --colour C", usage);
    ran_free(&r);
    r = run("thing", "add", "x", "--colour", NULL);
    CHECK_USAGE_ERROR(r, "broadsheet: thing add: option --colour needs a value", usage);
    ran_free(&r);
    r = run("thing", "add", "x", "--colour", "c", "--flag=1", NULL);
    CHECK_USAGE_ERROR(r, "broadsheet: thing add: option --flag takes no value", usage);
    ran_free(&r);
    r = run("thing", "list", "a", "b", NULL);
    CHECK_USAGE_ERROR(r, "broadsheet: thing list: one argument too many ('b')",
                      "usage: broadsheet thing list [FILTER] [--db PATH]\n");
    CHECK_INT(seen.runs, 0);
    ran_free(&r);
    /* A usage error of the command's own. */
    r = run("thing", "list", "bad", NULL);
    CHECK_USAGE_ERROR(r, "broadsheet: thing list: 'bad' is bad", "usage: broadsheet thing list");
    ran_free(&r);
}

static void test_unknown_commands(void)
{
    struct ran r = run("nothing", NULL);
    CHECK_INT(r.status, CLI_USAGE);
    CHECK(strstr(r.err, "broadsheet: unknown command 'nothing'\n") == r.err);
    CHECK(strstr(r.err, "  thing add NAME") != NULL);
    ran_free(&r);
    r = run("thing", "frob", NULL);
    CHECK_INT(r.status, CLI_USAGE);
    CHECK(strstr(r.err, "broadsheet: unknown thing command 'frob' (add or list)\n") == r.err);
    ran_free(&r);
    r = run(NULL);
    CHECK_INT(r.status, CLI_USAGE);
    CHECK(strstr(r.err, "broadsheet: missing command\n") == r.err);
    ran_free(&r);
}

static void test_help(void)
{
    struct ran r = run("--help", NULL);
    CHECK_INT(r.status, 0);
    CHECK(strstr(r.out, "\n  thing add NAME [TAG...] --colour C [--flag] [--line TEXT]... "
                        "[--port N]\n        add a thing\n") != NULL);
    /* A summary wrapped to 80 columns, indented under its usage. */
    CHECK(strstr(r.out, "  thing list [FILTER] [--db PATH]\n        list the things, with a "
                        "summary long enough to be wrapped onto a second\n        line of the "
                        "help\n") != NULL);
    CHECK(strstr(r.out, "--config FILE") != NULL);
    CHECK_STR(r.err, "");
    ran_free(&r);

    r = run("help", "thing", "add", NULL);
    CHECK_INT(r.status, 0);
    CHECK(strncmp(r.out, "usage: broadsheet thing add NAME", 32) == 0);
    ran_free(&r);
    r = run("thing", "add", "x", "--help", NULL);
    CHECK_INT(r.status, 0);
    CHECK_INT(seen.runs, 0);
    CHECK(strncmp(r.out, "usage: broadsheet thing add NAME", 32) == 0);
    ran_free(&r);
    r = run("thing", "--help", NULL); /* a group: its commands */
    CHECK_INT(r.status, 0);
    CHECK(strstr(r.out, "  thing list") != NULL && strstr(r.out, "  thing add") != NULL);
    ran_free(&r);
    r = run("help", "nothing", NULL);
    CHECK_INT(r.status, CLI_USAGE);
    ran_free(&r);
}

static void test_store_opened_when_used(void)
{
    struct tmpdb t;
    CHECK(tmpdb_make(&t, "cli") == 0);
    /* A usage error found before cli_store leaves no database behind. */
    struct ran r = run("thing", "list", "bad", "--db", t.path, NULL);
    CHECK_INT(r.status, CLI_USAGE);
    CHECK(tdb_untouched(&t));
    ran_free(&r);
    r = run("thing", "list", "--db", t.path, NULL);
    CHECK_INT(r.status, 0);
    CHECK(seen.store_opened);
    CHECK(!tdb_untouched(&t));
    ran_free(&r);
    /* One that cannot be opened: exit 1, saying which. */
    r = run("thing", "list", "--db", "/nonexistent/dir/x.db", NULL);
    CHECK_INT(r.status, 1);
    CHECK(strncmp(r.err, "broadsheet: /nonexistent/dir/x.db: ", 35) == 0);
    ran_free(&r);
    tmpdb_remove(&t);
}

static void test_table_check(void)
{
    char err[256];
    static const struct cli_command prefix[] = {
        {"org", "", NULL, 0, "s", run_add},
        {"org add", "", NULL, 0, "s", run_add},
        {NULL, NULL, NULL, 0, NULL, NULL},
    };
    static const struct cli_option twice[] = {{"a", "X", 0}, {"a", NULL, 0}, {NULL, NULL, 0}};
    static const struct cli_command duplicate_option[] = {
        {"x", "", twice, 0, "s", run_add},
        {NULL, NULL, NULL, 0, NULL, NULL},
    };
    static const struct cli_command bad_arguments[] = {
        {"x", "A... B", NULL, 0, "s", run_add},
        {NULL, NULL, NULL, 0, NULL, NULL},
    };
    static const struct cli_command optional_first[] = {
        {"x", "[A] B", NULL, 0, "s", run_add},
        {NULL, NULL, NULL, 0, NULL, NULL},
    };
    static const struct cli_option not_config[] = {{"colour", "C", CLI_CONFIG}, {NULL, NULL, 0}};
    static const struct cli_command unknown_directive[] = {
        {"x", "", not_config, 0, "s", run_add},
        {NULL, NULL, NULL, 0, NULL, NULL},
    };
    static const struct cli_command help[] = {
        {"help me", "", NULL, 0, "s", run_add},
        {NULL, NULL, NULL, 0, NULL, NULL},
    };
    const struct cli_command *const bad[][2] = {
        {help, NULL},          {prefix, NULL},         {duplicate_option, NULL},
        {bad_arguments, NULL}, {optional_first, NULL}, {unknown_directive, NULL},
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        CHECK(cli_table_check(bad[i], err, sizeof err) < 0);
    CHECK(cli_table_check(tables, err, sizeof err) == 0);
    static const struct cli_command any_number[] = {
        {"x", "A [B]...", NULL, 0, "s", run_add},
        {"y", "[C...]", NULL, 0, "s", run_add},
        {NULL, NULL, NULL, 0, NULL, NULL},
    };
    const struct cli_command *const good[] = {any_number, NULL};
    CHECK(cli_table_check(good, err, sizeof err) == 0);
    err[0] = '\0';
    int real = cli_table_check(cmd_tables, err, sizeof err);
    CHECK(real == 0);
    if (real)
        fprintf(stderr, "    %s\n", err);
}

void suite_cli(void)
{
    RUN(test_arguments_and_options);
    RUN(test_configuration_directives);
    RUN(test_usage_errors);
    RUN(test_unknown_commands);
    RUN(test_help);
    RUN(test_store_opened_when_used);
    RUN(test_table_check);
}
