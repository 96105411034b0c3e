/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * relayguard - the milter daemon: its table and callbacks for the daemon
 * skeleton (service.h), and the reload.
 *
 *	relayguard [-f] [-c FILE]	serve (daemon, or -f in the foreground)
 *	relayguard -n [-c FILE]		check the configuration and every key
 *	relayguard -d			print every setting's default
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "generation.h"
#include "log.h"
#include "milter.h"
#include "service.h"
#include "sigwait.h"
#include "str.h"

#define RELAYGUARD_VERSION "0.1.0"

/* metrics_listen as started: a change needs a restart */
static char main_metrics_listen[SERVICE_SUMMARY_MAX];

/* main_summary - the one line -n and startup print */
static void
main_summary(const struct generation *cfg, char *buf, size_t size)
{
	size_t nk = cfg->keys ? keytable_key_count(cfg->keys) : 0;
	size_t ns = cfg->keys ? keytable_sign_count(cfg->keys) : 0;
	size_t no = owner_map_count(cfg->owners);

	(void)str_format(buf, size,
			 "%s: %zu key%s, %zu signing table entr%s, %zu sender "
			 "login map entr%s, socket %s%s",
			 cfg->conf->path, nk, nk == 1 ? "" : "s", ns,
			 ns == 1 ? "y" : "ies", no, no == 1 ? "y" : "ies",
			 cfg->conf->socket,
			 dkimsign_lib_has_ed25519(cfg->dkim)
				 ? ", ed25519 available"
				 : "");
}

/* main_reload - SIGHUP: build a new generation, or keep the old one */
static void
main_reload(void)
{
	struct generation *cfg = NULL;
	struct audit_opts ao;
	struct err e;
	char sum[SERVICE_SUMMARY_MAX];

	if (generation_load(service_conf_path(), &cfg, &e) < 0) {
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

/* main_open - register with libmilter and open its socket (as root) */
static int
main_open(struct generation *cfg, struct err *e)
{
	if (milter_open(cfg) < 0) {	/* it logged why */
		err_set(e, "cannot start the milter");
		return -1;
	}
	return 0;
}

/* main_start - the first generation; SIGHUP reloads from now on, in
 * libmilter's signal thread (sigwait.c) */
static int
main_start(struct generation *cfg, struct err *e)
{
	(void)e;
	(void)str_copy(main_metrics_listen, sizeof(main_metrics_listen),
		       cfg->conf->metrics_listen);
	milter_config_set(cfg);
	sigwait_set_hup_hook(main_reload);
	return 0;
}

/* main_run - serve until libmilter stops (SIGTERM, SIGINT) */
static int
main_run(void)
{
	return milter_run() == 0 ? 0 : 1;
}

/* main_stop - drop the running generation (keys wiped); a connection
 * libmilter did not close keeps its own reference, which is fine at exit */
static void
main_stop(void)
{
	milter_config_set(NULL);
}

/*
 * SIGHUP stays pending until libmilter's signal thread waits for it (see
 * sigwait.c), so an early reload request cannot kill us.  SIGTERM and
 * SIGINT are libmilter's: it blocks them itself when it starts its threads.
 */
static const int main_signals[] = {SIGHUP, 0};

static const struct service_desc main_desc = {
	.name = "relayguard",
	.version = RELAYGUARD_VERSION,
	.usage = "run the milter",
	.load_flags = 0,
	.signals = main_signals,
	.socket_key = "socket",
	.socket_mode_key = "socket_mode",
	.socket_group_key = "socket_group",
	.pid_file_key = "pid_file",
	.metrics_key = "metrics_listen",
	.check = NULL,
	.summary = main_summary,
	.open = main_open,
	.start = main_start,
	.notes = NULL,
	.run = main_run,
	.stop = main_stop,
};

int
main(int argc, char **argv)
{
	return service_main(argc, argv, &main_desc);
}
