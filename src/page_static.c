/*
 * page_static.c: /static/FILE (the theme's assets, assets.h) and /healthz.
 */
#include <string.h>

#include "app.h"
#include "assets.h"
#include "pages.h"
#include "server.h"

enum MHD_Result page_static(struct req *r)
{
    struct entity *e = assets_find(r->app->assets, r->params[0]);
    if (!e)
        return server_send_error(r, 404);
    return entity_send(e, r);
}

enum MHD_Result page_health(struct req *r)
{
    int64_t version;
    if (store_content_version(r->app->store, &version) != STORE_OK)
        return server_send_text(r, 503, "database unavailable\n");
    return server_send_text(r, 200, "ok\n");
}
