/*
 * cmd_user.c: `broadsheet user add|role|list`, the operator's side of accounts (staff and
 * readers alike). A password is read from the terminal without echo, or from the first line of
 * standard input, never from the command line, where `ps` would show it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "account.h"
#include "arena.h"
#include "auth.h"
#include "cmd.h"
#include "store.h"
#include "util.h"

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

static int command_user_add(struct cli_call *call)
{
    const char *email = call->arguments[0];
    const char *given_role = cli_value(call, "role"), *given_name = cli_value(call, "name");
    int role = given_role ? store_role_parse(given_role) : ROLE_READER;
    if (role < 0)
        return cli_usage_error(call, "unknown role '%s' (reader, writer, editor or admin)",
                               given_role);
    if (!auth_email_valid(email))
        return cli_usage_error(call, "'%s' is not a valid email address", email);
    /* Checked as the web forms check them: what is stored here is shown to readers, and a name
     * that is not UTF-8 cannot be put in a page (jansson refuses it). */
    const char *problem = account_email_problem(email);
    if (problem)
        return cli_usage_error(call, "%s: %s", email, problem);
    struct arena *a = arena_new(0);
    const char *name = given_name ? account_trim_arena(a, given_name) : email;
    if (!given_name &&
        strlen(name) > ACCOUNT_NAME_MAX) /* default: the address, or its local part */
        name = arena_strndup(a, email, strcspn(email, "@"));
    if ((problem = account_name_problem(name))) {
        arena_free(a);
        return cli_usage_error(call, "--name: %s", problem);
    }
    struct store *st = cli_store(call);
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
    return rc;
}

static int command_user_role(struct cli_call *call)
{
    int role = store_role_parse(call->arguments[1]);
    if (role < 0)
        return cli_usage_error(call, "unknown role '%s' (reader, writer, editor or admin)",
                               call->arguments[1]);
    struct store *st = cli_store(call);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    struct user u;
    int rc = 1;
    if (store_user_by_email(st, a, call->arguments[0], &u) != STORE_OK) {
        fprintf(stderr, "broadsheet: no account %s\n", call->arguments[0]);
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
    return rc;
}

static int command_user_list(struct cli_call *call)
{
    struct store *st = cli_store(call);
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
    return rc;
}

static const struct cli_option user_add_options[] = {
    {"name", "NAME", 0},
    {"role", "reader|writer|editor|admin", 0},
    {NULL, NULL, 0},
};

const struct cli_command cmd_user[] = {
    {"user add", "EMAIL", user_add_options, CLI_STORE,
     "create an account (staff or reader); the password is read from the terminal, or from the "
     "first line of standard input",
     command_user_add},
    {"user role", "EMAIL ROLE", NULL, CLI_STORE, "change an account's role (its sessions end)",
     command_user_role},
    {"user list", "", NULL, CLI_STORE, "list accounts", command_user_list},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
