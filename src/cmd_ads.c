/*
 * cmd_ads.c: advertising's operator commands: `broadsheet ads campaign add|list|remove`, `ads
 * creative add|list|remove` and `ads report` (counts per creative per day).
 *
 * Campaign dates are whole UTC days, like the paywall's: --start is the first second of its day
 * and --end the last of its, so the campaign is stored as running from starts_at to just before
 * ends_at (the first second of the day after --end). Creatives are checked here (ads.h) before
 * the store sees them: a bad placement, URL, image or size is a usage error (exit 2); a campaign
 * that does not exist, or a file that cannot be read or written, is a failure (exit 1).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ads.h"
#include "arena.h"
#include "cmd.h"
#include "store.h"
#include "util.h"

#define WEIGHT_MAX 1000000

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

static int command_ads_campaign_add(struct cli_call *call)
{
    const char *name = cli_value(call, "name");
    const char *start = cli_value(call, "start");
    const char *end = cli_value(call, "end");
    const char *weight_text = cli_value(call, "weight");
    const char *publication = cli_value(call, "publication");
    const char *section = cli_value(call, "section");
    const char *slug = call->arguments[0];
    if (!cmd_slug_valid(slug))
        return cli_usage_error(call,
                               "'%s' is not a valid campaign slug (lowercase letters, digits and "
                               "hyphens)",
                               slug);
    if (name && !*name)
        return cli_usage_error(call, "%s", "a campaign needs a --name");
    int64_t starts_at = 0, last_second = 0;
    if (start && cmd_parse_day_start(start, &starts_at) < 0)
        return cli_usage_error(call, "'%s' is not a date (YYYY-MM-DD)", start);
    if (end && cmd_parse_day_end(end, &last_second) < 0)
        return cli_usage_error(call, "'%s' is not a date (YYYY-MM-DD)", end);
    long weight = 1;
    if (weight_text && cmd_parse_whole(weight_text, 1, WEIGHT_MAX, &weight) < 0)
        return cli_usage_error(call, "'%s' is not a weight (a whole number from 1 to %d)",
                               weight_text, WEIGHT_MAX);

    struct store *st = cli_store(call);
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
        if (!name || !start || !end) {
            rc = cli_usage_error(
                call, "a new campaign needs --name, --start and --end (%s is not one yet)", slug);
            goto out;
        }
        memset(&c, 0, sizeof c);
        c.publication_slug = c.section_slug = "";
        c.weight = 1;
    }
    c.slug = slug;
    if (name)
        c.name = name;
    if (start)
        c.starts_at = starts_at;
    if (end)
        c.ends_at = last_second + 1;
    if (weight_text)
        c.weight = (int)weight;
    if (publication)
        c.publication_slug = publication;
    if (section)
        c.section_slug = section;
    char first[16], last[16];
    cmd_format_day(c.starts_at, first, sizeof first);
    cmd_format_day(c.ends_at - 1, last, sizeof last);
    if (c.ends_at <= c.starts_at) {
        rc =
            cli_usage_error(call, "the campaign would end (%s) before it starts (%s)", last, first);
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
    return rc;
}

static int command_ads_campaign_list(struct cli_call *call)
{
    struct store *st = cli_store(call);
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
        cmd_format_day(c->starts_at, first, sizeof first);
        cmd_format_day(c->ends_at - 1, last, sizeof last);
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
    return rc;
}

static int command_ads_campaign_remove(struct cli_call *call)
{
    struct store *st = cli_store(call);
    if (!st)
        return 1;
    int rc = 1;
    int status = store_campaign_delete(st, call->arguments[0]);
    if (status == STORE_NOT_FOUND)
        fprintf(stderr, "broadsheet: no campaign %s\n", call->arguments[0]);
    else if (status != STORE_OK)
        fprintf(stderr, "broadsheet: cannot remove the campaign %s\n", call->arguments[0]);
    else {
        printf("removed campaign %s with its creatives and their counts\n", call->arguments[0]);
        rc = 0;
    }
    return rc;
}

/* Reads an HTML ad tag from path into a heap string (*tag, the caller frees). Returns 0, 1
 * (unreadable: printed) or CLI_USAGE (not a tag we take: empty, too large, not UTF-8). */
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
        return CLI_USAGE;
    }
    *tag = text;
    return 0;
}

