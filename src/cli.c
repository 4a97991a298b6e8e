/*
 * cli.c: the command table's machinery (cli.h). From the rows alone: which command argv names
 * (the row whose words it starts with), the options (the row's own, then the configuration's
 * directives, which every command takes), the argument count, the store opened once and closed
 * once, and every text the user reads about usage: `--help`, `help COMMAND`, and the usage that
 * follows a usage error. Nothing here knows a command; the rows are in cmd_*.c.
 *
 * The usage of a command is generated, never written by hand: its words, its arguments as the
 * row spells them, then each option as "--name VALUE" (required), "[--name VALUE]",
 * "[--name VALUE]..." (repeatable) or "[--name]" (a switch), and "[--db PATH]" for a command
 * that uses the store, unless it lists --db itself. The README's synopsis is checked against
 * the result (tests/http/cli-help.test.mjs).
 */
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "store.h"
#include "util.h"

#define WIDTH 80         /* help text is wrapped to this many columns */
#define USAGE_INDENT 2   /* a command's usage in --help */
#define USAGE_FOLLOW 4   /* … its continuation lines */
#define SUMMARY_INDENT 8 /* … and its summary */

/* --- Reading the rows ------------------------------------------------------------------------- */

/* How many words a row's words make (they are separated by single spaces). */
static int word_count(const char *words)
{
    int n = 1;
    for (const char *p = words; *p; p++)
        n += *p == ' ';
    return n;
}

/* How many of the row's words argv[0..argc) matches, from the first. */
static int words_matched(const char *words, int argc, char **argv)
{
    int n = 0;
    const char *w = words;
    while (n < argc) {
        size_t len = strcspn(w, " ");
        if (strlen(argv[n]) != len || memcmp(argv[n], w, len) != 0)
            break;
        n++;
        if (!w[len])
            break;
        w += len + 1;
    }
    return n;
}

/* How many positional arguments a row takes: min to max (INT_MAX for a list ending in "X..." or
 * "[X...]"). */
struct arity {
    int min, max;
};

static struct arity arity_of(const char *arguments)
{
    struct arity r = {0, 0};
    const char *p = arguments;
    while (*p) {
        size_t len = strcspn(p, " ");
        r.max++;
        if (*p != '[')
            r.min++;
        if (len >= 3 && !memcmp(p + len - 3, "...", 3))
            r.max = INT_MAX;
        else if (len >= 4 && !memcmp(p + len - 4, "...]", 4))
            r.max = INT_MAX;
        p += len + (p[len] == ' ');
        if (r.max == INT_MAX)
            break;
    }
    return r;
}

/* Writes the name of argument i of arguments (without brackets or dots) into name. The last
 * argument names every one past it when it repeats. */
static void argument_name(const char *arguments, int i, char *name, size_t size)
{
    const char *p = arguments;
    size_t len = strcspn(p, " ");
    for (int k = 0; k < i && p[len]; k++) {
        p += len + 1;
        len = strcspn(p, " ");
    }
    if (*p == '[') { /* "[X]", "[X...]" or "[X]..." */
        p++;
        len--;
    }
    if (len && p[len - 1] == ']')
        len--;
    if (len >= 3 && !memcmp(p + len - 3, "...", 3))
        len -= 3;
    if (len && p[len - 1] == ']')
        len--;
    snprintf(name, size, "%.*s", (int)len, p);
}

/* How many options c has. */
static size_t option_count(const struct cli_command *c)
{
    size_t n = 0;
    while (c->options && c->options[n].name)
        n++;
    return n;
}

/* The index of c's option called name[0..len), or -1. */
static int option_index(const struct cli_command *c, const char *name, size_t len)
{
    for (size_t i = 0; c->options && c->options[i].name; i++)
        if (strlen(c->options[i].name) == len && !memcmp(c->options[i].name, name, len))
            return (int)i;
    return -1;
}

/* --- Writing usage and help --------------------------------------------------------------------
 */

