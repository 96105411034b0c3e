/* SPDX-License-Identifier: BSD-2-Clause */
#include "service.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "audit.h"
#include "daemon.h"
#include "engine.h"
#include "hostport.h"
#include "log.h"
#include "metrics_http.h"
#include "sockspec.h"
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
		"       %s -d [key...]             print the defaults\n"
		"       %s -p [-c config]          print the settings that "
		"differ\n"
		"       %s -V                      print the version\n"
		"  -f  stay in the foreground (logs to syslog, and to the\n"
		"      terminal when there is one)\n"
		"  -e  log to standard error instead of syslog\n",
		d->name, d->usage, d->name, d->name, d->name, d->name);
	exit(status);
}

/* service_options - read the command line; returns only to serve or to
 * check (-n) */
static void
service_options(int argc, char **argv, const struct service_desc *d)
{
	bool defaults = false;
	bool changed = false;
	struct conf *c = NULL;
	struct err e;
	int rc = 0;
	int ch;

	while ((ch = getopt(argc, argv, "c:defhnpV")) != -1) {
		switch (ch) {
		case 'c':
			service.conf_path = optarg;
			break;
		case 'd':
			defaults = true;
			break;
		case 'e':
			service.log_stderr = true;
			break;
		case 'f':
			service.foreground = true;
			break;
		case 'n':
			service.check = true;
			break;
		case 'p':
			changed = true;
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
	if (defaults) {
		/* -d: every default; -d KEY...: those, as postconf -d KEY */
		if (optind == argc)
			conf_print_defaults(stdout);
		for (; optind < argc; optind++) {
			if (conf_print_default(stdout, argv[optind], &e) < 0) {
				fprintf(stderr, "%s: %s\n", d->name, e.text);
				rc = 2;
			}
		}
		exit(rc);
	}
	if (optind != argc)
		service_usage(d, 2);
	if (changed) {
		/* -p: what the file changes, as postconf -n */
		if (conf_load(service.conf_path, &c, &e) < 0) {
			fprintf(stderr, "%s: %s\n", d->name, e.text);
			exit(SERVICE_EX_CONFIG);
		}
		conf_print_changed(stdout, c);
		conf_free(c);
		exit(0);
	}
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

/* The two daemons' sockets: each -n reads both (they share the file),
 * with examples from their defaults. */
static const struct {
	const char *key;
	const char *example_path;
	unsigned example_port;
} service_sockets[] = {
	{"socket", "/var/spool/postfix/relayguard/milter.sock", 8891},
	{"policy_socket", "/var/spool/postfix/relayguard/policy.sock", 10045},
};

/* service_socket - read a socket setting; errors name file, line, key */
static int
service_socket(const struct conf *c, const char *key, struct sockspec *out,
	       struct err *e)
{
	char where[CONF_WHERE_MAX];
	struct err why;
	size_t i;

	for (i = 0; i < sizeof(service_sockets) / sizeof(service_sockets[0]);
	     i++) {
		if (strcmp(service_sockets[i].key, key) != 0)
			continue;
		if (sockspec_parse(conf_string(c, key),
				   service_sockets[i].example_path,
				   service_sockets[i].example_port, out,
				   &why) == 0)
			return 0;
		conf_where(c, key, where, sizeof(where));
		err_set(e, "%s: %s", where, why.text);
		return -1;
	}
	log_panic("service: %s is not a socket setting", key);
}

/* service_dir - the directory of an absolute file name must exist */
static int
service_dir(const struct conf *c, const char *key, const char *file,
	    const char *fix, struct err *e)
{
	char where[CONF_WHERE_MAX];
	char dir[4096];
	struct stat st;
	char *slash;

	if (str_copy(dir, sizeof(dir), file) < 0 ||
	    (slash = strrchr(dir, '/')) == NULL)
		return 0;	/* not ours to judge: open() will say */
	*slash = '\0';
	if (dir[0] == '\0')
		return 0;
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	conf_where(c, key, where, sizeof(where));
	err_set(e, "%s: the directory %s %s (%s)", where, dir,
		stat(dir, &st) == 0 ? "is not a directory" : "does not exist",
		fix);
	return -1;
}

/* service_user_exists - a user setting names a user (and spf_user never
 * root: the SPF process would refuse to run) */
static int
service_user_exists(const struct conf *c, const char *key, bool root_ok,
		    struct err *e)
{
	const char *name = conf_string(c, key);
	char where[CONF_WHERE_MAX];
	struct passwd pw;
	struct passwd *res = NULL;
	char buf[4096];
	int rc;

	if (name[0] == '\0')
		return 0;
	rc = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
	conf_where(c, key, where, sizeof(where));
	if (rc != 0 || res == NULL) {
		err_set(e, "%s: no such user \"%s\"%s; create it (Debian: "
			   "adduser --system --group %s) or name an existing "
			   "one", where, name,
			conf_line(c, key) == 0 ? " (the default)" : "", name);
		return -1;
	}
	if (!root_ok && pw.pw_uid == 0) {
		err_set(e, "%s: \"%s\" is root; name an unprivileged user "
			   "such as nobody", where, name);
		return -1;
	}
	return 0;
}

/* service_check - what can fail at start, checked without binding */
static int
service_check(const struct service_desc *d, const struct generation *cfg,
	      struct err *e)
{
	const struct conf *c = cfg->conf;
	const char *pid_file = conf_string(c, d->pid_file_key);
	struct sockspec own;
	struct sockspec other;
	char fix[256];
	gid_t gid;
	size_t i;

	/* both sockets: the file is shared, so is the parser */
	for (i = 0; i < sizeof(service_sockets) / sizeof(service_sockets[0]);
	     i++)
		if (service_socket(c, service_sockets[i].key, &other, e) < 0)
			return -1;
	(void)service_socket(c, d->socket_key, &own, e);
	(void)str_format(fix, sizeof(fix), "make it: owner %s, group %s, "
			 "mode 0750; the relayguard package does",
			 c->user[0] != '\0' ? c->user : "root",
			 conf_string(c, d->socket_group_key)[0] != '\0'
				 ? conf_string(c, d->socket_group_key)
				 : "that of user");
	if (own.family == AF_UNIX &&
	    (generation_group(cfg, d->socket_group_key, &gid, e) < 0 ||
	     service_dir(c, d->socket_key, own.path, fix, e) < 0))
		return -1;
	/* a missing /run/relayguard is made at start (daemon_pid_dir) */
	if (pid_file[0] != '\0' && !daemon_pid_dir_makeable(pid_file) &&
	    service_dir(c, d->pid_file_key, pid_file,
			"make it, e.g. with systemd's RuntimeDirectory=, or "
			"change the setting", e) < 0)
		return -1;
	if (c->spf_check && service_user_exists(c, "spf_user", false, e) < 0)
		return -1;
	if (c->audit_file[0] != '\0' &&
	    service_dir(c, "audit_file", c->audit_file,
			"make it, writable by user", e) < 0)
		return -1;
	return d->check != NULL ? d->check(cfg, e) : 0;
}

/* service_as_user_child - in a child that became the run-time user: what
 * a reload reads, and the audit file it appends to */
static void __attribute__((noreturn))
service_as_user_child(const struct service_desc *d,
		      const struct generation *cfg, int fd)
{
	const char *audit = cfg->conf->audit_file;
	struct generation *again = NULL;
	struct err e;
	char dir[4096];
	char *slash;
	size_t len;

	err_clear(&e);
	if (setgroups(1, &cfg->user_gid) < 0 || setgid(cfg->user_gid) < 0 ||
	    setuid(cfg->user_uid) < 0) {
		err_set(&e, "cannot become user %s: %s", cfg->conf->user,
			strerror(errno));
	} else if (generation_load_flags(service.conf_path, d->load_flags,
					 &again, &e) == 0) {
		generation_unref(again);
		if (audit[0] != '\0' && access(audit, F_OK) == 0 &&
		    access(audit, W_OK) < 0) {
			err_set(&e, "%s: audit_file %s: %s", cfg->conf->path,
				audit, strerror(errno));
		} else if (audit[0] != '\0' &&
			   str_copy(dir, sizeof(dir), audit) == 0 &&
			   (slash = strrchr(dir, '/')) != NULL) {
			*slash = '\0';
			if (access(dir[0] ? dir : "/", W_OK | X_OK) < 0)
				err_set(&e, "%s: audit_file: the directory %s: "
					   "%s", cfg->conf->path, dir,
					strerror(errno));
		}
	}
	len = strlen(e.text);
	_exit(write(fd, e.text, len) == (ssize_t)len ? 0 : 1);
}

/* service_as_user - a reload runs as "user": read everything again as
 * that user, in a child process, as the first SIGHUP will */
static int
service_as_user(const struct service_desc *d, const struct generation *cfg,
		struct err *e)
{
	char text[ERR_TEXT_MAX];
	ssize_t n;
	size_t got = 0;
	int fds[2];
	int status;
	pid_t pid;

	if (cfg->user_uid == (uid_t)-1 || geteuid() != 0)
		return 0;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		err_set(e, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err_set(e, "fork: %s", strerror(errno));
		(void)close(fds[0]);
		(void)close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		(void)close(fds[0]);
		service_as_user_child(d, cfg, fds[1]);
	}
	(void)close(fds[1]);
	while (got < sizeof(text) - 1 &&
	       ((n = read(fds[0], text + got, sizeof(text) - 1 - got)) > 0 ||
		(n < 0 && errno == EINTR)))
		if (n > 0)
			got += (size_t)n;
	text[got] = '\0';
	(void)close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	err_set(e, "a reload (which reads everything again as user %s) "
		   "would fail: %s", cfg->conf->user,
		got > 0 ? text : "the check process died");
	return -1;
}

/* service_warnings - what may be meant, but is worth a word */
static void
service_warnings(const struct generation *cfg)
{
	const struct conf *c = cfg->conf;
	char where[CONF_WHERE_MAX];
	char etc[4096];
	char *slash;

	/* the directory of the default file: /etc/relayguard */
	if (str_copy(etc, sizeof(etc), conf_default_path()) < 0 ||
	    (slash = strrchr(etc, '/')) == NULL)
		etc[0] = '\0';
	else
		*slash = '\0';

	if (c->sender_login_check && owner_map_count(cfg->owners) == 0) {
		conf_where(c, "sender_login_map", where, sizeof(where));
		log_warn("%s: %s while sender_login_check = yes: a SASL "
			 "login may send only as itself, when it is an "
			 "address (sender_login_self); set sender_login_map "
			 "(e.g. sender_login_map = %s/senders) or "
			 "sender_login_check = no", where,
			 c->sender_login_map[0] == '\0' ? "not set"
							: "no entries",
			 etc);
	}
}

/* service_open - the socket, as root; a unix socket is made with its mode
 * (umask) and given owner and group through a descriptor of the file,
 * never following a link put in its place */
static void
service_open(const struct service_desc *d, struct generation *cfg)
{
	mode_t mode = (mode_t)conf_ulong(cfg->conf, d->socket_mode_key);
	const char *path = NULL;
	struct sockspec ss;
	gid_t gid = (gid_t)-1;
	mode_t old = 0;
	struct err e;
	int rc;

	if (service_socket(cfg->conf, d->socket_key, &ss, &e) < 0)
		log_fatal("%s", e.text);	/* checked before: cannot be */
	if (ss.family == AF_UNIX) {
		path = ss.path;
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
		if (service_as_user(d, cfg, &e) < 0)
			log_fatal("%s", e.text);
		service_warnings(cfg);
		printf("%s: configuration ok: %s\n", d->name, sum);
		generation_unref(cfg);
		return 0;
	}
	/* the daemon can start; that the first reload cannot is worth a
	 * warning now, and an error for -n */
	if (service_as_user(d, cfg, &e) < 0)
		log_warn("%s", e.text);
	log_set_level(cfg->conf->log_level);
	service_log(d, cfg->conf->syslog_facility, false);
	/* from here on a failure is not the file's fault */
	log_set_fatal_status(1);

	/* the pid file first: a second instance stops here, before it
	 * could touch the running one's socket */
	if (daemon_pid_dir(conf_string(cfg->conf, d->pid_file_key), &e) < 0 ||
	    daemon_pid_lock(conf_string(cfg->conf, d->pid_file_key), &pid,
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
	service_warnings(cfg);
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
