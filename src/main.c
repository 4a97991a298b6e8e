/*
 * main.c: the `broadsheet` command. Everything it does is a row of the command table: cli.c
 * parses and dispatches (cli.h), the commands live in cmd_*.c by subject (cmd.h), and the
 * server's loop in server.c.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>

#include "cli.h"
#include "cmd.h"

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* Test harnesses ask the server to die with them, so no server outlives its test. */
    const char *die = getenv("BROADSHEET_DIE_WITH_PARENT");
    if (die && *die == '1')
        prctl(PR_SET_PDEATHSIG, SIGTERM);
    return cli_run(cmd_tables, argc, argv, stdout, stderr);
}