/* Appends fmt and its arguments (as printf) to the heap string *s of *len bytes. */
static void append(char **s, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void append(char **s, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int add = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    *s = xrealloc(*s, *len + (size_t)add + 1);
    va_start(ap, fmt);
    vsnprintf(*s + *len, (size_t)add + 1, fmt, ap);
    va_end(ap);
    *len += (size_t)add;
}

/* c's usage as one line, "plan add SLUG --name NAME [--price 12.99]…" (a heap string the
 * caller frees). */
static char *usage_of(const struct cli_command *c)
{
    char *s = NULL;
    size_t len = 0;
    append(&s, &len, "%s", c->words);
    if (*c->arguments)
        append(&s, &len, " %s", c->arguments);
    for (size_t i = 0; c->options && c->options[i].name; i++) {
        const struct cli_option *o = &c->options[i];
        int required = o->flags & CLI_REQUIRED;
        append(&s, &len, " %s--%s%s%s%s%s", required ? "" : "[", o->name, o->value ? " " : "",
               o->value ? o->value : "", required ? "" : "]",
               o->flags & CLI_REPEATABLE ? "..." : "");
    }
    if ((c->flags & CLI_STORE) && option_index(c, "db", 2) < 0)
        append(&s, &len, " [--db PATH]");
    return s;
}

/* Prints text to out wrapped to WIDTH columns, the first line indented by first (the caller
 * has not written anything on it yet), the rest by follow. A usage (usage set) breaks only at
 * spaces outside brackets and parentheses, so that "[--name NAME]" stays whole. */
static void print_wrapped(FILE *out, const char *text, int first, int follow, int usage)
{
    int column = first, depth = 0, at_start = 1;
    fprintf(out, "%*s", first, "");
    const char *p = text;
    while (*p) {
        /* The next piece: up to a space at depth 0. */
        const char *q = p;
        int d = depth;
        while (*q && !(*q == ' ' && d == 0)) {
            if (usage)
                d += (*q == '[' || *q == '(') - (*q == ']' || *q == ')');
            q++;
        }
        int len = (int)(q - p);
        if (!at_start && column + 1 + len > WIDTH) {
            fprintf(out, "\n%*s", follow, "");
            column = follow;
            at_start = 1;
        }
        if (!at_start) {
            fputc(' ', out);
            column++;
        }
        fwrite(p, 1, (size_t)len, out);
        column += len;
        at_start = 0;
        depth = d;
        p = q;
        while (*p == ' ')
            p++;
    }
    fputc('\n', out);
}

/* Prints "usage: broadsheet " and c's usage, wrapped. */
static void print_command_usage(FILE *out, const struct cli_command *c)
{
    char *usage = usage_of(c);
    char *line = NULL;
    size_t len = 0;
    append(&line, &len, "usage: broadsheet %s", usage);
    print_wrapped(out, line, 0, USAGE_FOLLOW, 1);
    free(line);
    free(usage);
}

/* Prints the usage of every command of tables (with their summaries when summaries is set),
 * a blank line between subjects. Only the commands whose words start with prefix[0..depth)
 * when depth > 0. */
static void print_commands(FILE *out, const struct cli_command *const *tables, int depth,
                           char **prefix, int summaries)
{
    for (size_t t = 0; tables[t]; t++) {
        int shown = 0;
        for (const struct cli_command *c = tables[t]; c->words; c++) {
            if (depth && words_matched(c->words, depth, prefix) < depth)
                continue;
            if (!shown && t > 0 && !depth)
                fputc('\n', out);
            shown = 1;
            char *usage = usage_of(c);
            print_wrapped(out, usage, USAGE_INDENT, USAGE_FOLLOW, 1);
            free(usage);
            if (summaries)
                print_wrapped(out, c->summary, SUMMARY_INDENT, SUMMARY_INDENT, 0);
        }
    }
}

/* The options every command takes (the configuration's), for the end of a help text. */
static void print_configuration(FILE *out)
{
    fputs("\noptions of every command (each also BROADSHEET_NAME in the environment, or\n"
          "`name = value` in the file given by --config or BROADSHEET_CONFIG; flags win over\n"
          "the environment, which wins over the file):\n"
          "  --config FILE          configuration file\n",
          out);
    config_print_help(out);
}

/* `broadsheet --help`: every command with its summary, then the configuration. */
static void print_help(FILE *out, const struct cli_command *const *tables)
{
    fputs("usage: broadsheet COMMAND [ARGUMENTS] [OPTIONS]\n\ncommands:\n", out);
    print_commands(out, tables, 0, NULL, 1);
    fputc('\n', out);
    print_wrapped(out, "help [COMMAND]", USAGE_INDENT, USAGE_FOLLOW, 1);
    print_wrapped(out, "this text, or a command's own (also: broadsheet COMMAND --help)",
                  SUMMARY_INDENT, SUMMARY_INDENT, 0);
    print_configuration(out);
}

/* `broadsheet help COMMAND` and `COMMAND --help`: its usage, its summary, the configuration. */
static void print_command_help(FILE *out, const struct cli_command *c)
{
    print_command_usage(out, c);
    fputc('\n', out);
    print_wrapped(out, c->summary, 0, 0, 0);
    print_configuration(out);
}

/* --- Finding the command ---------------------------------------------------------------------- */

/* The row argv[0..argc) names (the one whose words it starts with), or NULL. */
static const struct cli_command *find_command(const struct cli_command *const *tables, int argc,
                                              char **argv)
{
    for (size_t t = 0; tables[t]; t++)
        for (const struct cli_command *c = tables[t]; c->words; c++)
            if (words_matched(c->words, argc, argv) == word_count(c->words))
                return c;
    return NULL;
}

/* How many of argv's first words some row starts with (0: not even the first). */
static int longest_match(const struct cli_command *const *tables, int argc, char **argv)
{
    int best = 0;
    for (size_t t = 0; tables[t]; t++)
        for (const struct cli_command *c = tables[t]; c->words; c++) {
            int n = words_matched(c->words, argc, argv);
            if (n > best)
                best = n;
        }
    return best;
}

/* For argv naming no command: "unknown command 'x'" and the list of commands, or, when its
 * first depth words name a group ("org range"), "unknown org range command 'x' (add or
 * remove)" and the group's usages; or the group's help for `GROUP --help`. Returns the exit
 * status. */
static int no_such_command(const struct cli_command *const *tables, int argc, char **argv,
                           FILE *out, FILE *err)
{
    int depth = longest_match(tables, argc, argv);
    if (depth == 0) {
        if (argc == 0)
            fprintf(err, "broadsheet: missing command\n");
        else
            fprintf(err, "broadsheet: unknown command '%s'\n", argv[0]);
        fprintf(err, "usage: broadsheet COMMAND [ARGUMENTS] [OPTIONS], where COMMAND is one of:\n");
        print_commands(err, tables, 0, NULL, 0);
        fprintf(err, "(`broadsheet --help` says what each does)\n");
        return CLI_USAGE;
    }
    const char *next = depth < argc ? argv[depth] : "";
    if (!strcmp(next, "--help") || !strcmp(next, "-h")) {
        print_commands(out, tables, depth, argv, 1);
        return 0;
    }
    /* The choices: the rest of each row in the group, "add, range add, list or remove". */
    char *choices = NULL, *group = NULL;
    size_t len = 0, group_len = 0, count = 0, total = 0;
    for (int w = 0; w < depth; w++)
        append(&group, &group_len, "%s%s", w ? " " : "", argv[w]);
    for (size_t t = 0; tables[t]; t++)
        for (const struct cli_command *c = tables[t]; c->words; c++)
            total += words_matched(c->words, depth, argv) == depth;
    for (size_t t = 0; tables[t]; t++)
        for (const struct cli_command *c = tables[t]; c->words; c++) {
            if (words_matched(c->words, depth, argv) != depth)
                continue;
            const char *rest = c->words;
            for (int w = 0; w < depth; w++)
                rest += strcspn(rest, " ") + 1;
            count++;
            append(&choices, &len, "%s%s", count == 1 ? "" : count == total ? " or " : ", ", rest);
        }
    if (*next)
        fprintf(err, "broadsheet: unknown %s command '%s' (%s)\n", group, next, choices);
    else
        fprintf(err, "broadsheet: %s needs a command (%s)\n", group, choices);
    fprintf(err, "usage:\n");
    print_commands(err, tables, depth, argv, 0);
    free(choices);
    free(group);
    return CLI_USAGE;
}

/* --- Parsing a command's options ---------------------------------------------------------------
 */

/* Prints a usage error of the command being parsed. */
__attribute__((format(printf, 2, 3))) int cli_usage_error(const struct cli_call *call,
                                                          const char *fmt, ...)
{
    va_list ap;
    fprintf(call->err, "broadsheet: %s: ", call->command->words);
    va_start(ap, fmt);
    vfprintf(call->err, fmt, ap);
    va_end(ap);
    fputc('\n', call->err);
    print_command_usage(call->err, call->command);
    fprintf(call->err, "(`broadsheet help %s` says more)\n", call->command->words);
    return CLI_USAGE;
}

/* Stores value as the use of repeatable option i: the first use sets the joined string, each
 * further non-empty one appends "\n" and itself (an empty first value stays "": it clears a
 * field). */
static void add_repeated(struct cli_call *call, size_t i, const char *value)
{
    char *joined = call->joined[i];
    if (!joined) {
        joined = xstrdup(value);
    } else if (*value) {
        size_t old = strlen(joined), add = strlen(value);
        joined = xrealloc(joined, old + 1 + add + 1);
        size_t at = old;
        if (old)
            joined[at++] = '\n';
        memcpy(joined + at, value, add + 1);
    }
    call->joined[i] = joined;
    call->values[i] = joined;
}

/* Parses argv[0..argc) (what follows the command's words) into call: options as --name VALUE
 * or --name=VALUE (a switch: --name), the row's options first, then configuration directives;
 * "--" ends the options; anything else is an argument. The configuration file (--config or
 * BROADSHEET_CONFIG) and the environment are applied first so that flags win. Returns 0, 1 when
 * --help was asked for (printed), or CLI_USAGE (printed). */
static int parse(struct cli_call *call, int argc, char **argv)
{
    const struct cli_command *c = call->command;
    char err[512];

    const char *config_file = getenv("BROADSHEET_CONFIG");
    for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            config_file = argv[i + 1];
        else if (!strncmp(argv[i], "--config=", 9))
            config_file = argv[i] + 9;
    }
    if (config_file && *config_file &&
        config_load_file(&call->config, config_file, err, sizeof err) < 0)
        return cli_usage_error(call, "%s", err);
    if (config_load_env(&call->config, err, sizeof err) < 0)
        return cli_usage_error(call, "%s", err);

    for (int i = 0; i < argc; i++) {
        char *arg = argv[i];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            print_command_help(call->out, c);
            return 1;
        }
        if (!strcmp(arg, "--")) {
            while (++i < argc)
                call->arguments[call->argument_count++] = argv[i];
            break;
        }
        if (strncmp(arg, "--", 2) != 0) {
            call->arguments[call->argument_count++] = arg;
            continue;
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        int index = option_index(c, name, len);
        char directive[64];
        snprintf(directive, sizeof directive, "%.*s", (int)len, name);
        int is_config = index >= 0 ? (c->options[index].flags & CLI_CONFIG) != 0
                                   : len < sizeof directive &&
                                         (!strcmp(directive, "config") || config_known(directive));
        if (index < 0 && !is_config)
            return cli_usage_error(call, "unknown option --%.*s", (int)len, name);
        if (index >= 0 && !c->options[index].value) { /* a switch */
            if (eq)
                return cli_usage_error(call, "option --%.*s takes no value", (int)len, name);
            call->values[index] = "";
            continue;
        }
        const char *value;
        if (eq)
            value = eq + 1;
        else if (i + 1 < argc)
            value = argv[++i];
        else
            return cli_usage_error(call, "option --%.*s needs a value", (int)len, name);
        if (is_config) {
            if (!strcmp(directive, "config"))
                continue;
            if (config_set(&call->config, directive, value, err, sizeof err) < 0)
                return cli_usage_error(call, "%s", err);
            if (index < 0)
                continue;
        }
        if (c->options[index].flags & CLI_REPEATABLE)
            add_repeated(call, (size_t)index, value);
        else
            call->values[index] = value;
    }

    struct arity arity = arity_of(c->arguments);
    char name[64];
    if (call->argument_count < arity.min) {
        argument_name(c->arguments, call->argument_count, name, sizeof name);
        return cli_usage_error(call, "missing argument %s", name);
    }
    if (call->argument_count > arity.max) {
        if (arity.max == 0)
            return cli_usage_error(call, "takes no argument '%s'", call->arguments[0]);
        return cli_usage_error(call, "one argument too many ('%s')", call->arguments[arity.max]);
    }
    for (size_t i = 0; c->options && c->options[i].name; i++) {
        const struct cli_option *o = &c->options[i];
        if ((o->flags & CLI_REQUIRED) && !call->values[i])
            return cli_usage_error(call, "needs --%s%s%s", o->name, o->value ? " " : "",
                                   o->value ? o->value : "");
    }
    return 0;
}

