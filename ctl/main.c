/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * relayguardctl - the administration command: options common to every
 * command, the command table, exit codes (ctl.h, relayguardctl(8)).
 *
 *	relayguardctl [-c config] [--json] COMMAND [ARGS...]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "ctl.h"
#include "log.h"

#define CTL_VERSION "0.1.0"

/* ctl_usage - the synopsis on stdout (asked for) or stderr (a mistake) */
static int
ctl_usage(FILE *fp, int rc)
{
	fputs("usage: relayguardctl [-c config] [--json] command [args]\n"
	      "\n"
	      "commands:\n"
	      "  dkim keygen -d DOMAIN -s SELECTOR [-a rsa|ed25519] [-b BITS]\n"
	      "              [-o FILE | -D DIR] [--force]\n"
	      "                       make a key pair, print the TXT record\n"
	      "  dkim check [-S NAMESERVER] [KEYNAME...]\n"
	      "                       compare the keys of key_table with DNS\n"
	      "  report [-o FILE] [-f AUDITFILE]... [--since AGE] [--top N]\n"
	      "                       HTML report from the audit trail\n"
	      "  audit tail [-n N]    latest records of the audit stream\n"
	      "  quota show SUBJECT   used, limit, remaining, reset per limit\n"
	      "  quota reset SUBJECT [LIMIT] | unset SUBJECT [LIMIT]\n"
	      "  quota set SUBJECT LIMIT AMOUNT[/PERIOD] [--ttl TIME]\n"
	      "  block SUBJECT [--for TIME|--until DATE] [--reason TEXT]\n"
	      "        [--action tempfail|reject|hold|log]; block show SUBJECT\n"
	      "  unblock SUBJECT [--forget] [--reason TEXT]\n"
	      "  reputation SUBJECT   counts of the last hour and day\n"
	      "  top [--window TIME] [--refused] [-n N]\n"
	      "  explain --to ADDR... [--client IP] [--helo NAME] [--login L]\n"
	      "        [--from ADDR] [--header-from ADDR] [--size N] [--no-spf]\n"
	      "                       every check of a described message\n"
	      "SUBJECT: login:L sender:A domain:D customer:C ip:A net:A\n"
	      "\n"
	      "exit: 0 ok, 1 negative result, 2 usage, 3 Redis/DNS "
	      "unavailable,\n"
	      "      4 not yet available, 5 local failure, 78 bad "
	      "configuration\n", fp);
	return rc;
}

static const struct {
	const char *name;
	ctl_cmd_fn *fn;
} ctl_cmds[] = {
	{"dkim", ctl_dkim},
	{"report", ctl_report},
	{"audit", ctl_audit},
	{"quota", ctl_quota},
	{"block", ctl_block},
	{"unblock", ctl_unblock},
	{"top", ctl_top},
	{"reputation", ctl_reputation},
	{"explain", ctl_explain},
};

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct ctl c = {.conf_path = conf_default_path(), .json = false};
	size_t i;
	int ch;

	c.out = stdout;
	log_open("relayguardctl", true, 0);
	/* the commands say what matters themselves; the core's routine
	 * notes (a script loaded into Redis) are not for the terminal */
	log_set_level(LOG_LEVEL_WARN);
	/* "+": global options end at the command name */
	while ((ch = getopt_long(argc, argv, "+c:jhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			c.conf_path = optarg;
			break;
		case 'j':
			c.json = true;
			break;
		case 'h':
			return ctl_usage(stdout, CTL_OK);
		case 'V':
			printf("relayguardctl %s\n", CTL_VERSION);
			return CTL_OK;
		default:
			return ctl_usage(stderr, CTL_USAGE);
		}
	}
	if (optind >= argc)
		return ctl_usage(stderr, CTL_USAGE);
	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
		if (strcmp(argv[optind], ctl_cmds[i].name) == 0) {
			int n = argc - optind;
			char **v = argv + optind;

			optind = 0;	/* the command parses its own options */
			return ctl_cmds[i].fn(&c, n, v);
		}
	}
	ctl_error("%s: unknown command (relayguardctl -h lists them)",
		  argv[optind]);
	return CTL_USAGE;
}
