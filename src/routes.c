/*
 * routes.c: the reader site's URL space. Pages with a render function are cached (route.h);
 * the rest answer for themselves.
 */
#include "pages.h"
#include "route.h"

#define GET_HEAD (METHOD_GET | METHOD_HEAD)

const struct route routes[] = {
    {GET_HEAD, "/", page_home, NULL},
    {GET_HEAD, "/articles/:slug", page_article, NULL},
    {GET_HEAD, "/sections/:slug", page_section, NULL},
    {GET_HEAD, "/publications/:slug", page_publication, NULL},
    {GET_HEAD, "/static/:file", NULL, page_static},
    {GET_HEAD, "/healthz", NULL, page_health},
};

const size_t route_count = sizeof routes / sizeof routes[0];