const char *cli_value(const struct cli_call *call, const char *name)
{
    int i = option_index(call->command, name, strlen(name));
    if (i < 0) {
        fprintf(stderr, "broadsheet: %s has no option --%s in its table row\n",
                call->command->words, name);
        abort();
    }
    return call->values[i];
}

struct store *cli_store(struct cli_call *call)
{
    if (!(call->command->flags & CLI_STORE)) {
        fprintf(stderr, "broadsheet: %s uses the store without CLI_STORE in its table row\n",
                call->command->words);
        abort();
    }
    if (!call->store) {
        char err[512];
        call->store = store_open(call->config.db, err, sizeof err);
        if (call->store) /* the paywall's split, which the search index follows (store.h) */
            store_search_configure(call->store, call->config.preview_paragraphs);
        if (!call->store) {
            char *shown = store_shown_target(call->config.db); /* never a password */
            fprintf(call->err, "broadsheet: %s: %s\n", shown, err);
            free(shown);
        }
    }
    return call->store;
}

int cli_run(const struct cli_command *const *tables, int argc, char **argv, FILE *out, FILE *err)
{
    /* argv[0] is the program; from here on, the words and what follows them. */
    argc--;
    argv++;
    if (argc == 0)
        return no_such_command(tables, 0, argv, out, err);
    if (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h") ||
        (!strcmp(argv[0], "help") && argc == 1)) {
        print_help(out, tables);
        return 0;
    }
    if (!strcmp(argv[0], "help")) {
        const struct cli_command *c = find_command(tables, argc - 1, argv + 1);
        if (c && word_count(c->words) == argc - 1) {
            print_command_help(out, c);
            return 0;
        }
        if (!c && longest_match(tables, argc - 1, argv + 1) == argc - 1) { /* a group */
            print_commands(out, tables, argc - 1, argv + 1, 1);
            return 0;
        }
        return no_such_command(tables, argc - 1, argv + 1, out, err);
    }

    const struct cli_command *c = find_command(tables, argc, argv);
    if (!c)
        return no_such_command(tables, argc, argv, out, err);
    int words = word_count(c->words);
    size_t options = option_count(c);
    struct cli_call call = {
        .command = c,
        .arguments = xcalloc((size_t)argc + 1, sizeof *call.arguments),
        .values = xcalloc(options + 1, sizeof *call.values),
        .joined = xcalloc(options + 1, sizeof *call.joined),
        .out = out,
        .err = err,
    };
    config_init(&call.config);
    int rc = parse(&call, argc - words, argv + words);
    if (rc == 0)
        rc = c->run(&call);
    else if (rc == 1)
        rc = 0; /* --help */
    if (call.store)
        store_close(call.store);
    for (size_t i = 0; i < options; i++)
        free(call.joined[i]);
    free(call.joined);
    free(call.values);
    free(call.arguments);
    config_free(&call.config);
    return rc;
}

