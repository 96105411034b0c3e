/* SPDX-License-Identifier: BSD-2-Clause */
#include "spfworker.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <malloc.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "str.h"
#include "xalloc.h"

/* Stack of one evaluation thread: evaluation keeps its buffers on the
 * heap; glibc's resolver needs a few KiB. */
#define SPFWORKER_STACK (512 * 1024)
/* Longest evaluation a request may ask for. */
#define SPFWORKER_TIMEOUT_MAX 60000

struct spfworker_args {
	const char *user;
	unsigned long threads;
	unsigned long memory;
	unsigned long per_domain;	/* spf_max_concurrent_per_domain */
};

/*
 * The evaluations running per domain (the domain of the identity checked,
 * lower-cased), so that one domain whose DNS is slow cannot hold every
 * thread: at most `threads` entries are in use at once.  Shared by the
 * threads of the worker, under spfworker_lock.
 */
struct spfworker_slot {
	char domain[SPFCHECK_HOST_MAX];
	unsigned long n;		/* 0: the slot is free */
	bool warned;			/* logged since n was last 0 */
};

static pthread_mutex_t spfworker_lock = PTHREAD_MUTEX_INITIALIZER;
static struct spfworker_slot *spfworker_slots;
static unsigned long spfworker_nslots;
static unsigned long spfworker_per_domain;

/* spfworker_hello - tell the client we are ready, or why not */
static void
spfworker_hello(int status, const char *text)
{
	struct spfworker_hello h;

	memset(&h, 0, sizeof(h));
	h.magic = SPFWORKER_MAGIC;
	h.status = status;
	(void)str_copy(h.text, sizeof(h.text), text);
	if (send(SPFWORKER_FD, &h, sizeof(h), MSG_NOSIGNAL) < 0)
		log_warn("spf: cannot answer the front end: %s",
			 strerror(errno));
}

/* spfworker_fail - startup failed: say why, then exit */
static void __attribute__((noreturn))
spfworker_fail(const char *text)
{
	log_error("spf: %s", text);
	spfworker_hello(1, text);
	_exit(1);
}

/* spfworker_confine - become the SPF user, no new privileges, no core
 * files, not dumpable (no ptrace by other processes of that user), and
 * an address-space limit */
static void
spfworker_confine(const struct spfworker_args *a)
{
	char why[256];
	struct rlimit rl;

	if (geteuid() == 0) {
		struct passwd *pw = getpwnam(a->user);

		if (pw == NULL) {
			(void)str_format(why, sizeof(why),
					 "spf_user %s: no such user", a->user);
			spfworker_fail(why);
		}
		if (pw->pw_uid == 0)
			spfworker_fail("spf_user must not be root");
		if (setgroups(1, &pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
		    setuid(pw->pw_uid) < 0 || setuid(0) == 0) {
			(void)str_format(why, sizeof(why),
					 "cannot become spf_user %s: %s",
					 a->user, strerror(errno));
			spfworker_fail(why);
		}
	}
	rl.rlim_cur = rl.rlim_max = 0;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ||
	    setrlimit(RLIMIT_CORE, &rl) < 0)
		spfworker_fail("cannot restrict the SPF process");
#if !defined(__SANITIZE_ADDRESS__)
	/* ASan reserves terabytes of shadow memory: no limit under it.
	 * One malloc arena: each extra one reserves 64 MiB of address
	 * space, which would eat the limit without being used. */
	(void)mallopt(M_ARENA_MAX, 1);
	rl.rlim_cur = rl.rlim_max = a->memory;
	if (setrlimit(RLIMIT_AS, &rl) < 0)
		spfworker_fail("cannot set the SPF memory limit");
#endif
	if (chdir("/") < 0)
		spfworker_fail("cannot change to /");
}

/* spfworker_recv - one request and its answer descriptor; 0 on EOF,
 * -1 on a message to drop, 1 ready */
static int
spfworker_recv(struct spfworker_msg *m, int *fd)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} cbuf;
	struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m)};
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf.buf,
		.msg_controllen = sizeof(cbuf.buf),
	};
	struct cmsghdr *c;
	ssize_t n;

	*fd = -1;
	n = recvmsg(SPFWORKER_FD, &msg, MSG_CMSG_CLOEXEC);
	if (n == 0)
		return 0;
	if (n < 0)
		return errno == EINTR ? -1 : 0;
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			int fds[4];

			memcpy(fds, CMSG_DATA(c), nfd * sizeof(int));
			for (size_t i = 0; i < nfd; i++) {
				if (*fd < 0)
					*fd = fds[i];
				else
					(void)close(fds[i]);
			}
		}
	}
	if (*fd < 0 || (size_t)n != sizeof(*m) || m->magic != SPFWORKER_MAGIC ||
	    m->size != sizeof(*m) || (msg.msg_flags & MSG_TRUNC)) {
		if (*fd >= 0)
			(void)close(*fd);
		return -1;
	}
	return 1;
}

