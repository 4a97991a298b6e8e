/*
 * main.c: the `broadsheet` command: option parsing, configuration, and the subcommands
 * (serve, init, article import/list, user add/role/list, and the paywall's operator commands:
 * publication and section access/list, plan, subscription and org; advertising: ads campaign,
 * ads creative and ads report). Each subcommand is a function
 * taking the parsed options, found through the static table `commands`; the serve loop itself lives
 * in server.c.
 *
 * Exit status: 0 on success, 1 when the work failed (a broken import, an unreadable database,
 * an account or plan that does not exist), 2 for a usage error (unknown command or option, bad
 * value), which also prints the usage.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "access.h"
#include "account.h"
#include "ads.h"
#include "arena.h"
#include "auth.h"
#include "cidr.h"
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
    "  article import [FILE.md|DIR]... [--files-from LIST|-] [--batch N] [--skip N]\n"
    "           [--db PATH]\n"
    "                         import articles (Markdown with a front-matter header): the files\n"
    "                         named, the .md files under each DIR (recursively, in name order),\n"
    "                         and the paths in LIST, one a line (-: standard input); every file\n"
    "                         is checked before any is written, then all are written in one\n"
    "                         transaction: all or nothing; --batch N commits every N files,\n"
    "                         and after a failure says which --skip resumes the import;\n"
    "                         --skip N leaves out the first N files listed\n"
    "  article list [--db PATH]\n"
    "                         list articles, newest first\n"
    "  publication access SLUG free|metered|subscribers|inherit [--db PATH]\n"
    "                         set the access level the publication's articles get when their\n"
    "                         file has no access: line (inherit: metered, unless the section\n"
    "                         sets one); read at import: articles already imported keep their\n"
    "                         level until their files are imported again\n"
    "  publication list [--db PATH]\n"
    "                         list publications with their default access\n"
    "  section access SLUG free|metered|subscribers|inherit [--db PATH]\n"
    "                         the same for a section's articles; a section's default wins over\n"
    "                         its publication's (inherit: the publication's, else metered)\n"
    "  section list [--db PATH]\n"
    "                         list sections with their default access\n"
    "  user add EMAIL [--name NAME] [--role reader|writer|editor|admin] [--db PATH]\n"
    "                         create an account (staff or reader); the password is read\n"
    "                         from the terminal, or from the first line of standard input\n"
    "  user role EMAIL ROLE [--db PATH]\n"
    "                         change an account's role (its sessions end)\n"
    "  user list [--db PATH]  list accounts\n"
    "\n"
    "  plan add SLUG --name NAME --period month|year|contact [--price 12.99]\n"
    "           [--currency USD] [--description TEXT] [--benefit TEXT]... [--position N]\n"
    "           [--stripe-price price_...] [--db PATH]\n"
    "                         create or update (by SLUG) a plan on the offers page; month and\n"
    "                         year plans need a price, contact plans (\"contact us\") have none;\n"
    "                         each --benefit is one line of the plan's list; options left out\n"
    "                         keep an existing plan's values; a new plan goes last unless\n"
    "                         --position says otherwise\n"
    "  plan list [--db PATH]  list the plans in offer order\n"
    "  plan remove SLUG [--db PATH]\n"
    "                         delete a plan (subscriptions to it are kept)\n"
    "  subscription grant EMAIL --plan SLUG --until YYYY-MM-DD [--db PATH]\n"
    "                         give an account a subscription to a plan until the end of that\n"
    "                         day (UTC); replaces the account's earlier grant\n"
    "  subscription revoke EMAIL [--db PATH]\n"
    "                         end the subscription granted to an account, now\n"
    "  subscription list [--db PATH]\n"
    "                         list each account's subscription: email, plan, status, until,\n"
    "                         source (admin or stripe)\n"
    "  org add SLUG --name NAME [--until YYYY-MM-DD] [--db PATH]\n"
    "                         create or update an organisation: readers at its addresses read\n"
    "                         everything until the end of that day (UTC; no --until: no end),\n"
    "                         and see \"Access provided by NAME\"\n"
    "  org range add SLUG CIDR [--db PATH]\n"
    "                         add an address range to an organisation: IPv4 or IPv6,\n"
    "                         \"192.0.2.0/24\", \"2001:db8::/32\", or one address\n"
    "  org range remove SLUG CIDR [--db PATH]\n"
    "                         remove an address range\n"
    "  org list [--db PATH]   list organisations with their ranges\n"
    "  org remove SLUG [--db PATH]\n"
    "                         delete an organisation and its ranges\n"
    "\n"
    "  ads campaign add SLUG --name NAME --start YYYY-MM-DD --end YYYY-MM-DD [--weight N]\n"
    "           [--publication SLUG] [--section SLUG] [--db PATH]\n"
    "                         create or update (by SLUG) an ad campaign, running from the\n"
    "                         start of --start to the end of --end (UTC); --weight (1 to\n"
    "                         1000000, default 1) is its share among the campaigns that could\n"
    "                         fill the same slot; --publication and --section target it (\"\"\n"
    "                         or left out: any); options left out keep an existing campaign's\n"
    "                         values\n"
    "  ads campaign list [--db PATH]\n"
    "                         list campaigns: dates, state, weight, targeting, creatives\n"
    "  ads campaign remove SLUG [--db PATH]\n"
    "                         delete a campaign with its creatives and their counts\n"
    "  ads creative add CAMPAIGN --placement interstitial|leaderboard|in-article|sidebar\n"
    "           (--image FILE --alt TEXT --url URL | --html-file FILE) [--width W --height H]\n"
    "           [--uploads DIR] [--db PATH]\n"
    "                         add a creative to a campaign: an image (PNG, JPEG, GIF, WebP or\n"
    "                         SVG, at most 2 MiB, copied into the uploads directory) with its\n"
    "                         text alternative and the http(s) address a click leads to; or\n"
    "                         an HTML ad tag (a Google Ad Manager tag, say), which runs in a\n"
    "                         sandboxed frame; the size is the image's own, or the\n"
    "                         placement's usual one for a tag, unless given\n"
    "  ads creative list [--db PATH]\n"
    "                         list creatives with their campaigns\n"
    "  ads creative remove ID [--db PATH]\n"
    "                         delete a creative and its counts\n"
    "  ads report [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--db PATH]\n"
    "                         impressions, clicks and click-through rate per creative per day\n"
    "                         (UTC); a running server writes its counts to the database every\n"
    "                         few seconds, so the last seconds' may not be in yet\n"
    "\n"
    "  help                   this text\n"
    "\n"
    "A running server picks up plan, organisation and ad campaign changes made by these\n"
    "commands.\n"
    "\n"
    "options (each also BROADSHEET_NAME in the environment, or `name = value` in the file\n"
    "given by --config or BROADSHEET_CONFIG; flags win over the environment, which wins over\n"
    "the file):\n"
    "  --config FILE          configuration file\n"
    "  --demo                 seed the demo newsroom into an empty database\n";

/* Prints the usage to out. */
static void print_usage(FILE *out)
{
    fputs(usage_text, out);
    config_print_help(out);
}

/* A one-line error (fmt and its arguments, as printf) and the usage on stderr; returns
 * EXIT_USAGE for the caller to exit with. */
__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "broadsheet: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    print_usage(stderr);
    return EXIT_USAGE;
}

