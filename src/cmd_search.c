/*
 * cmd_search.c: `broadsheet search reindex`, which rebuilds the readers' search index from the
 * articles (store_search_reindex: in batches, each in its own transaction) at the
 * configuration's preview_paragraphs. The server does the same by itself at start when the
 * index was built with another preview or misses articles (store_search_check); the command is
 * for an operator who wants it done before a start, or after writing articles by hand in SQL.
 */
#include <inttypes.h>
#include <stdio.h>

#include "cmd.h"
#include "store.h"

static int command_reindex(struct cli_call *call)
{
    struct store *st = cli_store(call);
    if (!st)
        return 1;
    char err[512] = "";
    int64_t count = 0;
    if (store_search_reindex(st, &count, err, sizeof err) != STORE_OK) {
        fprintf(call->err, "broadsheet: search reindex: %s\n", err);
        return 1;
    }
    fprintf(call->out, "indexed %" PRId64 " articles (preview_paragraphs %d)\n", count,
            call->config.preview_paragraphs);
    return 0;
}

const struct cli_command cmd_search[] = {
    {"search reindex", "", NULL, CLI_STORE,
     "rebuild the readers' search index from the articles, split at the configuration's "
     "preview_paragraphs (the server does it at start when that changed)",
     command_reindex},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
