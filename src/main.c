/*
 * main.c: the `broadsheet` command: option parsing, configuration, and the subcommands
 * (serve, init, article import, article list). Each subcommand is a function taking the parsed
 * configuration; the serve loop itself lives in server.c.
 *
 * Exit status: 0 on success, 1 when the work failed (a broken import, an unreadable database),
 * 2 for a usage error (unknown command or option, bad value), which also prints the usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "arena.h"
#include "auth.h"
#include "config.h"
#include "demo.h"
#include "import.h"
#include "server.h"
#include "store.h"
#include "util.h"

#define EXIT_USAGE 2

static const char usage_text[] =
    "usage: broadsheet COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  serve [--address A] [--port N] [--db PATH] [--theme DIR] [--demo]\n"
    "                         run the web server (--demo seeds the demo newsroom into an\n"
    "                         empty database)\n"
    "  init [--db PATH] [--demo]\n"
    "                         create or upgrade the database (and seed the demo newsroom)\n"
    "  article import [--db PATH] FILE.md...\n"
    "                         import articles (Markdown with a front-matter header); all the\n"
    "                         files in one transaction: all or nothing\n"
    "  article list [--db PATH]\n"
    "                         list articles, newest first\n"
    "  user add EMAIL [--name NAME] [--role reader|writer|editor|admin] [--db PATH]\n"
    "                         create an account (staff or reader); the password is read\n"
    "                         from the terminal, or from the first line of standard input\n"
    "  user role EMAIL ROLE [--db PATH]\n"
    "                         change an account's role (its sessions end)\n"
    "  user list [--db PATH]  list accounts\n"
    "  help                   this text\n"
    "\n"
    "options (each also BROADSHEET_NAME in the environment, or `name = value` in the file\n"
    "given by --config or BROADSHEET_CONFIG; flags win over the environment, which wins over\n"
    "the file):\n"
    "  --config FILE          configuration file\n"
    "  --demo                 seed the demo newsroom into an empty database\n"
    "  --name NAME, --role ROLE  for user add\n";

/* Prints the usage to out. */
static void print_usage(FILE *out)
{
    fputs(usage_text, out);
    config_print_help(out);
}

/* A one-line error and the usage on stderr; returns EXIT_USAGE for the caller to exit with. */
static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "broadsheet: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    print_usage(stderr);
    return EXIT_USAGE;
}

/* Parsed command line: the configuration plus the flags that are not directives. */
struct options {
    struct config config;
    int demo;          /* --demo */
    const char *name;  /* --name (user add) */
    const char *role;  /* --role (user add) */
    char **arguments;  /* positional arguments after the command words */
    int argument_count;
};

/* Parses argv[first..] into o: directives as --name VALUE or --name=VALUE, --config, --demo,
 * --help. Applies the config file and environment first so flags win. Returns 0, 1 if --help
 * was printed, or EXIT_USAGE after printing the error. */
static int parse_options(int argc, char **argv, int first, struct options *o)
{
    char err[512];
    memset(o, 0, sizeof *o);
    config_init(&o->config);
    o->arguments = xcalloc((size_t)argc + 1, sizeof *o->arguments);

    /* The config file comes first (lowest precedence after the defaults). */
    const char *config_file = getenv("BROADSHEET_CONFIG");
    for (int i = first; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            config_file = argv[i + 1];
        else if (!strncmp(argv[i], "--config=", 9))
            config_file = argv[i] + 9;
    }
    if (config_file && *config_file && config_load_file(&o->config, config_file, err, sizeof err) < 0)
        return usage_error("%s", err);
    if (config_load_env(&o->config, err, sizeof err) < 0)
        return usage_error("%s", err);

    for (int i = first; i < argc; i++) {
        char *arg = argv[i];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            print_usage(stdout);
            return 1;
        }
        if (!strcmp(arg, "--demo")) {
            o->demo = 1;
            continue;
        }
        if ((!strcmp(arg, "--name") || !strcmp(arg, "--role"))) {
            if (i + 1 >= argc)
                return usage_error("option '%s' needs a value", arg);
            if (arg[2] == 'n')
                o->name = argv[++i];
            else
                o->role = argv[++i];
            continue;
        }
        if (!strcmp(arg, "--")) {
            while (++i < argc)
                o->arguments[o->argument_count++] = argv[i];
            break;
        }
        if (strncmp(arg, "--", 2) != 0) {
            o->arguments[o->argument_count++] = arg;
            continue;
        }
        char name[64];
        const char *value = NULL;
        const char *eq = strchr(arg + 2, '=');
        size_t name_len = eq ? (size_t)(eq - (arg + 2)) : strlen(arg + 2);
        if (name_len >= sizeof name)
            return usage_error("unknown option '%s'", arg);
        memcpy(name, arg + 2, name_len);
        name[name_len] = '\0';
        if (strcmp(name, "config") != 0 && !config_known(name))
            return usage_error("unknown option '%s'", arg);
        if (eq) {
            value = eq + 1;
        } else {
            if (i + 1 >= argc)
                return usage_error("option '%s' needs a value", arg);
            value = argv[++i];
        }
        if (!strcmp(name, "config"))
            continue;
        if (config_set(&o->config, name, value, err, sizeof err) < 0)
            return usage_error("%s", err);
    }
    return 0;
}

