/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spfclient - the front end's side of the SPF process (spfworker.h).
 *
 * spfclient_start() must be called before the front end drops its
 * privileges and before it starts threads: it forks, closes every
 * descriptor but the control socket, and re-executes the running program
 * (the file /proc/self/exe names) with SPFWORKER_ARG, so the SPF process
 * starts with nothing of ours in memory.  It waits (a few seconds at most)
 * for the process to report that it runs as spf_user, and fails with the
 * reason otherwise.
 *
 * spfclient_check() is blocking, bounded and thread-safe: it sends one
 * request with a fresh socket pair and waits with poll() for the answer up
 * to req->timeout_ms.  It always fills res.  Over the deadline, with the
 * worker dead, busy (control socket full) or gone, or with a malformed
 * answer, res is temperror with the reason, and -1 is returned; 0 means
 * the worker evaluated the request.  Answers are sanitized before use:
 * the worker is not trusted.
 *
 * spfclient_stop() closes the control socket (the SPF process exits on
 * its own), waits briefly for it, then kills it; NULL is fine.
 */
#ifndef RG_SPFCLIENT_H
#define RG_SPFCLIENT_H

#include <stdbool.h>
#include <sys/types.h>

#include "conf.h"
#include "err.h"
#include "spfcheck.h"

struct spfclient;

struct spfclient *spfclient_start(const struct conf *c, bool log_stderr,
				  struct err *e);
int spfclient_check(struct spfclient *client, const struct spfcheck_req *req,
		    struct spfcheck_res *res);
void spfclient_stop(struct spfclient *client);
pid_t spfclient_pid(const struct spfclient *client);

#endif
