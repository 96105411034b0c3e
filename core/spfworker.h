/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spfworker - the separate, unprivileged process that evaluates SPF.
 *
 * SPF evaluation reads attacker-controlled DNS data, so it runs apart from
 * the process that holds DKIM keys and Redis credentials (privilege
 * separation, as Postfix and OpenSMTPD do it).  spfclient_start() forks
 * and re-executes the program itself with SPFWORKER_ARG as its first
 * argument (nothing of the parent's memory survives the exec) and the
 * control socket as file descriptor SPFWORKER_FD; every other descriptor
 * is closed.  The program's main() hands such a call to spfworker_main().
 *
 * spfworker_main() is a small supervisor: it becomes spf_user (when
 * started as root), sets PR_SET_NO_NEW_PRIVS, no core files, not
 * dumpable, an address-space limit, then forks the worker and starts a
 * new one whenever it dies (a crash in DNS or record handling costs the
 * requests in flight, which the client answers with temperror).  The
 * worker serves requests with a fixed pool of spf_max_concurrent threads,
 * each reading the control socket; at most spf_max_concurrent_per_domain
 * of them evaluate the same domain (the one the identity names, compared
 * without case) at once, and a request over that is answered temperror
 * at once, so that a domain whose DNS is slow (a query dropped costs up
 * to spf_timeout) cannot hold every thread while other domains wait: a request is one SOCK_SEQPACKET
 * message carrying a struct spfworker_msg and, with SCM_RIGHTS, the
 * descriptor on which to answer with a struct spfcheck_res.  When the
 * control socket closes (the front end exited), worker and supervisor
 * exit.
 */
#ifndef RG_SPFWORKER_H
#define RG_SPFWORKER_H

#include <stdint.h>

#include "spfcheck.h"

#define SPFWORKER_ARG "--spf-worker"
#define SPFWORKER_FD 3
#define SPFWORKER_MAGIC 0x52475346u	/* "RGSF" */

/* One request on the control socket. */
struct spfworker_msg {
	uint32_t magic;
	uint32_t size;			/* sizeof(struct spfworker_msg) */
	int64_t deadline_sec;		/* CLOCK_MONOTONIC: give up after */
	int64_t deadline_nsec;
	struct spfcheck_req req;
};

/* The supervisor's first message: "ok", or why it cannot serve. */
struct spfworker_hello {
	uint32_t magic;
	int32_t status;			/* 0 ready, else failed */
	char text[256];
};

int spfworker_main(int argc, char **argv);

#endif
