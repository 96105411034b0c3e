/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * relayguard - the milter daemon: options, startup, privileges, reload.
 *
 *	relayguard [-f] [-c FILE]	serve (daemon, or -f in the foreground
 *					with logs on stderr)
 *	relayguard -n [-c FILE]		check the configuration and every key
 *	relayguard -d			print every setting's default
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <syslog.h>
#include <unistd.h>

#include "audit.h"
#include "generation.h"
#include "daemon.h"
#include "engine.h"
#include "hostport.h"
#include "log.h"
#include "metrics_http.h"
#include "milter.h"
#include "sigwait.h"
#include "spfclient.h"
#include "spfworker.h"

#define RELAYGUARD_VERSION "0.1.0"
#define EX_CONFIG_STATUS 78	/* sysexits.h EX_CONFIG, as OpenDKIM */

static const char *main_conf_path;
/* metrics_listen as started: a change needs a restart */
static char main_metrics_listen[512];

/* usage - print the synopsis and exit */
static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: relayguard [-f] [-c config]   run the milter\n"
		"       relayguard -n [-c config]     check the configuration\n"
		"       relayguard -d                 print the defaults\n"
		"       relayguard -V                 print the version\n");
	exit(status);
}

/* main_summary - the one line -n and startup print */
static void
main_summary(const struct generation *cfg, char *buf, size_t size)
{
	size_t nk = cfg->keys ? keytable_key_count(cfg->keys) : 0;
	size_t ns = cfg->keys ? keytable_sign_count(cfg->keys) : 0;

	size_t no = owner_map_count(cfg->owners);

	snprintf(buf, size,
		 "%s: %zu key%s, %zu signing table entr%s, %zu sender login "
		 "map entr%s, socket %s%s",
		 cfg->conf->path, nk, nk == 1 ? "" : "s", ns,
		 ns == 1 ? "y" : "ies", no, no == 1 ? "y" : "ies",
		 cfg->conf->socket,
		 dkimsign_lib_has_ed25519(cfg->dkim) ? ", ed25519 available"
						     : "");
}

/* main_check_socket - what can be checked of the socket without binding:
 * the group of a unix socket */
static int
main_check_socket(const struct generation *cfg, struct err *e)
{
	const char *s = cfg->conf->socket;
	gid_t gid;

	if (strncmp(s, "unix:", 5) == 0 || strncmp(s, "local:", 6) == 0 ||
	    s[0] == '/')
		return generation_group(cfg, "socket_group", &gid, e);
	return 0;
}

/* main_reload - SIGHUP: build a new generation, or keep the old one */
static void
main_reload(void)
{
	struct generation *cfg = NULL;
	struct audit_opts ao;
	struct err e;
	char sum[512];

	if (generation_load(main_conf_path, &cfg, &e) < 0) {
		log_error("reload failed, keeping the running configuration: %s",
			  e.text);
		audit_reopen();	/* SIGHUP after log rotation still counts */
		return;
	}
	main_summary(cfg, sum, sizeof(sum));
	audit_opts_from_conf(&ao, cfg->conf);
	audit_reload(&ao);
	if (strcmp(cfg->conf->metrics_listen, main_metrics_listen) != 0)
		log_warn("metrics_listen changed to \"%s\": it takes effect "
			 "at the next restart", cfg->conf->metrics_listen);
	milter_config_set(cfg);
	log_info("reloaded configuration (generation %u): %s",
		 cfg->generation, sum);
}

/* main_metrics_start - the /metrics endpoint, when configured; bound
 * before privileges are dropped (a port below 1024 is allowed) */
static void
main_metrics_start(const struct conf *c)
{
	struct hostport hp;
	struct err e;

	(void)snprintf(main_metrics_listen, sizeof(main_metrics_listen), "%s",
		       c->metrics_listen);
	if (c->metrics_listen[0] == '\0')
		return;
	if (hostport_parse(c->metrics_listen, "127.0.0.1", false, &hp, &e) <
		    0 ||
	    metrics_http_start(&hp, METRICS_HTTP_TIMEOUT_MS, &e) < 0)
		log_fatal("%s", e.text);
}