/* Parsed command line: the configuration plus the flags that are not directives. */
struct options {
    struct config config;
    int demo;                 /* --demo */
    const char *name;         /* --name (user add, plan add, org add) */
    const char *role;         /* --role (user add) */
    const char *period;       /* --period (plan add) */
    const char *price;        /* --price, as typed (plan add) */
    const char *currency;     /* --currency (plan add) */
    const char *description;  /* --description (plan add) */
    char *benefits;           /* every --benefit, joined by "\n"; heap, freed by free_options */
    const char *position;     /* --position, as typed (plan add) */
    const char *stripe_price; /* --stripe-price (plan add) */
    const char *plan;         /* --plan (subscription grant) */
    const char *until;        /* --until YYYY-MM-DD (subscription grant, org add) */
    const char *start;        /* --start YYYY-MM-DD (ads campaign add) */
    const char *end;          /* --end YYYY-MM-DD (ads campaign add) */
    const char *weight;       /* --weight, as typed (ads campaign add) */
    const char *publication;  /* --publication SLUG (ads campaign add) */
    const char *section;      /* --section SLUG (ads campaign add) */
    const char *placement;    /* --placement (ads creative add) */
    const char *image;        /* --image FILE (ads creative add) */
    const char *alt;          /* --alt TEXT (ads creative add) */
    const char *url;          /* --url URL (ads creative add) */
    const char *html_file;    /* --html-file FILE (ads creative add) */
    const char *width;        /* --width, as typed (ads creative add) */
    const char *height;       /* --height, as typed (ads creative add) */
    const char *from;         /* --from YYYY-MM-DD (ads report) */
    const char *to;           /* --to YYYY-MM-DD (ads report) */
    const char *files_from;   /* --files-from LIST or - (article import) */
    const char *batch;        /* --batch, as typed (article import) */
    const char *skip;         /* --skip, as typed (article import) */
    char **arguments;         /* positional arguments after the command words */
    int argument_count;
};

/* The flags of single commands, as opposed to configuration directives (which every command
 * takes). Each sets one member of struct options; a command accepts only the flags in its entry
 * of `commands` (a mask of these bits), so `--price` on `org add` is a usage error rather than
 * silently ignored. Values are argv's strings, except a repeatable flag's, which is joined onto
 * the heap. */
enum {
    FLAG_NAME = 1u << 0,
    FLAG_ROLE = 1u << 1,
    FLAG_PERIOD = 1u << 2,
    FLAG_PRICE = 1u << 3,
    FLAG_CURRENCY = 1u << 4,
    FLAG_DESCRIPTION = 1u << 5,
    FLAG_BENEFIT = 1u << 6,
    FLAG_POSITION = 1u << 7,
    FLAG_STRIPE_PRICE = 1u << 8,
    FLAG_PLAN = 1u << 9,
    FLAG_UNTIL = 1u << 10,
    FLAG_START = 1u << 11,
    FLAG_END = 1u << 12,
    FLAG_WEIGHT = 1u << 13,
    FLAG_PUBLICATION = 1u << 14,
    FLAG_SECTION = 1u << 15,
    FLAG_PLACEMENT = 1u << 16,
    FLAG_IMAGE = 1u << 17,
    FLAG_ALT = 1u << 18,
    FLAG_URL = 1u << 19,
    FLAG_HTML_FILE = 1u << 20,
    FLAG_WIDTH = 1u << 21,
    FLAG_HEIGHT = 1u << 22,
    FLAG_FROM = 1u << 23,
    FLAG_TO = 1u << 24,
    FLAG_FILES_FROM = 1u << 25,
    FLAG_BATCH = 1u << 26,
    FLAG_SKIP = 1u << 27,
};

static const struct command_flag {
    const char *name; /* without the leading "--" */
    unsigned bit;
    size_t offset;  /* of the member of struct options it sets (a char pointer) */
    int repeatable; /* 1: every use adds a line to a heap string (--benefit) */
} command_flags[] = {
    {"name", FLAG_NAME, offsetof(struct options, name), 0},
    {"role", FLAG_ROLE, offsetof(struct options, role), 0},
    {"period", FLAG_PERIOD, offsetof(struct options, period), 0},
    {"price", FLAG_PRICE, offsetof(struct options, price), 0},
    {"currency", FLAG_CURRENCY, offsetof(struct options, currency), 0},
    {"description", FLAG_DESCRIPTION, offsetof(struct options, description), 0},
    {"benefit", FLAG_BENEFIT, offsetof(struct options, benefits), 1},
    {"position", FLAG_POSITION, offsetof(struct options, position), 0},
    {"stripe-price", FLAG_STRIPE_PRICE, offsetof(struct options, stripe_price), 0},
    {"plan", FLAG_PLAN, offsetof(struct options, plan), 0},
    {"until", FLAG_UNTIL, offsetof(struct options, until), 0},
    {"start", FLAG_START, offsetof(struct options, start), 0},
    {"end", FLAG_END, offsetof(struct options, end), 0},
    {"weight", FLAG_WEIGHT, offsetof(struct options, weight), 0},
    {"publication", FLAG_PUBLICATION, offsetof(struct options, publication), 0},
    {"section", FLAG_SECTION, offsetof(struct options, section), 0},
    {"placement", FLAG_PLACEMENT, offsetof(struct options, placement), 0},
    {"image", FLAG_IMAGE, offsetof(struct options, image), 0},
    {"alt", FLAG_ALT, offsetof(struct options, alt), 0},
    {"url", FLAG_URL, offsetof(struct options, url), 0},
    {"html-file", FLAG_HTML_FILE, offsetof(struct options, html_file), 0},
    {"width", FLAG_WIDTH, offsetof(struct options, width), 0},
    {"height", FLAG_HEIGHT, offsetof(struct options, height), 0},
    {"from", FLAG_FROM, offsetof(struct options, from), 0},
    {"to", FLAG_TO, offsetof(struct options, to), 0},
    {"files-from", FLAG_FILES_FROM, offsetof(struct options, files_from), 0},
    {"batch", FLAG_BATCH, offsetof(struct options, batch), 0},
    {"skip", FLAG_SKIP, offsetof(struct options, skip), 0},
};

/* The command flag called name[0..len), or NULL. */
static const struct command_flag *find_command_flag(const char *name, size_t len)
{
    for (size_t i = 0; i < ARRAY_LEN(command_flags); i++)
        if (strlen(command_flags[i].name) == len && !memcmp(command_flags[i].name, name, len))
            return &command_flags[i];
    return NULL;
}

/* Stores value for flag f in o. A repeatable flag keeps its earlier values: the first use sets
 * the heap string, each further non-empty one appends "\n" and itself (an empty first value
 * stays "", which clears the field). */
static void set_command_flag(struct options *o, const struct command_flag *f, const char *value)
{
    char *slot = (char *)o + f->offset;
    if (!f->repeatable) {
        *(const char **)(void *)slot = value;
        return;
    }
    char **joined = (char **)(void *)slot;
    if (!*joined) {
        *joined = xstrdup(value);
    } else if (*value) {
        size_t old = strlen(*joined), add = strlen(value);
        char *grown = xmalloc(old + 1 + add + 1);
        memcpy(grown, *joined, old);
        size_t at = old;
        if (old)
            grown[at++] = '\n';
        memcpy(grown + at, value, add + 1);
        free(*joined);
        *joined = grown;
    }
}

/* Parses argv[first..] into o: directives as --name VALUE or --name=VALUE, --config, --demo,
 * --help, and the command flags in the mask `accepted` (command_flags, same two forms). Applies
 * the config file and environment first so flags win. Returns 0, 1 if --help was printed, or
 * EXIT_USAGE after printing the error. */
