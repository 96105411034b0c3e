/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * relayguard-policyd - the Postfix policy service: options, startup,
 * privileges; the serving is in policy_server.c.
 *
 *	relayguard-policyd [-f] [-c FILE]	serve (daemon, or -f in the
 *						foreground, logs on stderr)
 *	relayguard-policyd -n [-c FILE]		check the configuration
 *	relayguard-policyd -d			print every setting's default
 *
 * It reads relayguard's configuration file (the policy_* keys and the
 * shared ones) but no DKIM key: it signs nothing.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "audit.h"
#include "generation.h"
#include "daemon.h"
#include "engine.h"
#include "hostport.h"
#include "log.h"
#include "policy_server.h"
#include "metrics_http.h"
#include "policy_sock.h"
#include "spfclient.h"
#include "spfworker.h"
#include "str.h"

#define POLICYD_VERSION "0.1.0"
#define POLICYD_NAME "relayguard-policyd"
#define EX_CONFIG_STATUS 78	/* sysexits.h EX_CONFIG */

/* usage - print the synopsis and exit */
static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: " POLICYD_NAME " [-f] [-c config]   run the policy "
		"service\n"
		"       " POLICYD_NAME " -n [-c config]     check the "
		"configuration\n"
		"       " POLICYD_NAME " -d                 print the defaults\n"
		"       " POLICYD_NAME " -V                 print the version\n");
	exit(status);
}

/* main_signals - SIGHUP, SIGTERM and SIGINT go to the server's signal
 * thread: blocked here, before any thread exists, so every thread
 * inherits the mask; a peer that hangs up must not kill us (EPIPE) */
static void
main_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		perror(POLICYD_NAME ": signal setup");
		exit(1);
	}
}

/* main_summary - the one line -n and startup print */
static void
main_summary(const struct generation *cfg, char *buf, size_t size)
{
	const struct conf *c = cfg->conf;

	(void)str_format(buf, size,
			 "%s: socket %s, %lu workers, at most %lu connections",
			 c->path, c->policy_socket, c->policy_workers,
			 c->policy_max_connections);
}

int
main(int argc, char **argv)
{
	const char *conf_path = conf_default_path();
	bool foreground = false;
	bool check = false;
	struct generation *cfg = NULL;
	struct policy_server *srv;
	struct policy_sock sock;
	struct err e;
	char sum[1024];
	char pid_path[4096];
	int ready_fd = -1;
	struct spfclient *spf = NULL;
	struct audit_opts ao;
	struct hostport hp;
	int ch;

	/* the SPF process: this program re-executed (spfworker.h) */
	if (argc > 1 && strcmp(argv[1], SPFWORKER_ARG) == 0)
		return spfworker_main(argc, argv);
	while ((ch = getopt(argc, argv, "c:dfhnV")) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'd':
			conf_print_defaults(stdout);
			return 0;
		case 'f':
			foreground = true;
			break;
		case 'n':
			check = true;
			break;
		case 'V':
			printf(POLICYD_NAME " %s\n", POLICYD_VERSION);
			return 0;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);

	main_signals();
	log_open(POLICYD_NAME, true, LOG_MAIL);
	log_set_fatal_status(EX_CONFIG_STATUS);
	if (generation_load_flags(conf_path, GENERATION_NO_SIGNING, &cfg, &e) < 0 ||
	    policy_sock_check(cfg, &e) < 0)
		log_fatal("%s", e.text);
	main_summary(cfg, sum, sizeof(sum));
	if (check) {
		printf(POLICYD_NAME ": configuration ok: %s\n", sum);
		generation_unref(cfg);
		return 0;
	}
	log_set_level(cfg->conf->log_level);
	if (!foreground)
		log_open(POLICYD_NAME, false, cfg->conf->syslog_facility);
	/* from here on a failure is not the file's fault */
	log_set_fatal_status(1);
	if (policy_sock_open(cfg, &sock, &e) < 0)
		log_fatal("cannot open the policy socket: %s", e.text);
	if (!foreground)
		ready_fd = daemon_detach();
	daemon_pid_file(cfg->conf->policy_pid_file);
	/* a reload may replace cfg: keep what exit needs */
	if (str_copy(pid_path, sizeof(pid_path), cfg->conf->policy_pid_file) <
	    0)
		pid_path[0] = '\0';
	/* SPF runs in its own unprivileged process, started while we are
	 * still root and before any thread exists (spfclient.h) */
	if (cfg->conf->spf_check &&
	    (spf = spfclient_start(cfg->conf, foreground, &e)) == NULL)
		log_fatal("%s", e.text);
	engine_set_spf(spf);
	if (cfg->conf->policy_metrics_listen[0] != '\0' &&
	    (hostport_parse(cfg->conf->policy_metrics_listen, "127.0.0.1",
			    false, &hp, &e) < 0 ||
	     metrics_http_start(&hp, 5000, &e) < 0))
		log_fatal("%s", e.text);
	daemon_drop_privileges(cfg->user_uid, cfg->user_gid, cfg->conf->user,
			       cfg->conf->path);
	/* the audit writer after the drop: files are the run-time user's */
	audit_opts_from_conf(&ao, cfg->conf);
	if (audit_start(&ao, &e) < 0)
		log_fatal("%s", e.text);
	srv = policy_server_new(cfg, conf_path, &sock, &e);
	if (srv == NULL)
		log_fatal("cannot start: %s", e.text);
	log_info("starting " POLICYD_NAME " %s: %s", POLICYD_VERSION, sum);
	if (cfg->conf->own_domains.count == 0 &&
	    cfg->conf->own_domain_action != CONF_ACTION_ACCEPT)
		log_info("own_domains is empty: outside clients using our "
			 "domains are checked by the milter only (this service "
			 "reads no SigningTable)");
	daemon_ready(ready_fd);

	(void)policy_server_run(srv);
	log_info("stopping " POLICYD_NAME);
	policy_server_free(srv);
	policy_sock_close(&sock);
	audit_stop(5000);
	metrics_http_stop();
	spfclient_stop(spf);
	if (pid_path[0] != '\0')
		(void)unlink(pid_path); /* may fail after dropping root: ok */
	return 0;
}