/* --- Checking the table ----------------------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static int problem(char *err, size_t errlen, const char *fmt,
                                                         ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* 0 if arguments is a list cli.c can read: names separated by single spaces, only the last
 * repeating ("X...", "[X...]" or "[X]...") and optional arguments ("[X]") only after the
 * required ones. */
static int arguments_check(const char *arguments)
{
    const char *p = arguments;
    int optional_seen = 0;
    if (*p == ' ')
        return -1;
    while (*p) {
        size_t len = strcspn(p, " ");
        int optional = *p == '[';
        int closed = p[len - 1] == ']' || (len >= 4 && !memcmp(p + len - 4, "]...", 4));
        if (len == 0 || (optional && !closed) || (!optional && optional_seen))
            return -1;
        optional_seen |= optional;
        int repeats = (len >= 3 && !memcmp(p + len - 3, "...", 3)) ||
                      (len >= 4 && !memcmp(p + len - 4, "...]", 4));
        if (repeats && p[len])
            return -1;
        p += len + (p[len] == ' ');
        if (p[-1] == ' ' && !*p)
            return -1;
    }
    return 0;
}

int cli_table_check(const struct cli_command *const *tables, char *err, size_t errlen)
{
    for (size_t t = 0; tables[t]; t++)
        for (const struct cli_command *c = tables[t]; c->words; c++) {
            if (!*c->words || c->words[0] == ' ' || strstr(c->words, "  ") ||
                c->words[strlen(c->words) - 1] == ' ' || c->words[0] == '-')
                return problem(err, errlen, "'%s': words must be separated by single spaces",
                               c->words);
            if (!strcmp(c->words, "help") || !strncmp(c->words, "help ", 5))
                return problem(err, errlen, "'%s': cli_run answers help itself", c->words);
            if (!c->arguments || arguments_check(c->arguments) < 0)
                return problem(err, errlen, "%s: cannot read its arguments '%s'", c->words,
                               c->arguments ? c->arguments : "(null)");
            if (!c->run || !c->summary || !*c->summary)
                return problem(err, errlen, "%s: no function or no summary", c->words);
            for (size_t i = 0; c->options && c->options[i].name; i++) {
                const char *name = c->options[i].name;
                if (!*name || name[0] == '-' || strchr(name, '=') || strchr(name, ' '))
                    return problem(err, errlen, "%s: option '%s' is not a name", c->words, name);
                if (option_index(c, name, strlen(name)) != (int)i)
                    return problem(err, errlen, "%s: option --%s twice", c->words, name);
                if ((c->options[i].flags & (CLI_CONFIG | CLI_REPEATABLE)) && !c->options[i].value)
                    return problem(err, errlen, "%s: option --%s takes a value", c->words, name);
                if ((c->options[i].flags & CLI_CONFIG) && !config_known(name))
                    return problem(err, errlen, "%s: --%s is no configuration directive", c->words,
                                   name);
            }
            /* No row's words may start another's: the shorter would always be found first. */
            for (size_t u = 0; tables[u]; u++)
                for (const struct cli_command *d = tables[u]; d->words; d++) {
                    if (d == c)
                        continue;
                    size_t n = strlen(c->words);
                    if (!strncmp(d->words, c->words, n) && (d->words[n] == ' ' || !d->words[n]))
                        return problem(err, errlen, "'%s' is also the start of '%s'", c->words,
                                       d->words);
                }
        }
    return 0;
}