static int parse_options(int argc, char **argv, int first, unsigned accepted, struct options *o)
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
    if (config_file && *config_file &&
        config_load_file(&o->config, config_file, err, sizeof err) < 0)
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
        const struct command_flag *flag = find_command_flag(name, name_len);
        if (flag && !(accepted & flag->bit))
            return usage_error("option '--%s' does not apply to this command", name);
        if (!flag && strcmp(name, "config") != 0 && !config_known(name))
            return usage_error("unknown option '%s'", arg);
        if (eq) {
            value = eq + 1;
        } else {
            if (i + 1 >= argc)
                return usage_error("option '--%s' needs a value", name);
            value = argv[++i];
        }
        if (flag) {
            set_command_flag(o, flag, value);
            continue;
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
    free(o->benefits);
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

/* Seeds the house ad campaigns when the database has no campaign at all: a fresh demo, or a
 * demo database made before advertising existed (so `make run` shows the ads either way).
 * Returns 0 or -1 (printed). */
static int seed_demo_ads(struct store *st, const struct config *c)
{
    struct arena *a = arena_new(0);
    struct campaign *campaigns;
    size_t n;
    char err[1024];
    int rc = -1;
    if (store_campaigns(st, a, &campaigns, &n) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot read the ad campaigns of %s\n", c->db);
        goto out;
    }
    if (n == 0 && demo_seed_ads(st, c->demo_dir, c->uploads, err, sizeof err) < 0) {
        fprintf(stderr, "broadsheet: demo: %s\n", err);
        goto out;
    }
    rc = 0;
out:
    arena_free(a);
    return rc;
}

/* Seeds the demo newsroom when the database is empty, and its house ad campaigns when it has
 * none. Returns 0 or -1 (printed). */
static int seed_demo(struct store *st, const struct config *c)
{
    int empty = store_is_empty(st);
    if (empty < 0) {
        fprintf(stderr, "broadsheet: cannot read the database %s\n", c->db);
        return -1;
    }
    if (empty) {
        char err[1024];
        if (demo_seed(st, c->demo_dir, err, sizeof err) < 0) {
            fprintf(stderr, "broadsheet: demo: %s\n", err);
            return -1;
        }
        fprintf(stderr, "broadsheet: seeded the demo newsroom from %s\n", c->demo_dir);
    }
    return seed_demo_ads(st, c);
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

static int parse_whole(const char *text, long min, long max, long *out);

/* Lists the files (arguments, then --files-from), checks them all, then writes them: in one
 * transaction, or --batch N at a time, from the --skip'th on (import.h). A progress line goes
 * to stderr only when it is a terminal. After a failure (or Ctrl-C) with batches committed, says
 * which --skip resumes the import. */
static int command_article_import(struct options *o)
{
    struct import_options options = {.progress = isatty(STDERR_FILENO) ? stderr : NULL,
                                     .interruptible = 1};
    struct import_result result = {0};
    long value;
    if (o->argument_count == 0 && !o->files_from)
        return usage_error("%s", "article import needs a FILE.md, a DIR or --files-from LIST");
    if (o->batch && parse_whole(o->batch, 1, LONG_MAX, &value) < 0)
        return usage_error("--batch '%s' is not a number of files (1 or more)", o->batch);
    options.batch = o->batch ? value : 0;
    if (o->skip && parse_whole(o->skip, 0, LONG_MAX, &value) < 0)
        return usage_error("--skip '%s' is not a number of files (0 or more)", o->skip);
    options.skip = o->skip ? value : 0;

    char err[1024];
    int rc = 1;
    struct store *st = NULL;
    struct import_list *l = import_list_new(err, sizeof err);
    if (!l)
        goto fail;
    for (int i = 0; i < o->argument_count; i++)
        if (import_list_add(l, o->arguments[i], err, sizeof err) < 0)
            goto fail;
    if (o->files_from && import_list_add_from(l, o->files_from, err, sizeof err) < 0)
        goto fail;
    if (!(st = open_store(&o->config)))
        goto out;
    if (import_run(st, l, &options, &result, err, sizeof err) < 0)
        goto fail;
    printf("imported %lld article%s", (long long)result.imported, result.imported == 1 ? "" : "s");
    if (options.skip)
        printf(" (after skipping the first %lld listed)", (long long)options.skip);
    printf("\n");
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "broadsheet: %s\n", err);
    if (result.resume_at > options.skip && l && import_list_count(l) > result.resume_at)
        fprintf(stderr, "broadsheet: imported %lld files; resume with --skip %lld\n",
                (long long)(result.resume_at - options.skip), (long long)result.resume_at);
    else
        fprintf(stderr, "broadsheet: nothing was imported\n");
out:
    import_list_free(l);
    if (st)
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
    /* Checked as the web forms check them: what is stored here is shown to readers, and a name
     * that is not UTF-8 cannot be put in a page (jansson refuses it). */
    const char *problem = account_email_problem(email);
    if (problem)
        return usage_error("%s: %s", email, problem);
    struct arena *a = arena_new(0);
    const char *name = o->name ? account_trim_arena(a, o->name) : email;
    if (!o->name && strlen(name) > ACCOUNT_NAME_MAX) /* default: the address, or its local part */
        name = arena_strndup(a, email, strcspn(email, "@"));
    if ((problem = account_name_problem(name))) {
        arena_free(a);
        return usage_error("--name: %s", problem);
    }
    struct store *st = open_store(&o->config);
    if (!st) {
        arena_free(a);
        return 1;
    }
    int rc = 1;
    char *password = read_password();
    char hash[AUTH_HASH_BYTES];
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
    int64_t id;
    int status =
        store_user_create(st, auth_email_normalize(a, email), name, hash, (enum role)role, &id);
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
    arena_free(a);
    store_close(st);
    return rc;
}

static int command_user_role(struct options *o)
{
    if (o->argument_count != 2)
        return usage_error("%s", "user role needs EMAIL and ROLE");
    int role = store_role_parse(o->arguments[1]);
    if (role < 0)
        return usage_error("unknown role '%s' (reader, writer, editor or admin)", o->arguments[1]);
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

/* --- Default access levels: publication access/list, section access/list ---------------------
 *
 * A publication's or a section's default access is the level its articles get at import when
 * their file has no `access:` line (import.h). It is read at import and stored in each article,
 * so changing it changes no article already imported: their files must be imported again. */

/* The default_access text for the operator: "inherit" for "". */
static const char *default_access_shown(const char *level)
{
    return *level ? level : "inherit";
}

/* publication access and section access: `section` says which. */
static int default_access_change(struct options *o, int section)
{
    const char *kind = section ? "section" : "publication";
    if (o->argument_count != 2)
        return usage_error("%s access needs SLUG and LEVEL", kind);
    const char *slug = o->arguments[0], *level = o->arguments[1];
    if (!strcmp(level, "inherit"))
        level = "";
    else if (store_access_parse(level) < 0)
        return usage_error("unknown access level '%s' (free, metered, subscribers or inherit)",
                           level);
    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    int rc = 1;
    int status = section ? store_section_set_default_access(st, slug, level)
                         : store_publication_set_default_access(st, slug, level);
    if (status == STORE_NOT_FOUND) {
        fprintf(stderr, "broadsheet: no %s %s (see `broadsheet %s list`)\n", kind, slug, kind);
    } else if (status != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot set the default access of the %s %s\n", kind, slug);
    } else {
        printf("%s %s: default access %s\n", kind, slug, default_access_shown(level));
        printf("articles imported from now on without an access: line get it; articles already\n"
               "imported keep their level until their files are imported again\n");
        rc = 0;
    }
    store_close(st);
    return rc;
}

static int command_publication_access(struct options *o)
{
    return default_access_change(o, 0);
}

static int command_section_access(struct options *o)
{
    return default_access_change(o, 1);
}

static int command_publication_list(struct options *o)
{
    if (o->argument_count)
        return usage_error("publication list takes no argument '%s'", o->arguments[0]);
    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    struct publication *list;
    size_t n;
    int rc = 0;
    if (store_publications(st, a, &list, &n) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot list publications\n");
        rc = 1;
    } else {
        for (size_t i = 0; i < n; i++)
            printf("%-24s %-11s  %s\n", list[i].slug, default_access_shown(list[i].default_access),
                   list[i].name);
        printf("%zu publication%s\n", n, n == 1 ? "" : "s");
    }
    arena_free(a);
    store_close(st);
    return rc;
}

static int command_section_list(struct options *o)
{
    if (o->argument_count)
        return usage_error("section list takes no argument '%s'", o->arguments[0]);
    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    struct section *list;
    size_t n;
    int rc = 0;
    if (store_sections(st, a, &list, &n) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot list sections\n");
        rc = 1;
    } else {
        for (size_t i = 0; i < n; i++)
            printf("%-24s %-11s  %s\n", list[i].slug, default_access_shown(list[i].default_access),
                   list[i].name);
        printf("%zu section%s\n", n, n == 1 ? "" : "s");
    }
    arena_free(a);
    store_close(st);
    return rc;
}

/* --- The paywall's operator commands: plan, subscription, org ---------------------------------
 *
 * Plans and organisations are keyed by slug; subscriptions by the account's email. Dates on the
 * command line are whole days, YYYY-MM-DD, meaning the end of that day in UTC (23:59:59), so
 * "--until 2027-12-31" covers all of New Year's Eve wherever the reader is. */

/* 1 if s is a usable slug: 1 to 64 of a-z, 0-9 and '-', not starting or ending with '-'. Plan
 * slugs travel in forms and organisation slugs in commands, so they are kept plain. */
static int slug_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || s[0] == '-' || s[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

/* Parses a price in major units into minor units: "12.99" is 1299, "12" is 1200, "12.5" is
 * 1250. Digits only, at most 9 of them before the point and 1 or 2 after it; no sign, no
 * spaces, no exponent, no thousands separator. Returns 0, or -1 (*cents untouched). */
static int parse_price(const char *text, int64_t *cents)
{
    int64_t units = 0, fraction = 0;
    size_t i = 0, digits = 0;
    while (text[i] >= '0' && text[i] <= '9') {
        if (++digits > 9)
            return -1;
        units = units * 10 + (text[i++] - '0');
    }
    if (digits == 0)
        return -1;
    if (text[i] == '.') {
        size_t decimals = 0;
        i++;
        while (text[i] >= '0' && text[i] <= '9') {
            if (++decimals > 2)
                return -1;
            fraction = fraction * 10 + (text[i++] - '0');
        }
        if (decimals == 0)
            return -1;
        if (decimals == 1)
            fraction *= 10;
    }
    if (text[i] != '\0')
        return -1;
    *cents = units * 100 + fraction;
    return 0;
}

/* Parses a whole day "YYYY-MM-DD" (a real calendar date, years 1970 to 9999) into the last
 * second of that day in UTC. Returns 0, or -1 (*end untouched). */
static int parse_day_end(const char *text, int64_t *end)
{
    static const char shape[] = "dddd-dd-dd";
    if (strlen(text) != sizeof shape - 1)
        return -1;
    for (size_t i = 0; shape[i]; i++) {
        int digit = text[i] >= '0' && text[i] <= '9';
        if (shape[i] == 'd' ? !digit : text[i] != '-')
            return -1;
    }
    struct tm tm = {0};
    tm.tm_year = atoi(text) - 1900;
    tm.tm_mon = atoi(text + 5) - 1;
    tm.tm_mday = atoi(text + 8);
    int year = tm.tm_year, month = tm.tm_mon, day = tm.tm_mday;
    if (year < 70 || month < 0 || month > 11 || day < 1)
        return -1;
    time_t start = timegm(&tm);
    /* timegm rolls impossible dates over (February 30th is March 2nd): refuse those. */
    if (start == (time_t)-1 || tm.tm_year != year || tm.tm_mon != month || tm.tm_mday != day)
        return -1;
    *end = (int64_t)start + 86399;
    return 0;
}

/* Writes the UTC day of t as "YYYY-MM-DD" into out (at least 11 bytes). */
static void format_day(int64_t t, char *out, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, size, "%Y-%m-%d", &tm);
}

/* A plan's price for listings, from a: "12.99 USD per month", "129.00 USD per year" or
 * "contact us". */
static const char *plan_price_text(struct arena *a, const struct plan *p)
{
    if (!strcmp(p->period, "contact"))
        return "contact us";
    return arena_printf(a, "%lld.%02lld %s per %s", (long long)(p->price_cents / 100),
                        (long long)(p->price_cents % 100), p->currency, p->period);
}

/* Looks up the account email (normalised as at log-in) into *u (strings from a). Returns 0, or
 * -1 after printing why. */
static int find_account(struct store *st, struct arena *a, const char *email, struct user *u)
{
    int status = store_user_by_email(st, a, auth_email_normalize(a, email), u);
    if (status == STORE_NOT_FOUND)
        fprintf(stderr, "broadsheet: no account %s\n", email);
    else if (status != STORE_OK)
        fprintf(stderr, "broadsheet: cannot read the account %s\n", email);
    return status == STORE_OK ? 0 : -1;
}

static int command_plan_add(struct options *o)
{
    if (o->argument_count != 1)
        return usage_error("%s", "plan add needs one SLUG");
    const char *slug = o->arguments[0];
    if (!slug_valid(slug))
        return usage_error("'%s' is not a valid plan slug (lowercase letters, digits and hyphens)",
                           slug);
    if (!o->name || !*o->name)
        return usage_error("%s", "plan add needs --name NAME");
    if (!o->period)
        return usage_error("%s", "plan add needs --period month, year or contact");
    if (strcmp(o->period, "month") != 0 && strcmp(o->period, "year") != 0 &&
        strcmp(o->period, "contact") != 0)
        return usage_error("unknown period '%s' (month, year or contact)", o->period);
    int contact = !strcmp(o->period, "contact");
    int64_t price = -1;
    if (o->price && parse_price(o->price, &price) < 0)
        return usage_error("'%s' is not a price: write it like 12.99 or 12 (no sign, at most two "
                           "decimals)",
                           o->price);
    if (contact && o->price)
        return usage_error("%s", "a contact plan has no price: leave out --price");
    char currency[4] = "";
    if (o->currency) {
        if (strlen(o->currency) != 3)
            return usage_error("'%s' is not a currency code (three letters, like USD)",
                               o->currency);
        for (int i = 0; i < 3; i++) {
            char c = o->currency[i];
            if (c >= 'a' && c <= 'z')
                c = (char)(c - 'a' + 'A');
            if (c < 'A' || c > 'Z')
                return usage_error("'%s' is not a currency code (three letters, like USD)",
                                   o->currency);
            currency[i] = c;
        }
    }
    int position = 0;
    if (o->position) {
        char *end;
        errno = 0;
        long n = strtol(o->position, &end, 10);
        if (errno || end == o->position || *end || n < 0 || n > 1000000)
            return usage_error("'%s' is not a position (a whole number from 0 to 1000000)",
                               o->position);
        position = (int)n;
    }
    if (o->stripe_price && *o->stripe_price && strncmp(o->stripe_price, "price_", 6) != 0)
        return usage_error("'%s' is not a Stripe price id (price_...)", o->stripe_price);
    if (contact && o->stripe_price && *o->stripe_price)
        return usage_error("%s", "a contact plan is not sold through Stripe: leave out "
                                 "--stripe-price");

    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    int rc = 1;
    struct plan p;
    int status = store_plan_by_slug(st, a, slug, &p);
    int existed = status == STORE_OK;
    if (status == STORE_ERROR) {
        fprintf(stderr, "broadsheet: cannot read the plans\n");
        goto out;
    }
    if (!existed) {
        /* A new plan goes after every other one unless --position says otherwise. */
        struct plan *plans;
        size_t n;
        memset(&p, 0, sizeof p);
        if (store_plans(st, a, 1, &plans, &n) != STORE_OK) {
            fprintf(stderr, "broadsheet: cannot read the plans\n");
            goto out;
        }
        p.position = 1;
        for (size_t i = 0; i < n; i++)
            if (plans[i].position >= p.position)
                p.position = plans[i].position + 1;
    }
    /* A priced plan needs a price: given now, or kept from the priced plan it updates. */
    if (!contact && price < 0 && (!existed || !strcmp(p.period, "contact"))) {
        rc = usage_error("a %s plan needs --price", o->period);
        goto out;
    }
    p.slug = slug;
    p.name = o->name;
    p.period = o->period;
    p.active = 1;
    if (contact) {
        p.price_cents = 0;
        p.stripe_price_id = "";
    } else if (price >= 0) {
        p.price_cents = price;
    }
    if (o->currency)
        p.currency = currency;
    if (o->description)
        p.description = o->description;
    if (o->benefits)
        p.benefits = o->benefits;
    if (o->position)
        p.position = position;
    if (o->stripe_price)
        p.stripe_price_id = o->stripe_price;
    if (store_plan_save(st, &p) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot save the plan %s\n", slug);
        goto out;
    }
    if (store_plan_by_slug(st, a, slug, &p) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot read the plan %s back\n", slug);
        goto out;
    }
    printf("%s plan %s: %s, %s\n", existed ? "updated" : "created", p.slug, p.name,
           plan_price_text(a, &p));
    rc = 0;
out:
    arena_free(a);
    store_close(st);
    return rc;
}

static int command_plan_list(struct options *o)
{
    if (o->argument_count)
        return usage_error("plan list takes no argument '%s'", o->arguments[0]);
    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    struct plan *plans;
    size_t n;
    int rc = 0;
    if (store_plans(st, a, 1, &plans, &n) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot list plans\n");
        rc = 1;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const struct plan *p = &plans[i];
        printf("%3d  %-16s %-22s %s%s\n", p->position, p->slug, plan_price_text(a, p), p->name,
               p->active ? "" : " (withdrawn)");
        if (*p->description)
            printf("       %s\n", p->description);
        for (const char *line = p->benefits; *line;) {
            size_t len = strcspn(line, "\n");
            if (len)
                printf("       - %.*s\n", (int)len, line);
            line += len + (line[len] == '\n');
        }
        if (*p->stripe_price_id)
            printf("       Stripe price %s\n", p->stripe_price_id);
    }
    printf("%zu plan%s\n", n, n == 1 ? "" : "s");
out:
    arena_free(a);
    store_close(st);
    return rc;
}

static int command_plan_remove(struct options *o)
{
    if (o->argument_count != 1)
        return usage_error("%s", "plan remove needs one SLUG");
    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    int rc = 1;
    int status = store_plan_delete(st, o->arguments[0]);
    if (status == STORE_NOT_FOUND)
        fprintf(stderr, "broadsheet: no plan %s\n", o->arguments[0]);
    else if (status != STORE_OK)
        fprintf(stderr, "broadsheet: cannot remove the plan %s\n", o->arguments[0]);
    else {
        printf("removed plan %s\n", o->arguments[0]);
        rc = 0;
    }
    store_close(st);
    return rc;
}

static int command_subscription_grant(struct options *o)
{
    if (o->argument_count != 1)
        return usage_error("%s", "subscription grant needs one EMAIL");
    if (!o->plan || !*o->plan)
        return usage_error("%s", "subscription grant needs --plan SLUG");
    if (!o->until)
        return usage_error("%s", "subscription grant needs --until YYYY-MM-DD");
    int64_t until;
    if (parse_day_end(o->until, &until) < 0)
        return usage_error("'%s' is not a date (YYYY-MM-DD)", o->until);
    const char *email = o->arguments[0];
    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    struct user u;
    struct plan p;
    int rc = 1, status;
    if (find_account(st, a, email, &u) < 0)
        goto out;
    status = store_plan_by_slug(st, a, o->plan, &p);
    if (status == STORE_NOT_FOUND) {
        fprintf(stderr, "broadsheet: no plan %s (see `broadsheet plan list`)\n", o->plan);
        goto out;
    }
    if (status != STORE_OK || store_subscription_grant(st, u.id, p.slug, until) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot grant the subscription\n");
        goto out;
    }
    printf("%s has the %s plan until the end of %s (UTC)%s\n", u.email, p.slug, o->until,
           until <= util_now() ? ": that day is over, so it has already ended" : "");
    rc = 0;
out:
    arena_free(a);
    store_close(st);
    return rc;
}

static int command_subscription_revoke(struct options *o)
{
    if (o->argument_count != 1)
        return usage_error("%s", "subscription revoke needs one EMAIL");
    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    struct user u;
    int rc = 1, status;
    if (find_account(st, a, o->arguments[0], &u) < 0)
        goto out;
    status = store_subscription_revoke(st, u.id);
    if (status == STORE_NOT_FOUND) {
        /* Stripe's own subscriptions are ended in Stripe, whose webhook then tells us. */
        fprintf(stderr, "broadsheet: %s has no granted subscription to revoke\n", u.email);
        goto out;
    }
    if (status != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot revoke the subscription\n");
        goto out;
    }
    printf("revoked the subscription granted to %s\n", u.email);
    rc = 0;
out:
    arena_free(a);
    store_close(st);
    return rc;
}

/* Lists each account's current subscription (store_subscription_current: the one that counts,
 * else the latest), one line each. A subscription whose account was deleted has no email to
 * show and is not listed. */
static int command_subscription_list(struct options *o)
{
    if (o->argument_count)
        return usage_error("subscription list takes no argument '%s'", o->arguments[0]);
    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    struct user *users;
    size_t n, shown = 0;
    int64_t now = util_now();
    int rc = 1;
    if (store_users(st, a, &users, &n) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot list accounts\n");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct subscription s;
        char until[16];
        int status = store_subscription_current(st, a, users[i].id, now, &s);
        if (status == STORE_NOT_FOUND)
            continue;
        if (status != STORE_OK) {
            fprintf(stderr, "broadsheet: cannot read the subscription of %s\n", users[i].email);
            goto out;
        }
        /* "active" past its end is shown as what it is for the reader: ended. */
        const char *state = s.status;
        if (!strcmp(state, "active") && !access_subscription_active(&s, now))
            state = "ended";
        format_day(s.current_period_end, until, sizeof until);
        printf("%-32s %-16s %-9s %s  %s\n", users[i].email, *s.plan_slug ? s.plan_slug : "-", state,
               until, s.source);
        shown++;
    }
    printf("%zu subscription%s\n", shown, shown == 1 ? "" : "s");
    rc = 0;
out:
    arena_free(a);
    store_close(st);
    return rc;
}

static int command_org_add(struct options *o)
{
    if (o->argument_count != 1)
        return usage_error("%s", "org add needs one SLUG");
    const char *slug = o->arguments[0];
    if (!slug_valid(slug))
        return usage_error("'%s' is not a valid organisation slug (lowercase letters, digits and "
                           "hyphens)",
                           slug);
    if (!o->name || !*o->name)
        return usage_error("%s", "org add needs --name NAME");
    int64_t until = 0;
    if (o->until && parse_day_end(o->until, &until) < 0)
        return usage_error("'%s' is not a date (YYYY-MM-DD)", o->until);
    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    int rc = 1;
    if (store_org_save(st, slug, o->name, until, NULL) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot save the organisation %s\n", slug);
        goto out;
    }
    if (o->until)
        printf("organisation %s (%s): access until the end of %s (UTC)%s\n", slug, o->name,
               o->until, until <= util_now() ? ": that day is over, so it has already ended" : "");
    else
        printf("organisation %s (%s): access with no end date\n", slug, o->name);
    rc = 0;
out:
    store_close(st);
    return rc;
}

/* 1 if the organisation slug exists, 0 if not, -1 if the database cannot tell. */
static int org_exists(struct store *st, struct arena *a, const char *slug)
{
    struct organisation *orgs;
    size_t n;
    if (store_orgs(st, a, &orgs, &n) != STORE_OK)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(orgs[i].slug, slug))
            return 1;
    return 0;
}

/* org range add and org range remove: `add` says which. */
static int org_range_change(struct options *o, int add)
{
    const char *verb = add ? "add" : "remove";
    if (o->argument_count != 2)
        return usage_error("org range %s needs SLUG and CIDR", verb);
    const char *slug = o->arguments[0];
    struct cidr range;
    char text[CIDR_TEXT_MAX];
    if (cidr_parse(o->arguments[1], &range) < 0 || cidr_format(&range, text, sizeof text) < 0)
        return usage_error("'%s' is not an address range (like 192.0.2.0/24, 2001:db8::/32 or "
                           "one address)",
                           o->arguments[1]);
    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    int rc = 1;
    int status = add ? store_org_add_range(st, slug, text) : store_org_remove_range(st, slug, text);
    if (status == STORE_OK) {
        printf(add ? "added %s to %s\n" : "removed %s from %s\n", text, slug);
        rc = 0;
    } else if (status == STORE_CONFLICT) {
        fprintf(stderr, "broadsheet: %s already has the range %s\n", slug, text);
    } else if (status == STORE_NOT_FOUND && org_exists(st, a, slug) == 0) {
        fprintf(stderr, "broadsheet: no organisation %s\n", slug);
    } else if (status == STORE_NOT_FOUND) {
        fprintf(stderr, "broadsheet: %s has no range %s\n", slug, text);
    } else {
        fprintf(stderr, "broadsheet: cannot %s the range\n", verb);
    }
    arena_free(a);
    store_close(st);
    return rc;
}

static int command_org_range_add(struct options *o)
{
    return org_range_change(o, 1);
}

static int command_org_range_remove(struct options *o)
{
    return org_range_change(o, 0);
}

static int command_org_list(struct options *o)
{
    if (o->argument_count)
        return usage_error("org list takes no argument '%s'", o->arguments[0]);
    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    struct organisation *orgs;
    struct org_range *ranges;
    size_t n, nranges;
    int64_t now = util_now();
    int rc = 1;
    if (store_orgs(st, a, &orgs, &n) != STORE_OK ||
        store_org_ranges(st, a, &ranges, &nranges) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot list organisations\n");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        char day[16];
        const char *ends = "no end date";
        if (orgs[i].ends_at) {
            format_day(orgs[i].ends_at, day, sizeof day);
            ends = arena_printf(a, "%s %s",
                                access_organisation_active(&orgs[i], now) ? "until" : "ended", day);
        }
        printf("%-24s %-17s %s\n", orgs[i].slug, ends, orgs[i].name);
        size_t count = 0;
        for (size_t j = 0; j < nranges; j++) {
            if (strcmp(ranges[j].organisation.slug, orgs[i].slug) != 0)
                continue;
            printf("    %s\n", ranges[j].cidr);
            count++;
        }
        if (!count)
            printf("    (no address ranges)\n");
    }
    printf("%zu organisation%s\n", n, n == 1 ? "" : "s");
    rc = 0;
out:
    arena_free(a);
    store_close(st);
    return rc;
}

static int command_org_remove(struct options *o)
{
    if (o->argument_count != 1)
        return usage_error("%s", "org remove needs one SLUG");
    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    int rc = 1;
    int status = store_org_delete(st, o->arguments[0]);
    if (status == STORE_NOT_FOUND)
        fprintf(stderr, "broadsheet: no organisation %s\n", o->arguments[0]);
    else if (status != STORE_OK)
        fprintf(stderr, "broadsheet: cannot remove the organisation %s\n", o->arguments[0]);
    else {
        printf("removed organisation %s and its ranges\n", o->arguments[0]);
        rc = 0;
    }
    store_close(st);
    return rc;
}

/* --- Advertising: ads campaign, ads creative, ads report ---------------------------------------
 *
 * Campaign dates are whole UTC days, like the paywall's: --start is the first second of its day
 * and --end the last of its, so the campaign is stored as running from starts_at to just before
 * ends_at (the first second of the day after --end). Creatives are checked here (ads.h) before
 * the store sees them: a bad placement, URL, image or size is a usage error (exit 2); a campaign
 * that does not exist, or a file that cannot be read or written, is a failure (exit 1). */

#define WEIGHT_MAX 1000000

/* Parses a whole number from min to max, as typed on the command line. 0 or -1. */
static int parse_whole(const char *text, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(text, &end, 10);
    if (errno || end == text || *end || n < min || n > max)
        return -1;
    *out = n;
    return 0;
}

/* The first second of the UTC day "YYYY-MM-DD" into *start. 0, or -1 for a bad date. */
static int parse_day_start(const char *text, int64_t *start)
{
    int64_t end;
    if (parse_day_end(text, &end) < 0)
        return -1;
    *start = end - 86399;
    return 0;
}

/* A campaign's targeting for listings: "any" for "". */
static const char *targeting_shown(const char *slug)
{
    return *slug ? slug : "any";
}

/* Checks that the targeting slug names a publication (or a section, when section is 1), if it
 * names anything. Returns 0, or -1 after printing why. */
static int target_exists(struct store *st, struct arena *a, const char *slug, int section)
{
    if (!slug || !*slug)
        return 0;
    struct publication p;
    struct section sec;
    int status = section ? store_section_by_slug(st, a, slug, &sec)
                         : store_publication_by_slug(st, a, slug, &p);
    const char *kind = section ? "section" : "publication";
    if (status == STORE_NOT_FOUND)
        fprintf(stderr, "broadsheet: no %s %s (see `broadsheet %s list`)\n", kind, slug, kind);
    else if (status != STORE_OK)
        fprintf(stderr, "broadsheet: cannot read the %s %s\n", kind, slug);
    return status == STORE_OK ? 0 : -1;
}

static int command_ads_campaign_add(struct options *o)
{
    if (o->argument_count != 1)
        return usage_error("%s", "ads campaign add needs one SLUG");
    const char *slug = o->arguments[0];
    if (!slug_valid(slug))
        return usage_error("'%s' is not a valid campaign slug (lowercase letters, digits and "
                           "hyphens)",
                           slug);
    if (o->name && !*o->name)
        return usage_error("%s", "a campaign needs a --name");
    int64_t starts_at = 0, last_second = 0;
    if (o->start && parse_day_start(o->start, &starts_at) < 0)
        return usage_error("'%s' is not a date (YYYY-MM-DD)", o->start);
    if (o->end && parse_day_end(o->end, &last_second) < 0)
        return usage_error("'%s' is not a date (YYYY-MM-DD)", o->end);
    long weight = 1;
    if (o->weight && parse_whole(o->weight, 1, WEIGHT_MAX, &weight) < 0)
        return usage_error("'%s' is not a weight (a whole number from 1 to %d)", o->weight,
                           WEIGHT_MAX);

    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    int rc = 1;
    struct campaign c;
    int status = store_campaign_by_slug(st, a, slug, &c);
    int existed = status == STORE_OK;
    if (status == STORE_ERROR) {
        fprintf(stderr, "broadsheet: cannot read the campaigns\n");
        goto out;
    }
    if (!existed) {
        if (!o->name || !o->start || !o->end) {
            rc = usage_error("a new campaign needs --name, --start and --end (%s is not one yet)",
                             slug);
            goto out;
        }
        memset(&c, 0, sizeof c);
        c.publication_slug = c.section_slug = "";
        c.weight = 1;
    }
    c.slug = slug;
    if (o->name)
        c.name = o->name;
    if (o->start)
        c.starts_at = starts_at;
    if (o->end)
        c.ends_at = last_second + 1;
    if (o->weight)
        c.weight = (int)weight;
    if (o->publication)
        c.publication_slug = o->publication;
    if (o->section)
        c.section_slug = o->section;
    char first[16], last[16];
    format_day(c.starts_at, first, sizeof first);
    format_day(c.ends_at - 1, last, sizeof last);
    if (c.ends_at <= c.starts_at) {
        rc = usage_error("the campaign would end (%s) before it starts (%s)", last, first);
        goto out;
    }
    if (target_exists(st, a, c.publication_slug, 0) < 0 ||
        target_exists(st, a, c.section_slug, 1) < 0)
        goto out;
    if (store_campaign_save(st, &c, NULL) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot save the campaign %s\n", slug);
        goto out;
    }
    printf("%s campaign %s (%s): %s to %s (UTC), weight %d, publication %s, section %s\n",
           existed ? "updated" : "created", slug, c.name, first, last, c.weight,
           targeting_shown(c.publication_slug), targeting_shown(c.section_slug));
    rc = 0;
out:
    arena_free(a);
    store_close(st);
    return rc;
}

static int command_ads_campaign_list(struct options *o)
{
    if (o->argument_count)
        return usage_error("ads campaign list takes no argument '%s'", o->arguments[0]);
    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    struct campaign *list;
    struct creative *creatives;
    size_t n, ncreatives;
    int64_t now = util_now();
    int rc = 1;
    if (store_campaigns(st, a, &list, &n) != STORE_OK ||
        store_creatives(st, a, &creatives, &ncreatives) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot list campaigns\n");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const struct campaign *c = &list[i];
        char first[16], last[16];
        format_day(c->starts_at, first, sizeof first);
        format_day(c->ends_at - 1, last, sizeof last);
        const char *state = now < c->starts_at ? "scheduled"
                            : now < c->ends_at ? "running"
                                               : "ended";
        size_t count = 0;
        for (size_t j = 0; j < ncreatives; j++)
            count += creatives[j].campaign.id == c->id;
        printf("%-24s %s to %s  %-9s  weight %-4d publication %-12s section %-10s %zu "
               "creative%s  %s\n",
               c->slug, first, last, state, c->weight, targeting_shown(c->publication_slug),
               targeting_shown(c->section_slug), count, count == 1 ? "" : "s", c->name);
    }
    printf("%zu campaign%s\n", n, n == 1 ? "" : "s");
    rc = 0;
out:
    arena_free(a);
    store_close(st);
    return rc;
}

static int command_ads_campaign_remove(struct options *o)
{
    if (o->argument_count != 1)
        return usage_error("%s", "ads campaign remove needs one SLUG");
    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    int rc = 1;
    int status = store_campaign_delete(st, o->arguments[0]);
    if (status == STORE_NOT_FOUND)
        fprintf(stderr, "broadsheet: no campaign %s\n", o->arguments[0]);
    else if (status != STORE_OK)
        fprintf(stderr, "broadsheet: cannot remove the campaign %s\n", o->arguments[0]);
    else {
        printf("removed campaign %s with its creatives and their counts\n", o->arguments[0]);
        rc = 0;
    }
    store_close(st);
    return rc;
}

/* Reads an HTML ad tag from path into a heap string (*tag, the caller frees). Returns 0, 1
 * (unreadable: printed) or EXIT_USAGE (not a tag we take: empty, too large, not UTF-8). */
static int read_ad_tag(const char *path, char **tag)
{
    size_t len;
    char *text = util_read_file(path, &len);
    if (!text) {
        fprintf(stderr, "broadsheet: %s: cannot read: %s\n", path, strerror(errno));
        return 1;
    }
    const char *problem = NULL;
    if (len > ADS_HTML_MAX_BYTES)
        problem = "larger than 64 KiB";
    else if (strspn(text, " \t\r\n") == len)
        problem = "empty";
    else if (memchr(text, '\0', len) || !util_utf8_valid(text, len))
        problem = "not UTF-8 text";
    if (problem) {
        fprintf(stderr, "broadsheet: %s: %s\n", path, problem);
        free(text);
        return EXIT_USAGE;
    }
    *tag = text;
    return 0;
}

static int command_ads_creative_add(struct options *o)
{
    if (o->argument_count != 1)
        return usage_error("%s", "ads creative add needs one CAMPAIGN");
    if (!o->placement)
        return usage_error("%s", "ads creative add needs --placement (interstitial, leaderboard, "
                                 "in-article or sidebar)");
    if (!ads_placement_valid(o->placement))
        return usage_error("unknown placement '%s' (interstitial, leaderboard, in-article or "
                           "sidebar)",
                           o->placement);
    if (!o->image == !o->html_file)
        return usage_error("%s", "ads creative add needs either --image FILE or --html-file FILE");
    if (o->image) {
        if (!o->alt || !*o->alt)
            return usage_error("%s", "an image creative needs --alt TEXT (what the image says)");
        if (!o->url)
            return usage_error("%s", "an image creative needs --url URL (where a click leads)");
        if (!ads_url_valid(o->url))
            return usage_error("'%s' is not an http:// or https:// address", o->url);
    } else if (o->alt || o->url) {
        return usage_error("%s", "an HTML creative takes no --alt or --url: its tag makes its own "
                                 "link");
    }
    long width = 0, height = 0;
    if (!o->width != !o->height)
        return usage_error("%s", "give --width and --height together");
    if (o->width && (parse_whole(o->width, 1, ADS_DIMENSION_MAX, &width) < 0 ||
                     parse_whole(o->height, 1, ADS_DIMENSION_MAX, &height) < 0))
        return usage_error("'%s' by '%s' is not a size (whole pixels from 1 to %d)", o->width,
                           o->height, ADS_DIMENSION_MAX);

    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    char *tag = NULL;
    int rc = 1;
    struct creative k;
    memset(&k, 0, sizeof k);
    int status = store_campaign_by_slug(st, a, o->arguments[0], &k.campaign);
    if (status == STORE_NOT_FOUND) {
        fprintf(stderr, "broadsheet: no campaign %s (see `broadsheet ads campaign list`)\n",
                o->arguments[0]);
        goto out;
    }
    if (status != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot read the campaign %s\n", o->arguments[0]);
        goto out;
    }
    k.placement = o->placement;
    k.width = k.height = 0;
    if (o->image) {
        char err[600];
        enum ads_image_status stored =
            ads_store_image(o->config.uploads, o->image, a, &k.image_path, &k.image_type, &k.width,
                            &k.height, err, sizeof err);
        if (stored != ADS_IMAGE_OK) {
            fprintf(stderr, "broadsheet: %s\n", err);
            rc = stored == ADS_IMAGE_INVALID ? EXIT_USAGE : 1;
            goto out;
        }
        if (!o->width && !k.width) {
            fprintf(stderr,
                    "broadsheet: %s: cannot tell the image's size; give --width and "
                    "--height\n",
                    o->image);
            rc = EXIT_USAGE;
            goto out;
        }
        k.kind = "image";
        k.alt = o->alt;
        k.click_url = o->url;
    } else {
        if ((rc = read_ad_tag(o->html_file, &tag)) != 0)
            goto out;
        rc = 1;
        k.kind = "html";
        k.html = tag;
        ads_placement_size(k.placement, &k.width, &k.height);
    }
    if (o->width) {
        k.width = (int)width;
        k.height = (int)height;
    }
    int64_t id;
    if (store_creative_add(st, &k, &id) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot add the creative\n");
        goto out;
    }
    printf("added creative %lld to %s: %s %s, %dx%d%s%s\n", (long long)id, k.campaign.slug,
           k.placement, k.kind, k.width, k.height, o->image ? ", " : "",
           o->image ? k.image_path : "");
    rc = 0;
out:
    free(tag);
    arena_free(a);
    store_close(st);
    return rc;
}

static int command_ads_creative_list(struct options *o)
{
    if (o->argument_count)
        return usage_error("ads creative list takes no argument '%s'", o->arguments[0]);
    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    struct creative *list;
    size_t n;
    int rc = 1;
    if (store_creatives(st, a, &list, &n) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot list creatives\n");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const struct creative *k = &list[i];
        printf("%6lld  %-24s %-12s %-5s %dx%d\n", (long long)k->id, k->campaign.slug, k->placement,
               k->kind, k->width, k->height);
        if (!strcmp(k->kind, "image"))
            printf("        %s (%s)\n        alt: %s\n        url: %s\n", k->image_path,
                   k->image_type, k->alt, k->click_url);
        else
            printf("        HTML tag, %zu bytes\n", strlen(k->html));
    }
    printf("%zu creative%s\n", n, n == 1 ? "" : "s");
    rc = 0;
out:
    arena_free(a);
    store_close(st);
    return rc;
}

static int command_ads_creative_remove(struct options *o)
{
    if (o->argument_count != 1)
        return usage_error("%s", "ads creative remove needs one ID");
    long id;
    if (parse_whole(o->arguments[0], 1, LONG_MAX, &id) < 0)
        return usage_error("'%s' is not a creative id (see `broadsheet ads creative list`)",
                           o->arguments[0]);
    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    int rc = 1;
    int status = store_creative_delete(st, id);
    if (status == STORE_NOT_FOUND)
        fprintf(stderr, "broadsheet: no creative %ld\n", id);
    else if (status != STORE_OK)
        fprintf(stderr, "broadsheet: cannot remove the creative %ld\n", id);
    else {
        printf("removed creative %ld and its counts\n", id);
        rc = 0;
    }
    store_close(st);
    return rc;
}

static int command_ads_report(struct options *o)
{
    if (o->argument_count)
        return usage_error("ads report takes no argument '%s'", o->arguments[0]);
    int64_t ignored;
    if (o->from && parse_day_end(o->from, &ignored) < 0)
        return usage_error("'%s' is not a date (YYYY-MM-DD)", o->from);
    if (o->to && parse_day_end(o->to, &ignored) < 0)
        return usage_error("'%s' is not a date (YYYY-MM-DD)", o->to);
    struct store *st = open_store(&o->config);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    struct ad_report_row *rows;
    size_t n;
    int rc = 1;
    if (store_ad_report(st, a, o->from, o->to, &rows, &n) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot read the counts\n");
        goto out;
    }
    printf("%-10s  %-24s %8s  %-12s %11s %8s %8s\n", "day", "campaign", "creative", "placement",
           "impressions", "clicks", "CTR");
    int64_t impressions = 0, clicks = 0;
    for (size_t i = 0; i < n; i++) {
        char ctr[32];
        ads_ctr_format(rows[i].clicks, rows[i].impressions, ctr, sizeof ctr);
        printf("%-10s  %-24s %8lld  %-12s %11lld %8lld %8s\n", rows[i].day, rows[i].campaign_slug,
               (long long)rows[i].creative_id, rows[i].placement, (long long)rows[i].impressions,
               (long long)rows[i].clicks, ctr);
        impressions += rows[i].impressions;
        clicks += rows[i].clicks;
    }
    char ctr[32];
    ads_ctr_format(clicks, impressions, ctr, sizeof ctr);
    printf("%-10s  %-24s %8s  %-12s %11lld %8lld %8s\n", "total", "", "", "",
           (long long)impressions, (long long)clicks, ctr);
    rc = 0;
out:
    arena_free(a);
    store_close(st);
    return rc;
}

/* --- dispatch ----------------------------------------------------------------------------------
 */

/* Every command: its words ("org", "range", "add"), its function, and the command flags it
 * takes (FLAG_*; configuration directives are taken by all). */
static const struct command {
    const char *words[3];
    int (*run)(struct options *);
    unsigned flags;
} commands[] = {
    {{"serve"}, command_serve, 0},
    {{"init"}, command_init, 0},
    {{"article", "import"}, command_article_import, FLAG_FILES_FROM | FLAG_BATCH | FLAG_SKIP},
    {{"article", "list"}, command_article_list, 0},
    {{"publication", "access"}, command_publication_access, 0},
    {{"publication", "list"}, command_publication_list, 0},
    {{"section", "access"}, command_section_access, 0},
    {{"section", "list"}, command_section_list, 0},
    {{"user", "add"}, command_user_add, FLAG_NAME | FLAG_ROLE},
    {{"user", "role"}, command_user_role, 0},
    {{"user", "list"}, command_user_list, 0},
    {{"plan", "add"},
     command_plan_add,
     FLAG_NAME | FLAG_PERIOD | FLAG_PRICE | FLAG_CURRENCY | FLAG_DESCRIPTION | FLAG_BENEFIT |
         FLAG_POSITION | FLAG_STRIPE_PRICE},
    {{"plan", "list"}, command_plan_list, 0},
    {{"plan", "remove"}, command_plan_remove, 0},
    {{"subscription", "grant"}, command_subscription_grant, FLAG_PLAN | FLAG_UNTIL},
    {{"subscription", "revoke"}, command_subscription_revoke, 0},
    {{"subscription", "list"}, command_subscription_list, 0},
    {{"org", "add"}, command_org_add, FLAG_NAME | FLAG_UNTIL},
    {{"org", "range", "add"}, command_org_range_add, 0},
    {{"org", "range", "remove"}, command_org_range_remove, 0},
    {{"org", "list"}, command_org_list, 0},
    {{"org", "remove"}, command_org_remove, 0},
    {{"ads", "campaign", "add"},
     command_ads_campaign_add,
     FLAG_NAME | FLAG_START | FLAG_END | FLAG_WEIGHT | FLAG_PUBLICATION | FLAG_SECTION},
    {{"ads", "campaign", "list"}, command_ads_campaign_list, 0},
    {{"ads", "campaign", "remove"}, command_ads_campaign_remove, 0},
    {{"ads", "creative", "add"},
     command_ads_creative_add,
     FLAG_PLACEMENT | FLAG_IMAGE | FLAG_ALT | FLAG_URL | FLAG_HTML_FILE | FLAG_WIDTH | FLAG_HEIGHT},
    {{"ads", "creative", "list"}, command_ads_creative_list, 0},
    {{"ads", "creative", "remove"}, command_ads_creative_remove, 0},
    {{"ads", "report"}, command_ads_report, FLAG_FROM | FLAG_TO},
};

/* How many words command c has. */
static int command_length(const struct command *c)
{
    int n = 0;
    while (n < (int)ARRAY_LEN(c->words) && c->words[n])
        n++;
    return n;
}

/* How many of argv[1..] match c's words from the start. */
static int command_match(const struct command *c, int argc, char **argv)
{
    int n = 0;
    while (n < command_length(c) && 1 + n < argc && !strcmp(argv[1 + n], c->words[n]))
        n++;
    return n;
}

/* The command named by argv[1..], with *first set to the index of its first option. NULL when
 * there is none, after printing why (or the usage, for `GROUP --help`); *status is then the
 * exit status. */
static const struct command *find_command(int argc, char **argv, int *first, int *status)
{
    const struct command *partial = NULL;
    int depth = 0;
    for (size_t i = 0; i < ARRAY_LEN(commands); i++) {
        int matched = command_match(&commands[i], argc, argv);
        if (matched == command_length(&commands[i])) {
            *first = 1 + matched;
            return &commands[i];
        }
        if (matched > depth) {
            depth = matched;
            partial = &commands[i];
        }
    }
    if (!partial) {
        *status = usage_error("unknown command '%s'", argv[1]);
        return NULL;
    }
    const char *next = 1 + depth < argc ? argv[1 + depth] : "";
    if (!strcmp(next, "--help") || !strcmp(next, "-h")) {
        print_usage(stdout);
        *status = 0;
        return NULL;
    }
    /* "unknown org command 'x' (add, range add, range remove, list or remove)". */
    char group[64] = "", choices[256] = "";
    for (int w = 0; w < depth; w++)
        snprintf(group + strlen(group), sizeof group - strlen(group), "%s%s", w ? " " : "",
                 partial->words[w]);
    size_t count = 0, total = 0;
    for (size_t i = 0; i < ARRAY_LEN(commands); i++)
        total += command_match(&commands[i], 1 + depth, argv) == depth;
    for (size_t i = 0; i < ARRAY_LEN(commands); i++) {
        if (command_match(&commands[i], 1 + depth, argv) != depth)
            continue;
        count++;
        snprintf(choices + strlen(choices), sizeof choices - strlen(choices), "%s",
                 count == 1       ? ""
                 : count == total ? " or "
                                  : ", ");
        for (int w = depth; w < command_length(&commands[i]); w++)
            snprintf(choices + strlen(choices), sizeof choices - strlen(choices), "%s%s",
                     w > depth ? " " : "", commands[i].words[w]);
    }
    *status = usage_error("unknown %s command '%s' (%s)", group, next, choices);
    return NULL;
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

    int first = 2, rc = 0;
    const struct command *c = find_command(argc, argv, &first, &rc);
    if (!c)
        return rc;
    struct options o;
    rc = parse_options(argc, argv, first, c->flags, &o);
    if (rc == 0)
        rc = c->run(&o);
    else if (rc == 1)
        rc = 0; /* --help */
    free_options(&o);
    return rc;
}
