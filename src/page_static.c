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
    int ok = store_content_version(r->app->store, &version) == STORE_OK;
    const char *body = ok ? "ok\n" : "database unavailable\n";
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    entity_add_common_headers(resp);
    MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    r->answered = 1;
    r->status = ok ? 200 : 503;
    r->bytes = r->method == METHOD_HEAD ? 0 : strlen(body);
    enum MHD_Result result = MHD_queue_response(r->conn, r->status, resp);
    MHD_destroy_response(resp);
    return result;
}
