/* SPDX-License-Identifier: BSD-2-Clause */
#include "service.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "audit.h"
#include "daemon.h"
#include "engine.h"
#include "hostport.h"
#include "log.h"
#include "metrics_http.h"
#include "spfclient.h"
#include "spfworker.h"
#include "str.h"

/* What the run needs after startup; set once, before any thread. */
static struct {
	const struct service_desc *d;
	const char *conf_path;
	bool foreground;
	bool check;
	bool log_stderr;	/* -e: standard error instead of syslog */
} service;

/* service_conf_path - the configuration file in use */
const char *
service_conf_path(void)
{
	return service.conf_path;
}

/* service_usage - print the synopsis and exit */
static void __attribute__((noreturn))
service_usage(const struct service_desc *d, int status)
{
	fprintf(status ? stderr : stdout,
		"usage: %s [-f] [-e] [-c config]   %s\n"
		"       %s -n [-c config]          check the configuration\n"
		"       %s -d                      print the defaults\n"
		"       %s -V                      print the version\n"
		"  -f  stay in the foreground (logs to syslog, and to the\n"
		"      terminal when there is one)\n"
		"  -e  log to standard error instead of syslog\n",
		d->name, d->usage, d->name, d->name, d->name);
	exit(status);
}

/* service_options - read the command line; returns only to serve or to
 * check (-n) */
static void
service_options(int argc, char **argv, const struct service_desc *d)
{
	int ch;

	while ((ch = getopt(argc, argv, "c:defhnV")) != -1) {
		switch (ch) {
		case 'c':
			service.conf_path = optarg;
			break;
		case 'd':
			conf_print_defaults(stdout);
			exit(0);
		case 'e':
			service.log_stderr = true;
			break;
		case 'f':
			service.foreground = true;
			break;
		case 'n':
			service.check = true;
			break;
		case 'V':
			printf("%s %s\n", d->name, d->version);
			exit(0);
		case 'h':
			service_usage(d, 0);
		default:
			service_usage(d, 2);
		}
	}
	if (optind != argc)
		service_usage(d, 2);
}

/* service_signals - block the program's signals in the one thread there
 * is, so every later thread inherits the mask; a peer that hangs up must
 * not kill us either: writes then fail with EPIPE */
static void
service_signals(const struct service_desc *d)
{
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; d->signals[i] != 0; i++)
		sigaddset(&set, d->signals[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		fprintf(stderr, "%s: signal setup failed\n", d->name);
		exit(1);
	}
}

/* service_log - where the daemon logs: syslog with the configured
 * facility (mail by default), also with -f, as systemd runs it; standard
 * error instead with -e, and as well while it is a terminal (a foreground
 * run, or a start from a shell until the daemon detaches) */
static void
service_log(const struct service_desc *d, int facility, bool detached)
{
	unsigned sinks = LOG_SINK_SYSLOG;

	if (service.log_stderr)
		sinks = LOG_SINK_STDERR;
	else if (!detached && isatty(STDERR_FILENO))
		sinks |= LOG_SINK_STDERR;
	log_open_sinks(d->name, sinks, facility);
}

/* service_unix_path - the file of a unix socket setting, NULL for inet */
static const char *
service_unix_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	return spec[0] == '/' ? spec : NULL;
}

/* service_check - what can be checked without binding */
static int
service_check(const struct service_desc *d, const struct generation *cfg,
	      struct err *e)
{
	gid_t gid;

	if (service_unix_path(conf_string(cfg->conf, d->socket_key)) != NULL &&
	    generation_group(cfg, d->socket_group_key, &gid, e) < 0)
		return -1;
	return d->check != NULL ? d->check(cfg, e) : 0;
}

/* service_open - the socket, as root; a unix socket is made with its mode
 * (umask) and given owner and group through a descriptor of the file,
 * never following a link put in its place */
static void
service_open(const struct service_desc *d, struct generation *cfg)
{
	const char *path = service_unix_path(conf_string(cfg->conf,
							 d->socket_key));
	mode_t mode = (mode_t)conf_ulong(cfg->conf, d->socket_mode_key);
	gid_t gid = (gid_t)-1;
	mode_t old = 0;
	struct err e;
	int rc;

	if (path != NULL) {
		if (generation_group(cfg, d->socket_group_key, &gid, &e) < 0)
			log_fatal("%s", e.text);
		old = umask(0777 & ~mode);
	}
	rc = d->open(cfg, &e);
	if (path != NULL)
		(void)umask(old);
	if (rc < 0)
		log_fatal("%s", e.text);
	if (path != NULL &&
	    daemon_socket_own(path, cfg->user_uid, gid, mode, &e) < 0)
		log_fatal("%s: %s", d->socket_key, e.text);
}

