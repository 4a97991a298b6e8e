/*
 * cmd_serve.c: `broadsheet serve` (run the web server; the loop itself is server.c) and
 * `broadsheet init` (create or upgrade the database), each optionally seeding the demo
 * newsroom and its house ads into an empty database (demo.h).
 */
#include <stdio.h>

#include "arena.h"
#include "cmd.h"
#include "config.h"
#include "demo.h"
#include "server.h"
#include "store.h"

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
        fprintf(stderr, "broadsheet: cannot read the ad campaigns of %s\n", store_shown(st));
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

/* Seeds the demo newsroom when the database is empty, the demo's staff accounts with new
 * passwords, which it prints (demo_seed_staff: a demo database only; not with staff 0, which
 * leaves them as they are and spends no password hashing), its partners with new API keys,
 * which it prints too (demo_seed_partners), and the house ad campaigns when it has none.
 * Returns 0 or -1 (printed). */
static int seed_demo(struct store *st, const struct config *c, int staff)
{
    int empty = store_is_empty(st);
    if (empty < 0) {
        fprintf(stderr, "broadsheet: cannot read the database %s\n", store_shown(st));
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
    char err[256];
    if (staff && demo_seed_staff(st, empty, stderr, err, sizeof err) < 0) {
        fprintf(stderr, "broadsheet: demo: %s\n", err);
        return -1;
    }
    /* issue 13: the demo's partners (NTI, GSN's), each with a new key printed */
    if (demo_seed_partners(st, c->demo_dir, empty, stderr, err, sizeof err) < 0) {
        fprintf(stderr, "broadsheet: demo: %s\n", err);
        return -1;
    }
    return seed_demo_ads(st, c);
}

/* Rebuilds the readers' search index when it was built with another preview_paragraphs or
 * misses the newest article (store_search_check), saying so. 0 or -1 (said). */
static int search_ready(struct store *st, const struct config *c)
{
    char err[512] = "";
    int64_t rebuilt = 0;
    if (store_search_check(st, &rebuilt, err, sizeof err) != STORE_OK) {
        fprintf(stderr, "broadsheet: search index: %s\n", err);
        return -1;
    }
    if (rebuilt)
        fprintf(stderr,
                "broadsheet: rebuilt the search index: %lld articles (preview_paragraphs %d)\n",
                (long long)rebuilt, c->preview_paragraphs);
    return 0;
}

static int command_serve(struct cli_call *call)
{
    struct store *st = cli_store(call);
    if (!st)
        return 1;
    if (cli_value(call, "demo") &&
        seed_demo(st, &call->config, !cli_value(call, "demo-without-staff")) < 0)
        return 1;
    if (search_ready(st, &call->config) < 0)
        return 1;
    return server_run(&call->config, st) < 0 ? 1 : 0;
}

static int command_init(struct cli_call *call)
{
    struct store *st = cli_store(call);
    if (!st)
        return 1;
    if (cli_value(call, "demo") &&
        seed_demo(st, &call->config, !cli_value(call, "demo-without-staff")) < 0)
        return 1;
    if (search_ready(st, &call->config) < 0)
        return 1;
    printf("database ready: %s\n", store_shown(st));
    return 0;
}

static const struct cli_option serve_options[] = {
    {"address", "A", CLI_CONFIG},
    {"port", "N", CLI_CONFIG},
    {"db", "PATH", CLI_CONFIG},
    {"theme", "DIR", CLI_CONFIG},
    {"demo", NULL, 0},
    {"demo-without-staff", NULL, 0},
    {NULL, NULL, 0},
};

static const struct cli_option init_options[] = {
    {"db", "PATH", CLI_CONFIG},
    {"demo", NULL, 0},
    {"demo-without-staff", NULL, 0},
    {NULL, NULL, 0},
};

const struct cli_command cmd_serve[] = {
    {"serve", "", serve_options, CLI_STORE,
     "run the web server (--demo seeds the demo newsroom into an empty database and, on a demo "
     "database, prints its three staff accounts with new passwords and its partner's new API "
     "key, for the demo only; --demo-without-staff leaves the staff accounts as they are: a "
     "readers' demo, and no password hashing at start)",
     command_serve},
    {"init", "", init_options, CLI_STORE,
     "create or upgrade the database (and seed the demo newsroom with its staff accounts; "
     "--demo-without-staff: without them)",
     command_init},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