static void free_options(struct options *o)
{
    config_free(&o->config);
    free(o->arguments);
}

/* Opens the database named by the configuration, creating its directory's file if needed.
 * Prints why and returns NULL on failure. */
static struct store *open_store(const struct config *c)
{
    char err[512];
    struct store *st = store_open(c->db, err, sizeof err);
    if (!st)
        fprintf(stderr, "broadsheet: %s: %s\n", c->db, err);
    return st;
}

/* Seeds the demo newsroom when the database is empty. Returns 0 or -1 (printed). */
static int seed_demo(struct store *st, const struct config *c)
{
    int empty = store_is_empty(st);
    if (empty == 0)
        return 0;
    if (empty < 0) {
        fprintf(stderr, "broadsheet: cannot read the database %s\n", c->db);
        return -1;
    }
    char err[1024];
    if (demo_seed(st, c->demo_dir, err, sizeof err) < 0) {
        fprintf(stderr, "broadsheet: demo: %s\n", err);
        return -1;
    }
    fprintf(stderr, "broadsheet: seeded the demo newsroom from %s\n", c->demo_dir);
    return 0;
}

static int command_serve(struct options *o)
{
    if (o->argument_count)
        return usage_error("serve takes no argument '%s'", o->arguments[0]);
    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    int rc = 1;
    if (o->demo && seed_demo(st, &o->config) < 0)
        goto out;
    rc = server_run(&o->config, st) < 0 ? 1 : 0;
out:
    store_close(st);
    return rc;
}

static int command_init(struct options *o)
{
    if (o->argument_count)
        return usage_error("init takes no argument '%s'", o->arguments[0]);
    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    int rc = (o->demo && seed_demo(st, &o->config) < 0) ? 1 : 0;
    if (rc == 0)
        printf("database ready: %s\n", o->config.db);
    store_close(st);
    return rc;
}

static int command_article_import(struct options *o)
{
    if (o->argument_count == 0)
        return usage_error("%s", "article import needs at least one FILE.md");
    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    char err[1024];
    int rc = 0;
    if (import_files(st, o->arguments, o->argument_count, err, sizeof err) < 0) {
        fprintf(stderr, "broadsheet: %s\n", err);
        fprintf(stderr, "broadsheet: nothing was imported\n");
        rc = 1;
    } else {
        printf("imported %d article%s\n", o->argument_count, o->argument_count == 1 ? "" : "s");
    }
    store_close(st);
    return rc;
}

static int command_article_list(struct options *o)
{
    if (o->argument_count)
        return usage_error("article list takes no argument '%s'", o->arguments[0]);
    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    int rc = 0;
    struct article_query q = {.limit = 1000};
    struct article *list;
    size_t n;
    if (store_articles_latest(st, a, &q, &list, &n) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot list articles\n");
        rc = 1;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        char date[32];
        time_t t = (time_t)list[i].published_at;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(date, sizeof date, "%Y-%m-%d %H:%M", &tm);
        printf("%s  %-11s  %-8s  %-24s  %s\n", date, store_access_name(list[i].access),
               list[i].publication.slug, list[i].section.slug, list[i].slug);
        printf("    %s\n", list[i].headline);
    }
    printf("%zu article%s\n", n, n == 1 ? "" : "s");
out:
    arena_free(a);
    store_close(st);
    return rc;
}

/* Reads the new account's password: from the terminal without echo, or the first line of
 * standard input. Returns a heap string or NULL. */
static char *read_password(void)
{
    if (isatty(STDIN_FILENO)) {
        char *first = getpass("Password (at least 10 characters): ");
        if (!first)
            return NULL;
        char *copy = xstrdup(first);
        char *again = getpass("Again: ");
        if (!again || strcmp(copy, again) != 0) {
            sodium_memzero(copy, strlen(copy));
            free(copy);
            fprintf(stderr, "broadsheet: the passwords differ\n");
            return NULL;
        }
        return copy;
    }
    char line[1024];
    if (!fgets(line, sizeof line, stdin))
        return NULL;
    line[strcspn(line, "\r\n")] = '\0';
    char *copy = xstrdup(line);
    sodium_memzero(line, sizeof line);
    return copy;
}

