/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * limit_lua - print a limit script's text, for tests that load it into
 * Redis themselves (tests/integration/limit_module_diff.py):
 *
 *	limit_lua [admin]	the decision script (default) or the admin
 *				script of core/limit_redis.c
 */
#include <stdio.h>
#include <string.h>

#include "limit_redis.h"

/* main - the script on stdout */
int
main(int argc, char **argv)
{
	const char *text = limit_redis_lua;

	if (argc > 1 && strcmp(argv[1], "admin") == 0)
		text = limit_redis_admin_lua;
	else if (argc > 1) {
		fprintf(stderr, "usage: limit_lua [admin]\n");
		return 2;
	}
	if (fputs(text, stdout) == EOF || fflush(stdout) == EOF)
		return 1;
	return 0;
}