/* service_metrics - the /metrics endpoint, when configured; bound before
 * privileges are dropped (a port below 1024 is allowed) */
static void
service_metrics(const struct service_desc *d, const struct conf *c)
{
	const char *listen = conf_string(c, d->metrics_key);
	struct hostport hp;
	struct err e;

	if (listen[0] == '\0')
		return;
	if (hostport_parse(listen, "127.0.0.1", false, &hp, &e) < 0 ||
	    metrics_http_start(&hp, METRICS_HTTP_TIMEOUT_MS, &e) < 0)
		log_fatal("%s", e.text);
}

/* service_audit - the audit writer, when configured (after the privilege
 * drop: its files are created as the run-time user) */
static void
service_audit(const struct conf *c)
{
	struct audit_opts ao;
	struct err e;

	audit_opts_from_conf(&ao, c);
	if (audit_start(&ao, &e) < 0)
		log_fatal("%s", e.text);
}

/* service_main - see the header */
int
service_main(int argc, char **argv, const struct service_desc *d)
{
	struct generation *cfg = NULL;
	struct spfclient *spf = NULL;
	struct daemon_pid pid;
	struct err e;
	char sum[SERVICE_SUMMARY_MAX];
	char pid_path[4096];
	int ready_fd = -1;
	int rc;

	/* the SPF process: this program re-executed (spfworker.h) */
	if (argc > 1 && strcmp(argv[1], SPFWORKER_ARG) == 0)
		return spfworker_main(argc, argv);
	service.d = d;
	service.conf_path = conf_default_path();
	service_options(argc, argv, d);
	service_signals(d);

	/* -n answers on the terminal; a daemon logs from the first line */
	if (service.check)
		log_open(d->name, true, LOG_MAIL);
	else
		service_log(d, LOG_MAIL, false);
	log_set_fatal_status(SERVICE_EX_CONFIG);
	if (generation_load_flags(service.conf_path, d->load_flags, &cfg,
				  &e) < 0 ||
	    service_check(d, cfg, &e) < 0)
		log_fatal("%s", e.text);
	d->summary(cfg, sum, sizeof(sum));
	if (service.check) {
		printf("%s: configuration ok: %s\n", d->name, sum);
		generation_unref(cfg);
		return 0;
	}
	log_set_level(cfg->conf->log_level);
	service_log(d, cfg->conf->syslog_facility, false);
	/* from here on a failure is not the file's fault */
	log_set_fatal_status(1);

	/* the pid file first: a second instance stops here, before it
	 * could touch the running one's socket */
	if (daemon_pid_lock(conf_string(cfg->conf, d->pid_file_key), &pid,
			    &e) < 0)
		log_fatal("%s", e.text);
	service_open(d, cfg);
	if (!service.foreground) {
		ready_fd = daemon_detach();
		service_log(d, cfg->conf->syslog_facility, true);
	}
	if (daemon_pid_write(&pid, &e) < 0)
		log_fatal("%s", e.text);
	/* a reload may replace cfg: keep what exit needs */
	if (str_copy(pid_path, sizeof(pid_path),
		     conf_string(cfg->conf, d->pid_file_key)) < 0)
		pid_path[0] = '\0';

	/* SPF runs in its own unprivileged process, started while we are
	 * still root and before any thread exists (spfclient.h) */
	if (cfg->conf->spf_check &&
	    (spf = spfclient_start(cfg->conf, service.log_stderr, &e)) == NULL)
		log_fatal("%s", e.text);
	engine_set_spf(spf);
	service_metrics(d, cfg->conf);
	daemon_drop_privileges(cfg->user_uid, cfg->user_gid, cfg->conf->user,
			       cfg->conf->path);
	service_audit(cfg->conf);
	if (d->start(cfg, &e) < 0)
		log_fatal("cannot start: %s", e.text);
	log_info("starting %s %s: %s", d->name, d->version, sum);
	if (d->notes != NULL)
		d->notes(cfg);
	daemon_ready(ready_fd);

	rc = d->run();
	log_info("stopping %s%s", d->name, rc == 0 ? "" : " after an error");
	d->stop();
	audit_stop(SERVICE_AUDIT_DRAIN_MS);	/* what is queued */
	metrics_http_stop();
	spfclient_stop(spf);
	daemon_pid_remove(pid_path, &pid);
	return rc;
}