/* spfworker_expired - is the request's deadline gone already? */
static bool
spfworker_expired(const struct spfworker_msg *m)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > m->deadline_sec ||
	       (now.tv_sec == m->deadline_sec && now.tv_nsec >= m->deadline_nsec);
}

/* spfworker_admit - take a place for one evaluation of domain; false
 * when spf_max_concurrent_per_domain of them run already (*warn: the
 * first refusal since the domain was last idle, to be logged) */
static bool
spfworker_admit(const char *domain, bool *warn)
{
	struct spfworker_slot *free_slot = NULL;
	bool ok = true;
	unsigned long i;

	*warn = false;
	if (domain[0] == '\0')
		return true;
	(void)pthread_mutex_lock(&spfworker_lock);
	for (i = 0; i < spfworker_nslots; i++) {
		struct spfworker_slot *sl = &spfworker_slots[i];

		if (sl->n == 0) {
			if (free_slot == NULL)
				free_slot = sl;
			continue;
		}
		if (strcmp(sl->domain, domain) != 0)
			continue;
		if (sl->n >= spfworker_per_domain) {
			ok = false;
			*warn = !sl->warned;
			sl->warned = true;
		} else {
			sl->n++;
		}
		goto out;
	}
	/* at most one slot per thread is ever in use: one is free */
	if (free_slot != NULL &&
	    str_copy(free_slot->domain, sizeof(free_slot->domain), domain) ==
		    0) {
		free_slot->n = 1;
		free_slot->warned = false;
	}
out:
	(void)pthread_mutex_unlock(&spfworker_lock);
	return ok;
}

/* spfworker_release - one evaluation of domain is over */
static void
spfworker_release(const char *domain)
{
	unsigned long i;

	if (domain[0] == '\0')
		return;
	(void)pthread_mutex_lock(&spfworker_lock);
	for (i = 0; i < spfworker_nslots; i++) {
		if (spfworker_slots[i].n > 0 &&
		    strcmp(spfworker_slots[i].domain, domain) == 0) {
			spfworker_slots[i].n--;
			break;
		}
	}
	(void)pthread_mutex_unlock(&spfworker_lock);
}

