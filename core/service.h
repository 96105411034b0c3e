/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * service - the daemon skeleton both servers share (in the spirit of
 * Postfix's single_server.c): relayguard (filter/main.c) and
 * relayguard-policyd (policy/main.c) each fill a struct service_desc with
 * their names, their settings and their callbacks, and hand it to
 * service_main() from main().
 *
 * service_main() does, in this order (the order matters for security):
 *   1. argv[1] == SPFWORKER_ARG: this is the SPF process, re-executed by
 *      spfclient_start(); run spfworker_main() and nothing else;
 *   2. options: -c FILE, -f, -e, -n, -d [KEY...], -p, -V, -h (-d and -p
 *      print settings and exit, as postconf -d and -n); logging to syslog (facility
 *      mail until the configuration names another), to standard error
 *      with -e, and also there while it is a terminal;
 *   3. block desc->signals in the one thread there is (every later thread
 *      inherits the mask) and ignore SIGPIPE;
 *   4. load the configuration (generation_load_flags with desc->load_flags)
 *      and check what can be checked without binding (the group of a unix
 *      socket, desc->check); -n stops here;
 *   5. lock the pid file (daemon.h), so a second instance stops before it
 *      could touch the running one's socket;
 *   6. open the socket as root (desc->open), a unix socket made with
 *      umask(0777 & ~mode) and then given owner and group through a
 *      descriptor of the file (daemon_socket_own);
 *   7. detach unless -f, and write the pid;
 *   8. start the SPF process while still root and before any thread
 *      exists (spfclient.h);
 *   9. bind the metrics endpoint (a port below 1024 is allowed) before the
 *      privilege drop;
 *  10. drop privileges to "user" for good;
 *  11. start the audit writer after the drop (its files belong to the
 *      run-time user);
 *  12. desc->start: the front end takes the generation and sets up its
 *      reload; then "starting NAME VERSION: SUMMARY", desc->notes, and the
 *      parent of a detached daemon is told that startup is complete;
 *  13. desc->run serves until told to stop; then desc->stop, the audit
 *      trail is drained, metrics, SPF process and pid file are released,
 *      and desc->run's status is returned.
 *
 * Configuration errors before the socket is opened exit 78 (EX_CONFIG);
 * later failures exit 1.  Callbacks report errors through struct err and
 * return -1; the skeleton logs them (log_fatal).  Not thread-safe: call
 * once from main().  service_conf_path() is the file in use (for reloads).
 */
#ifndef RG_SERVICE_H
#define RG_SERVICE_H

#include <stddef.h>

#include "err.h"
#include "generation.h"

/* Longest summary line ("relayguard: configuration ok: ...") */
#define SERVICE_SUMMARY_MAX 1024
/* How long the audit trail may take to drain at exit */
#define SERVICE_AUDIT_DRAIN_MS 5000
/* EX_CONFIG of sysexits.h, as OpenDKIM and Postfix use it */
#define SERVICE_EX_CONFIG 78

struct service_desc {
	const char *name;		/* program and syslog ident */
	const char *version;
	const char *usage;		/* what it does, for -h */
	unsigned load_flags;		/* generation_load_flags() */
	const int *signals;		/* blocked from the start; 0 ends */
	/* the program's own settings, by conf.c key name */
	const char *socket_key;		/* socket / policy_socket */
	const char *socket_mode_key;
	const char *socket_group_key;
	const char *pid_file_key;
	const char *metrics_key;	/* metrics_listen / ... */
	/* more checks for -n and startup (without binding); may be NULL */
	int (*check)(const struct generation *cfg, struct err *e);
	/* the one summary line of -n and of the starting line */
	void (*summary)(const struct generation *cfg, char *buf, size_t size);
	/* bind and listen on the configured socket (as root) */
	int (*open)(struct generation *cfg, struct err *e);
	/* take the generation, set up reloads (privileges dropped) */
	int (*start)(struct generation *cfg, struct err *e);
	/* log lines after the starting line; may be NULL */
	void (*notes)(const struct generation *cfg);
	/* serve until told to stop; the exit status */
	int (*run)(void);
	/* release what open and start made */
	void (*stop)(void);
};

int service_main(int argc, char **argv, const struct service_desc *d);
const char *service_conf_path(void);

#endif
