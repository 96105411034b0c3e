/* SPDX-License-Identifier: BSD-2-Clause */
#include "spfclient.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fiber.h"
#include "log.h"
#include "spfworker.h"
#include "str.h"
#include "tspec.h"
#include "xalloc.h"

/* How long the SPF process may take to start and say it is ready. */
#define SPFCLIENT_START_MS 5000
/* How long stop waits for it to exit before killing it. */
#define SPFCLIENT_STOP_MS 2000
/* The worker's own deadline comes this much earlier than ours, so that
 * its temperror (with the DNS reason) normally arrives before we give
 * up waiting. */
#define SPFCLIENT_MARGIN_MS 150

struct spfclient {
	int ctl;
	pid_t pid;
};

/* spfclient_now_ms - CLOCK_MONOTONIC in ms */
static long long
spfclient_now_ms(void)
{
	return (long long)tspec_ms(CLOCK_MONOTONIC);
}

/* spfclient_wait_readable - poll one fd until readable or the deadline
 * (ms on the monotonic clock); 1 readable, 0 timed out, -1 error */
static int
spfclient_wait_readable(int fd, long long deadline)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	for (;;) {
		long long left = deadline - spfclient_now_ms();
		int n;

		if (left <= 0)
			return 0;
		n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* spfclient_start - start the SPF process; NULL with e on failure */
struct spfclient *
spfclient_start(const struct conf *c, bool log_stderr, struct err *e)
{
	struct spfworker_hello hello;
	struct spfclient *cl;
	char threads[32];
	char memory[32];
	char facility[32];
	char level[32];
	char per_domain[32];
	char *argv[10];
	char exe[4096];
	ssize_t elen;
	int sv[2];
	pid_t pid;
	ssize_t n = -1;

	(void)str_format(threads, sizeof(threads), "%lu",
			 c->spf_max_concurrent);
	(void)str_format(memory, sizeof(memory), "%zu", c->spf_memory_limit);
	(void)str_format(facility, sizeof(facility), "%d", c->syslog_facility);
	(void)str_format(level, sizeof(level), "%d", (int)c->log_level);
	(void)str_format(per_domain, sizeof(per_domain), "%lu",
			 c->spf_max_concurrent_per_domain);
	argv[0] = (char *)(uintptr_t)"relayguard-spf";
	argv[1] = (char *)(uintptr_t)SPFWORKER_ARG;
	argv[2] = c->spf_user;
	argv[3] = threads;
	argv[4] = memory;
	argv[5] = (char *)(uintptr_t)(log_stderr ? "stderr" : "syslog");
	argv[6] = facility;
	argv[7] = level;
	argv[8] = per_domain;
	argv[9] = NULL;
	/* the running program by name, which is also what valgrind shows
	 * (its /proc/self/exe is valgrind itself); /proc/self/exe when the
	 * file is gone (replaced by an upgrade) */
	elen = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (elen <= 0 || (exe[elen] = '\0', access(exe, X_OK) < 0))
		(void)str_copy(exe, sizeof(exe), "/proc/self/exe");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		err_set(e, "spf: socketpair: %s", strerror(errno));
		return NULL;
	}
	pid = fork();
	if (pid < 0) {
		err_set(e, "spf: fork: %s", strerror(errno));
		(void)close(sv[0]);
		(void)close(sv[1]);
		return NULL;
	}
	if (pid == 0) {
		/* only async-signal-safe calls from here to exec */
		sigset_t none;

		if (dup2(sv[1], SPFWORKER_FD) < 0)
			_exit(127);
		if (sv[1] == SPFWORKER_FD)
			(void)fcntl(SPFWORKER_FD, F_SETFD, 0);
		(void)close_range(SPFWORKER_FD + 1, ~0U, 0);
		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		execv(exe, argv);
		_exit(127);
	}
	(void)close(sv[1]);
	cl = xcalloc(1, sizeof(*cl));
	cl->ctl = sv[0];
	cl->pid = pid;
	if (spfclient_wait_readable(cl->ctl, spfclient_now_ms() +
					      SPFCLIENT_START_MS) != 1 ||
	    (n = recv(cl->ctl, &hello, sizeof(hello), 0)) != sizeof(hello) ||
	    hello.magic != SPFWORKER_MAGIC || hello.status != 0) {
		if (n == sizeof(hello) && hello.magic == SPFWORKER_MAGIC) {
			hello.text[sizeof(hello.text) - 1] = '\0';
			err_set(e, "spf: the SPF process failed: %s",
				hello.text);
		} else {
			err_set(e, "spf: the SPF process did not start");
		}
		spfclient_stop(cl);
		return NULL;
	}
	return cl;
}

/* spfclient_pid - the SPF supervisor's pid (tests) */
pid_t
spfclient_pid(const struct spfclient *client)
{
	return client->pid;
}

