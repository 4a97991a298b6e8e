/*
 * page_static.c: /static/FILE (the theme's assets, assets.h) and /healthz.
 */
#include <string.h>

#include "app.h"
#include "assets.h"
#include "pages.h"
#include "respond.h"

enum MHD_Result page_static(struct req *r)
{
    struct entity *e = assets_find(r->app->assets, r->params[0]);
    if (!e)
        return respond_error(r, 404);
    return respond_entity(r, e);
}

enum MHD_Result page_health(struct req *r)
{
    int64_t seq;
    if (store_change_seq(r->app->store, &seq) != STORE_OK)
        return respond_text(r, 503, "database unavailable\n");
    return respond_text(r, 200, "ok\n");
}