/* spfworker_domain - the domain an evaluation starts from, lower-case */
static void
spfworker_domain(const struct spfcheck_req *req, char *out, size_t size)
{
	struct spfcheck_res r;
	size_t i;

	spfcheck_res_error(req, &r, SPFCHECK_NONE, "");
	if (str_copy(out, size, r.domain) < 0)
		out[0] = '\0';
	for (i = 0; out[i] != '\0'; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
	if (i > 0 && out[i - 1] == '.')
		out[i - 1] = '\0';
}

/* spfworker_evaluate - one admitted request, or temperror over the cap */
static void
spfworker_evaluate(const struct spfcheck_req *req, struct spfcheck_res *res)
{
	char domain[SPFCHECK_HOST_MAX];
	char why[SPFCHECK_TEXT_MAX];
	bool warn;

	spfworker_domain(req, domain, sizeof(domain));
	if (spfworker_admit(domain, &warn)) {
		spfcheck_run(req, res);
		spfworker_release(domain);
		return;
	}
	(void)str_format(why, sizeof(why), "%lu SPF evaluations of %.100s "
			 "running already (spf_max_concurrent_per_domain)",
			 spfworker_per_domain, domain);
	if (warn)
		log_warn("spf: %s: answering temperror until one ends", why);
	spfcheck_res_error(req, res, SPFCHECK_TEMPERROR, why);
}

/* spfworker_thread - serve requests until the control socket closes */
static void *
spfworker_thread(void *arg)
{
	struct spfworker_msg m;
	struct spfcheck_res res;
	int fd;
	int rc;

	(void)arg;
	while ((rc = spfworker_recv(&m, &fd)) != 0) {
		if (rc < 0)
			continue;
		/* the request crossed a process boundary: terminate every
		 * string and bound the times before using it */
		m.req.ip[sizeof(m.req.ip) - 1] = '\0';
		m.req.helo[sizeof(m.req.helo) - 1] = '\0';
		m.req.sender[sizeof(m.req.sender) - 1] = '\0';
		m.req.receiver[sizeof(m.req.receiver) - 1] = '\0';
		if (m.req.timeout_ms > SPFWORKER_TIMEOUT_MAX)
			m.req.timeout_ms = SPFWORKER_TIMEOUT_MAX;
		if (m.req.identity != SPFCHECK_ID_HELO)
			m.req.identity = SPFCHECK_ID_MAILFROM;
		if (!spfworker_expired(&m)) {
			spfworker_evaluate(&m.req, &res);
			/* the client may have given up: ignore EPIPE */
			(void)send(fd, &res, sizeof(res), MSG_NOSIGNAL);
		}
		(void)close(fd);
	}
	/* the front end is gone: the whole worker ends */
	_exit(0);
}

/* spfworker_serve - the worker: a pool of threads on the control socket */
static void __attribute__((noreturn))
spfworker_serve(const struct spfworker_args *a)
{
	pthread_attr_t attr;
	pthread_t tid;
	unsigned long i;

	if (pthread_attr_init(&attr) != 0 ||
	    pthread_attr_setstacksize(&attr, SPFWORKER_STACK) != 0)
		_exit(2);
	spfworker_nslots = a->threads;
	spfworker_per_domain = a->per_domain;
	spfworker_slots = xcalloc(a->threads, sizeof(*spfworker_slots));
	for (i = 1; i < a->threads; i++) {
		if (pthread_create(&tid, &attr, spfworker_thread, NULL) != 0) {
			log_error("spf: cannot start thread %lu of %lu", i + 1,
				  a->threads);
			break;
		}
	}
	(void)spfworker_thread(NULL);
	_exit(0);
}

/* spfworker_supervise - run the worker, start a new one when it dies */
static int
spfworker_supervise(const struct spfworker_args *a)
{
	time_t started = 0;
	pid_t self = getpid();
	pid_t pid;
	int status;

	for (;;) {
		/* a worker that dies at once must not make us spin */
		if (started != 0 && time(NULL) - started < 1)
			sleep(1);
		started = time(NULL);
		pid = fork();
		if (pid < 0) {
			log_error("spf: fork: %s", strerror(errno));
			sleep(1);
			continue;
		}
		if (pid == 0) {
			/* the worker must not outlive us, even stopped */
			if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
			    getppid() != self)
				_exit(1);
			spfworker_serve(a);
		}
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				return 1;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			return 0;	/* the front end closed the socket */
		if (WIFSIGNALED(status))
			log_warn("spf: worker pid %ld killed by signal %d; "
				 "starting a new one", (long)pid,
				 WTERMSIG(status));
		else
			log_warn("spf: worker pid %ld exited with status %d; "
				 "starting a new one", (long)pid,
				 WEXITSTATUS(status));
	}
}

/* spfworker_main - entry point after re-exec with SPFWORKER_ARG:
 * argv: PROG SPFWORKER_ARG USER THREADS MEMORY stderr|syslog FACILITY
 * LEVEL PER_DOMAIN */
int
spfworker_main(int argc, char **argv)
{
	struct spfworker_args a;
	unsigned long facility;
	unsigned long level;
	sigset_t none;

	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (argc != 9 || str_to_ulong(argv[3], 10, 1024, &a.threads) < 0 ||
	    a.threads == 0 ||
	    str_to_ulong(argv[8], 10, 1024, &a.per_domain) < 0 ||
	    a.per_domain == 0 ||
	    str_to_ulong(argv[4], 10, (unsigned long)-1, &a.memory) < 0 ||
	    str_to_ulong(argv[6], 10, 1024, &facility) < 0 ||
	    str_to_ulong(argv[7], 10, LOG_LEVEL_DEBUG, &level) < 0) {
		fprintf(stderr, "%s: internal use only\n", argv[0]);
		return 2;
	}
	a.user = argv[2];
	log_open("relayguard-spf", strcmp(argv[5], "stderr") == 0,
		 (int)facility);
	log_set_level((enum log_level)level);
	spfworker_confine(&a);
	spfworker_hello(0, "ready");
	log_info("spf: evaluating SPF as uid %ld with %lu threads, at most "
		 "%lu per domain", (long)getuid(), a.threads, a.per_domain);
	return spfworker_supervise(&a);
}