/* main_audit_start - the audit writer, when configured (after the
 * privilege drop: the file is created as the run-time user) */
static void
main_audit_start(const struct conf *c)
{
	struct audit_opts ao;
	struct err e;

	audit_opts_from_conf(&ao, c);
	if (audit_start(&ao, &e) < 0)
		log_fatal("%s", e.text);
}

/* main_block_signals - see main() */
static void
main_block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		perror("relayguard: signal setup");
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	bool foreground = false;
	bool check = false;
	struct generation *cfg = NULL;
	struct spfclient *spf = NULL;
	struct err e;
	char sum[512];
	char pid_path[4096];
	int ready_fd = -1;
	int ch;
	int rc;

	/* the SPF process: this program re-executed (spfworker.h) */
	if (argc > 1 && strcmp(argv[1], SPFWORKER_ARG) == 0)
		return spfworker_main(argc, argv);
	main_conf_path = conf_default_path();
	while ((ch = getopt(argc, argv, "c:dfhnV")) != -1) {
		switch (ch) {
		case 'c':
			main_conf_path = optarg;
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
			printf("relayguard %s\n", RELAYGUARD_VERSION);
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

	/*
	 * SIGHUP stays pending until libmilter's signal thread waits for it
	 * (see sigwait.c), so an early reload request cannot kill us; every
	 * thread inherits this mask.  A peer that hangs up must not kill
	 * the process either: writes then fail with EPIPE.
	 */
	main_block_signals();
	log_open("relayguard", true, LOG_MAIL);
	log_set_fatal_status(EX_CONFIG_STATUS);
	if (generation_load(main_conf_path, &cfg, &e) < 0 ||
	    main_check_socket(cfg, &e) < 0)
		log_fatal("%s", e.text);
	main_summary(cfg, sum, sizeof(sum));
	if (check) {
		printf("relayguard: configuration ok: %s\n", sum);
		generation_unref(cfg);
		return 0;
	}
	log_set_fatal_status(1);
	log_set_level(cfg->conf->log_level);
	if (!foreground)
		log_open("relayguard", false, cfg->conf->syslog_facility);

	if (milter_open(cfg) < 0)
		log_fatal("cannot start the milter");
	if (!foreground)
		ready_fd = daemon_detach();
	daemon_pid_file(cfg->conf->pid_file);
	/* cfg may be replaced by a reload: keep what exit needs */
	snprintf(pid_path, sizeof(pid_path), "%s", cfg->conf->pid_file);
	/* SPF runs in its own unprivileged process, started while we are
	 * still root and before any thread exists (spfclient.h) */
	if (cfg->conf->spf_check &&
	    (spf = spfclient_start(cfg->conf, foreground, &e)) == NULL)
		log_fatal("%s", e.text);
	engine_set_spf(spf);
	main_metrics_start(cfg->conf);
	daemon_drop_privileges(cfg->user_uid, cfg->user_gid, cfg->conf->user,
			       cfg->conf->path);
	main_audit_start(cfg->conf);
	milter_config_set(cfg);
	sigwait_set_hup_hook(main_reload);
	log_info("starting relayguard %s: %s", RELAYGUARD_VERSION, sum);
	daemon_ready(ready_fd);

	rc = milter_run();
	log_info("stopping relayguard%s", rc == 0 ? "" : " after an error");
	audit_stop(5000);	/* what is queued, bounded by its sinks */
	metrics_http_stop();
	/* drop the running generation (keys wiped); a connection libmilter
	 * did not close keeps its own reference, which is fine at exit */
	milter_config_set(NULL);
	spfclient_stop(spf);
	if (pid_path[0] != '\0')
		(void)unlink(pid_path); /* may fail after dropping root: ok */
	return rc == 0 ? 0 : 1;
}
