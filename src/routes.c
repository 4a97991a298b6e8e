/*
 * routes.c: the reader site's URL space. Pages with a render function are cached (route.h);
 * the rest answer for themselves.
 */
#include "pages.h"
#include "route.h"

#define GET_HEAD (METHOD_GET | METHOD_HEAD)
#define FORM (METHOD_GET | METHOD_HEAD | METHOD_POST)

const struct route routes[] = {
    {GET_HEAD, "/", page_home, NULL},
    {GET_HEAD, "/articles/:slug", page_article, NULL},
    {GET_HEAD, "/sections/:slug", page_section, NULL},
    {GET_HEAD, "/publications/:slug", page_publication, NULL},
    {GET_HEAD, "/static/:file", NULL, page_static},
    {GET_HEAD, "/healthz", NULL, page_health},

    /* reader accounts */
    {FORM, "/login", NULL, page_login},
    {METHOD_POST, "/logout", NULL, page_logout},
    {FORM, "/register", NULL, page_register},
    {GET_HEAD, "/verify", NULL, page_verify},
    {GET_HEAD, "/verify-email", NULL, page_verify_email},
    {FORM, "/forgot", NULL, page_forgot},
    {FORM, "/reset", NULL, page_reset},
    {GET_HEAD, "/account", NULL, page_account},
    {METHOD_POST, "/account/name", NULL, page_account_name},
    {METHOD_POST, "/account/email", NULL, page_account_email},
    {METHOD_POST, "/account/password", NULL, page_account_password},
    {METHOD_POST, "/account/verify", NULL, page_account_verify},
    {METHOD_POST, "/account/sessions/end", NULL, page_account_sessions},
    {METHOD_POST, "/account/delete", NULL, page_account_delete},
};

const size_t route_count = sizeof routes / sizeof routes[0];
