/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * relayguard-policyd - the Postfix policy service: its table and callbacks
 * for the daemon skeleton (service.h); the serving is in policy_server.c.
 *
 *	relayguard-policyd [-f] [-c FILE]	serve (daemon, or -f in the
 *						foreground)
 *	relayguard-policyd -n [-c FILE]		check the configuration
 *	relayguard-policyd -d			print every setting's default
 *
 * It reads relayguard's configuration file (the policy_* keys and the
 * shared ones) but no DKIM key: it signs nothing.
 */
#include <signal.h>
#include <stddef.h>

#include "generation.h"
#include "log.h"
#include "policy_server.h"
#include "policy_sock.h"
#include "service.h"
#include "str.h"

#define POLICYD_VERSION "0.1.0"

static struct policy_sock main_sock = {.fd = -1};
static struct policy_server *main_srv;

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

/* main_open - bind and listen (as root) */
static int
main_open(struct generation *cfg, struct err *e)
{
	struct err why;

	if (policy_sock_open(cfg, &main_sock, &why) < 0) {
		err_set(e, "cannot open the policy socket: %s", why.text);
		return -1;
	}
	return 0;
}

/* main_start - the server takes the first generation */
static int
main_start(struct generation *cfg, struct err *e)
{
	main_srv = policy_server_new(cfg, service_conf_path(), &main_sock, e);
	return main_srv == NULL ? -1 : 0;
}

/* main_notes - what an admin should know after the starting line */
static void
main_notes(const struct generation *cfg)
{
	if (cfg->conf->own_domains.count == 0 &&
	    cfg->conf->own_domain_action != CONF_ACTION_ACCEPT)
		log_info("own_domains is empty: outside clients using our "
			 "domains are checked by the milter only (this service "
			 "reads no SigningTable)");
}

/* main_run - the event loop until SIGTERM or SIGINT */
static int
main_run(void)
{
	(void)policy_server_run(main_srv);
	return 0;
}

/* main_stop - the server, then the socket */
static void
main_stop(void)
{
	policy_server_free(main_srv);
	main_srv = NULL;
	policy_sock_close(&main_sock);
}

/* SIGHUP, SIGTERM and SIGINT go to the server's signal thread */
static const int main_signals[] = {SIGHUP, SIGTERM, SIGINT, 0};

static const struct service_desc main_desc = {
	.name = "relayguard-policyd",
	.version = POLICYD_VERSION,
	.usage = "run the policy service",
	.load_flags = GENERATION_NO_SIGNING,
	.signals = main_signals,
	.socket_key = "policy_socket",
	.socket_mode_key = "policy_socket_mode",
	.socket_group_key = "policy_socket_group",
	.pid_file_key = "policy_pid_file",
	.metrics_key = "policy_metrics_listen",
	.check = NULL,
	.summary = main_summary,
	.open = main_open,
	.start = main_start,
	.notes = main_notes,
	.run = main_run,
	.stop = main_stop,
};

int
main(int argc, char **argv)
{
	return service_main(argc, argv, &main_desc);
}