static int command_ads_creative_add(struct cli_call *call)
{
    const char *placement = cli_value(call, "placement");
    const char *image = cli_value(call, "image");
    const char *html_file = cli_value(call, "html-file");
    const char *alt = cli_value(call, "alt");
    const char *url = cli_value(call, "url");
    const char *width_text = cli_value(call, "width");
    const char *height_text = cli_value(call, "height");
    if (!ads_placement_valid(placement))
        return cli_usage_error(call,
                               "unknown placement '%s' (interstitial, leaderboard, in-article or "
                               "sidebar)",
                               placement);
    if (!image == !html_file)
        return cli_usage_error(call, "%s", "needs either --image FILE or --html-file FILE");
    if (image) {
        if (!alt || !*alt)
            return cli_usage_error(call, "%s",
                                   "an image creative needs --alt TEXT (what the image says)");
        if (!url)
            return cli_usage_error(call, "%s",
                                   "an image creative needs --url URL (where a click leads)");
        if (!ads_url_valid(url))
            return cli_usage_error(call, "'%s' is not an http:// or https:// address", url);
    } else if (alt || url) {
        return cli_usage_error(call, "%s",
                               "an HTML creative takes no --alt or --url: its tag makes its own "
                               "link");
    }
    long width = 0, height = 0;
    if (!width_text != !height_text)
        return cli_usage_error(call, "%s", "give --width and --height together");
    if (width_text && (cmd_parse_whole(width_text, 1, ADS_DIMENSION_MAX, &width) < 0 ||
                       cmd_parse_whole(height_text, 1, ADS_DIMENSION_MAX, &height) < 0))
        return cli_usage_error(call, "'%s' by '%s' is not a size (whole pixels from 1 to %d)",
                               width_text, height_text, ADS_DIMENSION_MAX);

    struct store *st = cli_store(call);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    char *tag = NULL;
    int rc = 1;
    struct creative k;
    memset(&k, 0, sizeof k);
    int status = store_campaign_by_slug(st, a, call->arguments[0], &k.campaign);
    if (status == STORE_NOT_FOUND) {
        fprintf(stderr, "broadsheet: no campaign %s (see `broadsheet ads campaign list`)\n",
                call->arguments[0]);
        goto out;
    }
    if (status != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot read the campaign %s\n", call->arguments[0]);
        goto out;
    }
    k.placement = placement;
    k.width = k.height = 0;
    if (image) {
        char err[600];
        enum ads_image_status stored =
            ads_store_image(call->config.uploads, image, a, &k.image_path, &k.image_type, &k.width,
                            &k.height, err, sizeof err);
        if (stored != ADS_IMAGE_OK) {
            fprintf(stderr, "broadsheet: %s\n", err);
            rc = stored == ADS_IMAGE_INVALID ? CLI_USAGE : 1;
            goto out;
        }
        if (!width_text && !k.width) {
            fprintf(stderr,
                    "broadsheet: %s: cannot tell the image's size; give --width and "
                    "--height\n",
                    image);
            rc = CLI_USAGE;
            goto out;
        }
        k.kind = "image";
        k.alt = alt;
        k.click_url = url;
    } else {
        if ((rc = read_ad_tag(html_file, &tag)) != 0)
            goto out;
        rc = 1;
        k.kind = "html";
        k.html = tag;
        ads_placement_size(k.placement, &k.width, &k.height);
    }
    if (width_text) {
        k.width = (int)width;
        k.height = (int)height;
    }
    int64_t id;
    if (store_creative_add(st, &k, &id) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot add the creative\n");
        goto out;
    }
    printf("added creative %lld to %s: %s %s, %dx%d%s%s\n", (long long)id, k.campaign.slug,
           k.placement, k.kind, k.width, k.height, image ? ", " : "", image ? k.image_path : "");
    rc = 0;
out:
    free(tag);
    arena_free(a);
    return rc;
}

