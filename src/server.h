/*
 * server.h: running the server. server_run starts the application (app.h), libmicrohttpd
 * (http.h) and the accept loop (listener.h), serves until SIGTERM or SIGINT, drains the
 * requests in flight and returns. Handlers answer through respond.h.
 */
#ifndef BROADSHEET_SERVER_H
#define BROADSHEET_SERVER_H

#include "config.h"
#include "store.h"

/* Serves until a stop signal. Returns 0 after a clean shutdown, -1 if it could not start
 * (printed). */
int server_run(const struct config *config, struct store *store);

#endif