/* spfclient_send - the request plus our end of a socket pair; -1 with
 * errno (EAGAIN: the worker does not keep up) */
static int
spfclient_send(struct spfclient *client, const struct spfworker_msg *m,
	       int fd)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct iovec iov = {.iov_base = (void *)(uintptr_t)m,
			    .iov_len = sizeof(*m)};
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf.buf,
		.msg_controllen = sizeof(cbuf.buf),
	};
	struct cmsghdr *c;

	memset(&cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(client->ctl, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) ==
			       (ssize_t)sizeof(*m)
		       ? 0
		       : -1;
}

/* spfclient_check, handed to a thread that may block (fiber.h) */
struct spfclient_away {
	struct spfclient *client;
	const struct spfcheck_req *req;
	struct spfcheck_res *res;
	int rc;
};

/* spfclient_check_away - the check, on that thread */
static void
spfclient_check_away(void *arg)
{
	struct spfclient_away *a = arg;

	a->rc = spfclient_check(a->client, a->req, a->res);
}

/* spfclient_check - one evaluation in the SPF process, bounded in time */
int
spfclient_check(struct spfclient *client, const struct spfcheck_req *req,
		struct spfcheck_res *res)
{
	struct spfworker_msg m;
	struct spfcheck_res ans;
	unsigned long tmo = req->timeout_ms ? req->timeout_ms : 10000;
	long long deadline = spfclient_now_ms() + (long long)tmo;
	long long wdl = deadline - (tmo > 2 * SPFCLIENT_MARGIN_MS
					    ? SPFCLIENT_MARGIN_MS : 0);
	char why[128];
	int sv[2];
	ssize_t n;
	int rc;

	if (fiber_may_offload()) {
		struct spfclient_away a = {client, req, res, -1};

		fiber_blocking(spfclient_check_away, &a);
		return a.rc;
	}
	if (client == NULL) {
		spfcheck_res_error(req, res, SPFCHECK_TEMPERROR,
				   "SPF process not running");
		return -1;
	}
	memset(&m, 0, sizeof(m));
	m.magic = SPFWORKER_MAGIC;
	m.size = sizeof(m);
	m.deadline_sec = wdl / 1000;
	m.deadline_nsec = (wdl % 1000) * 1000000;
	m.req = *req;
	m.req.timeout_ms = (unsigned long)(wdl - spfclient_now_ms());
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		(void)str_format(why, sizeof(why), "socketpair: %s",
				 strerror(errno));
		spfcheck_res_error(req, res, SPFCHECK_TEMPERROR, why);
		return -1;
	}
	if (spfclient_send(client, &m, sv[1]) < 0) {
		(void)str_format(why, sizeof(why), "%s",
				 errno == EAGAIN ? "SPF process busy"
						 : "SPF process gone");
		(void)close(sv[0]);
		(void)close(sv[1]);
		spfcheck_res_error(req, res, SPFCHECK_TEMPERROR, why);
		return -1;
	}
	(void)close(sv[1]);
	rc = spfclient_wait_readable(sv[0], deadline);
	n = rc == 1 ? recv(sv[0], &ans, sizeof(ans), MSG_DONTWAIT) : -1;
	(void)close(sv[0]);
	if (n == (ssize_t)sizeof(ans)) {
		spfcheck_res_sanitize(&ans);
		*res = ans;
		return 0;
	}
	if (rc == 0)
		(void)str_format(why, sizeof(why),
				 "no SPF answer within %lu ms", tmo);
	else if (n == 0)
		(void)str_format(why, sizeof(why), "SPF worker died");
	else
		(void)str_format(why, sizeof(why), "malformed SPF answer");
	spfcheck_res_error(req, res, SPFCHECK_TEMPERROR, why);
	res->ms = (unsigned long)(spfclient_now_ms() - (deadline - (long long)tmo));
	return -1;
}

/* spfclient_stop - end the SPF process; NULL is fine */
void
spfclient_stop(struct spfclient *client)
{
	long long deadline;
	int status;

	if (client == NULL)
		return;
	(void)close(client->ctl);
	deadline = spfclient_now_ms() + SPFCLIENT_STOP_MS;
	for (;;) {
		pid_t r = waitpid(client->pid, &status, WNOHANG);

		if (r == client->pid || (r < 0 && errno != EINTR))
			break;
		if (spfclient_now_ms() >= deadline) {
			/* after the privilege drop the SPF process (spf_user)
			 * is not ours to signal: then do not wait for it, it
			 * ends when it sees its socket closed */
			if (kill(client->pid, SIGKILL) == 0)
				(void)waitpid(client->pid, &status, 0);
			else
				log_warn("spf: process %ld did not stop within "
					 "%d ms and cannot be killed: %s",
					 (long)client->pid, SPFCLIENT_STOP_MS,
					 strerror(errno));
			break;
		}
		(void)usleep(10000);
	}
	free(client);
}