static int command_ads_creative_list(struct cli_call *call)
{
    struct store *st = cli_store(call);
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
    return rc;
}

static int command_ads_creative_remove(struct cli_call *call)
{
    long id;
    if (cmd_parse_whole(call->arguments[0], 1, LONG_MAX, &id) < 0)
        return cli_usage_error(call,
                               "'%s' is not a creative id (see `broadsheet ads creative list`)",
                               call->arguments[0]);
    struct store *st = cli_store(call);
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
    return rc;
}

static int command_ads_report(struct cli_call *call)
{
    const char *from = cli_value(call, "from");
    const char *to = cli_value(call, "to");
    int64_t ignored;
    if (from && cmd_parse_day_end(from, &ignored) < 0)
        return cli_usage_error(call, "'%s' is not a date (YYYY-MM-DD)", from);
    if (to && cmd_parse_day_end(to, &ignored) < 0)
        return cli_usage_error(call, "'%s' is not a date (YYYY-MM-DD)", to);
    struct store *st = cli_store(call);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    struct ad_report_row *rows;
    size_t n;
    int rc = 1;
    if (store_ad_report(st, a, from, to, &rows, &n) != STORE_OK) {
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
    return rc;
}

static const struct cli_option campaign_add_options[] = {
    {"name", "NAME", 0}, {"start", "YYYY-MM-DD", 0}, {"end", "YYYY-MM-DD", 0},
    {"weight", "N", 0},  {"publication", "SLUG", 0}, {"section", "SLUG", 0},
    {NULL, NULL, 0},
};

static const struct cli_option creative_add_options[] = {
    {"placement", "interstitial|leaderboard|in-article|sidebar", CLI_REQUIRED},
    {"image", "FILE", 0},
    {"alt", "TEXT", 0},
    {"url", "URL", 0},
    {"html-file", "FILE", 0},
    {"width", "W", 0},
    {"height", "H", 0},
    {"uploads", "DIR", CLI_CONFIG},
    {NULL, NULL, 0},
};

static const struct cli_option report_options[] = {
    {"from", "YYYY-MM-DD", 0},
    {"to", "YYYY-MM-DD", 0},
    {NULL, NULL, 0},
};

const struct cli_command cmd_ads[] = {
    {"ads campaign add", "SLUG", campaign_add_options, CLI_STORE,
     "create or update (by SLUG) an ad campaign, running from the start of --start to the end "
     "of --end (UTC); a new campaign needs --name, --start and --end; --weight (1 to 1000000, "
     "default 1) is its share among the campaigns that could fill the same slot; --publication "
     "and --section target it (\"\" or left out: any); options left out keep an existing "
     "campaign's values",
     command_ads_campaign_add},
    {"ads campaign list", "", NULL, CLI_STORE,
     "list campaigns: dates, state, weight, targeting, creatives", command_ads_campaign_list},
    {"ads campaign remove", "SLUG", NULL, CLI_STORE,
     "delete a campaign with its creatives and their counts", command_ads_campaign_remove},
    {"ads creative add", "CAMPAIGN", creative_add_options, CLI_STORE,
     "add a creative to a campaign: an image (--image FILE --alt TEXT --url URL: PNG, JPEG, "
     "GIF, WebP or SVG, at most 2 MiB, copied into the uploads directory) with its text "
     "alternative and the http(s) address a click leads to; or an HTML ad tag (--html-file "
     "FILE: a Google Ad Manager tag, say), which runs in a sandboxed frame; the size is the "
     "image's own, or the placement's usual one for a tag, unless given",
     command_ads_creative_add},
    {"ads creative list", "", NULL, CLI_STORE, "list creatives with their campaigns",
     command_ads_creative_list},
    {"ads creative remove", "ID", NULL, CLI_STORE, "delete a creative and its counts",
     command_ads_creative_remove},
    {"ads report", "", report_options, CLI_STORE,
     "impressions, clicks and click-through rate per creative per day (UTC); a running server "
     "writes its counts to the database every few seconds, so the last seconds' may not be in "
     "yet",
     command_ads_report},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