static int command_user_add(struct options *o)
{
    if (o->argument_count != 1)
        return usage_error("%s", "user add needs one EMAIL");
    const char *email = o->arguments[0];
    int role = o->role ? store_role_parse(o->role) : ROLE_READER;
    if (role < 0)
        return usage_error("unknown role '%s' (reader, writer, editor or admin)", o->role);
    if (!auth_email_valid(email))
        return usage_error("'%s' is not a valid email address", email);
    const char *name = o->name ? o->name : email;
    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    int rc = 1;
    char *password = read_password();
    char hash[AUTH_HASH_BYTES];
    const char *problem;
    if (!password) {
        fprintf(stderr, "broadsheet: no password given\n");
        goto out;
    }
    if ((problem = auth_password_problem(password, email, name))) {
        fprintf(stderr, "broadsheet: %s\n", problem);
        goto out;
    }
    if (auth_init(1) < 0 || auth_password_hash(password, hash) < 0) {
        fprintf(stderr, "broadsheet: cannot hash the password\n");
        goto out;
    }
    struct arena *a = arena_new(0);
    int64_t id;
    int status = store_user_create(st, auth_email_normalize(a, email), name, hash,
                                   (enum role)role, &id);
    arena_free(a);
    if (status == STORE_CONFLICT) {
        fprintf(stderr, "broadsheet: an account with %s already exists\n", email);
        goto out;
    }
    if (status != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot create the account\n");
        goto out;
    }
    /* Created by the operator: the address counts as verified. */
    store_user_mark_verified(st, id, util_now());
    printf("created %s account %s\n", store_role_name((enum role)role), email);
    rc = 0;
out:
    if (password) {
        sodium_memzero(password, strlen(password));
        free(password);
    }
    store_close(st);
    return rc;
}

static int command_user_role(struct options *o)
{
    if (o->argument_count != 2)
        return usage_error("%s", "user role needs EMAIL and ROLE");
    int role = store_role_parse(o->arguments[1]);
    if (role < 0)
        return usage_error("unknown role '%s' (reader, writer, editor or admin)",
                           o->arguments[1]);
    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    struct user u;
    int rc = 1;
    if (store_user_by_email(st, a, o->arguments[0], &u) != STORE_OK) {
        fprintf(stderr, "broadsheet: no account %s\n", o->arguments[0]);
        goto out;
    }
    /* A privilege change ends the account's sessions: it signs in again with a new token. */
    if (store_user_set_role(st, u.id, (enum role)role) != STORE_OK ||
        store_session_delete_for_user(st, u.id, 0) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot change the role\n");
        goto out;
    }
    printf("%s is now %s\n", u.email, store_role_name((enum role)role));
    rc = 0;
out:
    arena_free(a);
    store_close(st);
    return rc;
}

static int command_user_list(struct options *o)
{
    if (o->argument_count)
        return usage_error("user list takes no argument '%s'", o->arguments[0]);
    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    struct user *users;
    size_t n;
    int rc = 0;
    if (store_users(st, a, &users, &n) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot list accounts\n");
        rc = 1;
    } else {
        for (size_t i = 0; i < n; i++)
            printf("%-7s %-9s %s  %s\n", store_role_name(users[i].role),
                   users[i].email_verified_at ? "verified" : "unverified", users[i].email,
                   users[i].display_name);
        printf("%zu account%s\n", n, n == 1 ? "" : "s");
    }
    arena_free(a);
    store_close(st);
    return rc;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* Test harnesses ask the server to die with them, so no server outlives its test. */
    const char *die = getenv("BROADSHEET_DIE_WITH_PARENT");
    if (die && *die == '1')
        prctl(PR_SET_PDEATHSIG, SIGTERM);

    if (argc < 2)
        return usage_error("%s", "missing command");
    const char *command = argv[1];
    if (!strcmp(command, "help") || !strcmp(command, "--help") || !strcmp(command, "-h")) {
        print_usage(stdout);
        return 0;
    }

    int (*run)(struct options *) = NULL;
    int first = 2;
    if (!strcmp(command, "serve")) {
        run = command_serve;
    } else if (!strcmp(command, "init")) {
        run = command_init;
    } else if (!strcmp(command, "article")) {
        const char *sub = argc > 2 ? argv[2] : "";
        first = 3;
        if (!strcmp(sub, "import"))
            run = command_article_import;
        else if (!strcmp(sub, "list"))
            run = command_article_list;
        else if (!strcmp(sub, "--help")) {
            print_usage(stdout);
            return 0;
        } else
            return usage_error("unknown article command '%s' (import or list)", sub);
    } else if (!strcmp(command, "user")) {
        const char *sub = argc > 2 ? argv[2] : "";
        first = 3;
        if (!strcmp(sub, "add"))
            run = command_user_add;
        else if (!strcmp(sub, "role"))
            run = command_user_role;
        else if (!strcmp(sub, "list"))
            run = command_user_list;
        else
            return usage_error("unknown user command '%s' (add, role or list)", sub);
    } else {
        return usage_error("unknown command '%s'", command);
    }

    struct options o;
    int rc = parse_options(argc, argv, first, &o);
    if (rc == 0)
        rc = run(&o);
    else if (rc == 1)
        rc = 0; /* --help */
    free_options(&o);
    return rc;
}
