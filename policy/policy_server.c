/* SPDX-License-Identifier: BSD-2-Clause */
#include "policy_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "audit.h"
#include "log.h"
#include "policy_decide.h"
#include "policy_fibers.h"
#include "policy_pool.h"
#include "policy_redis.h"
#include "policy_req.h"
#include "str.h"
#include "xalloc.h"

/* Connections taken per wake-up of the listening socket, so a flood of
 * connects cannot keep the loop from serving the others. */
#define POLICY_SERVER_ACCEPT_BURST 64
/* Pause after accept() fails for lack of descriptors or memory. */
#define POLICY_SERVER_ACCEPT_PAUSE 0.1
/* "action=" + value + "\n\n" */
#define POLICY_SERVER_OUT_MAX (POLICY_ACTION_MAX + 16)

/*
 * Who owns a connection.  IDLE: the loop, for everything.  BUSY: a worker
 * owns the request, the decision state, the reply and the pinned config;
 * the loop may still read more bytes behind the request (policy_req_
 * space_append) and keeps the timer.  The worker sends the reply itself
 * and sets IDLE, so the usual request costs the loop no wake-up; when the
 * loop needs the connection back (bytes or EOF arrived meanwhile, or a
 * stop) it sets BUSY_NOTIFY, and the worker then hands the connection
 * back through the done list instead.  Transitions: loop IDLE->BUSY
 * (dispatch), loop BUSY->BUSY_NOTIFY, worker BUSY->IDLE, loop
 * BUSY_NOTIFY->IDLE (taking it from the done list).
 */
enum policy_conn_state {
	POLICY_CONN_IDLE,
	POLICY_CONN_BUSY,
	POLICY_CONN_BUSY_NOTIFY,
};

struct policy_conn {
	struct policy_server *srv;
	int fd;
	unsigned long id;
	char peer[INET6_ADDRSTRLEN + 16];	/* "addr:port" or "unix" */
	atomic_int state;		/* enum policy_conn_state */
	/* the loop's */
	ev_io io;			/* read; write while a reply waits */
	ev_timer timer;
	double timer_at;		/* when the timer fires (mono) */
	bool in_request;		/* bytes of a request have come */
	double request_start;		/* while we read them (mono) */
	double write_since;		/* a reply waits for the client */
	bool peer_closed;		/* EOF or a read error seen */
	bool closing;			/* free when it comes back */
	struct policy_req_reader rd;
	struct policy_conn *prev;
	struct policy_conn *next;
	/* the worker's while busy, the loop's otherwise */
	struct policy_job job;
	struct generation *cfg;		/* pinned for the request */
	struct policy_req req;
	/* malloc'd, not part of the calloc'd connection: only the pages
	 * policy_decide_state_init() touches become resident (the txn in
	 * it is ~30 kB of arrays read up to their counts) */
	struct policy_decide_state *dstate;
	struct policy_decision dec;
	char out[POLICY_SERVER_OUT_MAX];
	size_t outlen;
	size_t outoff;
	int send_errno;
	double idle_since;		/* the last reply went out (mono) */
	struct policy_conn *done_next;	/* on the done list */
};

struct policy_server {
	struct ev_loop *loop;
	struct generation *cfg;		/* current generation (loop only) */
	const char *conf_path;
	struct policy_sock *sock;
	ev_io accept_io;
	ev_timer accept_pause;
	ev_async wake;			/* done list, or a signal */
	ev_timer grace;
	ev_timer sweep;			/* see policy_server_sweep */
	unsigned long ntakes;		/* done lists taken (loop only) */
	unsigned long sweep_mark;	/* ntakes + 1 when a list waited */
	struct policy_pool *pool;	/* blocking work of the fibers */
	struct policy_fibers *fibers;	/* decisions */
	struct policy_redis *redis;	/* their limit calls */
	struct policy_conn *conns;
	unsigned long nconns;
	unsigned long next_id;
	bool stopping;
	unsigned long nwaiting;		/* stopping: busy ones to come back */
	double overload_logged;
	double accept_err_logged;
	unsigned long overload_count;
	pthread_mutex_t done_lock;	/* guards done_head */
	struct policy_conn *done_head;
	pthread_t sig_thread;
	bool sig_thread_started;
	atomic_int want_reload;
	atomic_int want_stop;
};

static void policy_conn_process(struct policy_conn *c);

/* policy_mono - seconds on the monotonic clock */
static double
policy_mono(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* policy_conn_of - the connection a job is embedded in */
static struct policy_conn *
policy_conn_of(struct policy_job *j)
{
	return (struct policy_conn *)(void *)((char *)j -
					      offsetof(struct policy_conn, job));
}

/* policy_conn_free - the one place a connection is released (idle) */
static void
policy_conn_free(struct policy_conn *c)
{
	struct policy_server *s = c->srv;

	ev_io_stop(s->loop, &c->io);
	ev_timer_stop(s->loop, &c->timer);
	if (c->fd >= 0)
		(void)close(c->fd);
	policy_req_reader_free(&c->rd);
	free(c->dstate);
	generation_unref(c->cfg);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->nconns--;
	free(c);
}

/* policy_conn_want_back - the loop needs a busy connection back when its
 * worker is done; true when it will come (false: it is idle already) */
static bool
policy_conn_want_back(struct policy_conn *c)
{
	int expected = POLICY_CONN_BUSY;

	if (atomic_compare_exchange_strong(&c->state, &expected,
					   POLICY_CONN_BUSY_NOTIFY))
		return true;
	return expected == POLICY_CONN_BUSY_NOTIFY;
}

/* policy_conn_arm - make the timer fire by deadline (mono); a later
 * deadline is found when it fires */
static void
policy_conn_arm(struct policy_conn *c, double deadline)
{
	struct ev_loop *loop = c->srv->loop;
	double now = policy_mono();

	if (ev_is_active(&c->timer) && c->timer_at <= deadline)
		return;
	c->timer.repeat = deadline > now ? deadline - now : 0.001;
	ev_timer_again(loop, &c->timer);
	c->timer_at = now + c->timer.repeat;
}

/* policy_conn_timer - a deadline passed, or a later one replaced it */
static void
policy_conn_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct policy_conn *c = w->data;
	const struct conf *conf = c->srv->cfg->conf;
	double now = policy_mono();
	double deadline;

	(void)revents;
	if (atomic_load(&c->state) != POLICY_CONN_IDLE) {
		/* at a worker: the engine bounds its own work */
		w->repeat = (ev_tstamp)conf->policy_idle_timeout;
		ev_timer_again(loop, w);
		c->timer_at = now + w->repeat;
		return;
	}
	if (c->outoff < c->outlen)	/* the client does not read */
		deadline = c->write_since + (double)conf->policy_idle_timeout;
	else if (c->in_request)
		deadline = c->request_start +
			   (double)conf->policy_request_timeout;
	else
		deadline = c->idle_since + (double)conf->policy_idle_timeout;
	if (now + 0.001 < deadline) {
		w->repeat = deadline - now;
		ev_timer_again(loop, w);
		c->timer_at = deadline;
		return;
	}
	if (c->outoff < c->outlen)
		log_warn("conn=%lu client=%s: reads no reply for %lus: "
			 "closing", c->id, c->peer, conf->policy_idle_timeout);
	else if (c->in_request)
		log_warn("conn=%lu client=%s: request not complete %.0fs after "
			 "its first byte (%zu bytes): closing without a reply",
			 c->id, c->peer, now - c->request_start,
			 policy_req_buffered(&c->rd));
	else
		log_debug("conn=%lu client=%s: idle for %lus: closing", c->id,
			  c->peer, conf->policy_idle_timeout);
	policy_conn_free(c);
}

/* policy_conn_io_mode - watch for EV_READ or EV_WRITE */
static void
policy_conn_io_mode(struct policy_conn *c, int events)
{
	struct ev_loop *loop = c->srv->loop;

	if (ev_is_active(&c->io) && c->io.events == events)
		return;
	ev_io_stop(loop, &c->io);
	ev_io_set(&c->io, c->fd, events);
	ev_io_start(loop, &c->io);
}

/* policy_conn_send - send what is left of the reply; 0 when all went,
 * or the error (EAGAIN: the rest waits for the loop) */
static int
policy_conn_send(struct policy_conn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff,
				 c->outlen - c->outoff, MSG_NOSIGNAL);

		if (n > 0)
			c->outoff += (size_t)n;
		else if (n < 0 && errno == EINTR)
			continue;
		else
			return n < 0 ? errno : EPIPE;
	}
	return 0;
}

/* policy_conn_flush - the loop sends the rest of a reply; then goes on */
static void
policy_conn_flush(struct policy_conn *c)
{
	int err = policy_conn_send(c);

	if (err == EAGAIN || err == EWOULDBLOCK) {
		if (!(ev_is_active(&c->io) && c->io.events == EV_WRITE)) {
			c->write_since = policy_mono();
			policy_conn_arm(c, c->write_since +
				(double)c->srv->cfg->conf->policy_idle_timeout);
		}
		policy_conn_io_mode(c, EV_WRITE);
		return;
	}
	if (err != 0) {
		log_debug("conn=%lu client=%s: cannot send the reply: %s",
			  c->id, c->peer, strerror(err));
		policy_conn_free(c);
		return;
	}
	c->outlen = 0;
	c->outoff = 0;
	c->idle_since = policy_mono();
	/* a partial request waited while we did not read: its clock starts
	 * again now (policy_request_timeout is for slow clients, not us) */
	if (c->in_request)
		c->request_start = c->idle_since;
	policy_conn_process(c);
}

/* policy_conn_job - in a fiber of the loop (at a worker when no fiber
 * could be had): decide, log, send the reply; hand the connection back to
 * the loop only when it asked or the send is stuck */
static void
policy_conn_job(struct policy_job *j)
{
	struct policy_conn *c = policy_conn_of(j);
	struct policy_server *s = c->srv;
	struct policy_decision *d = &c->dec;
	int expected = POLICY_CONN_BUSY;
	size_t alen;

	policy_decide(c->cfg, c->dstate, &c->req, d);
	if (d->log[0] != '\0') {
		if (d->level == LOG_LEVEL_DEBUG)
			log_debug("%s conn=%lu", d->log, c->id);
		else
			log_info("%s conn=%lu", d->log, c->id);
	}
	alen = strlen(d->action);
	if (alen + 9 > sizeof(c->out))
		log_panic("policy reply does not fit: %s", d->action);
	memcpy(c->out, "action=", 7);	/* no printf: every decision */
	memcpy(c->out + 7, d->action, alen);
	memcpy(c->out + 7 + alen, "\n\n", 2);
	c->outlen = alen + 9;
	c->outoff = 0;
	c->send_errno = policy_conn_send(c);
	c->idle_since = policy_mono();
	generation_unref(c->cfg);
	c->cfg = NULL;
	if (c->send_errno == 0 &&
	    atomic_compare_exchange_strong(&c->state, &expected,
					   POLICY_CONN_IDLE))
		return;		/* the usual case: nothing for the loop */
	pthread_mutex_lock(&s->done_lock);
	c->done_next = s->done_head;
	s->done_head = c;
	pthread_mutex_unlock(&s->done_lock);
	ev_async_send(s->loop, &s->wake);
}

/* policy_conn_fiber - policy_conn_job in a fiber of the loop */
static void
policy_conn_fiber(void *arg)
{
	struct policy_conn *c = arg;

	policy_conn_job(&c->job);
}

/* policy_conn_dispatch - decide the complete request in a fiber of the
 * loop (at a worker when no fiber can be had) */
static void
policy_conn_dispatch(struct policy_conn *c)
{
	struct policy_server *s = c->srv;

	c->in_request = false;
	c->cfg = generation_ref(s->cfg);
	c->send_errno = 0;
	/* never EV_WRITE while busy: the loop would write and go on with
	 * the buffer the worker is reading.  Reading goes on: bytes that
	 * come meanwhile wait behind the request (replies stay in order). */
	if (c->peer_closed)
		ev_io_stop(s->loop, &c->io);	/* EOF stays readable */
	else
		policy_conn_io_mode(c, EV_READ);
	/* more requests are waiting behind this one (pipelining), or the
	 * client is gone after it: answer, then come back to the loop */
	atomic_store(&c->state, c->peer_closed ||
					policy_req_buffered(&c->rd) > 0
				? POLICY_CONN_BUSY_NOTIFY
				: POLICY_CONN_BUSY);
	if (!policy_fibers_go(s->fibers, policy_conn_fiber, c))
		policy_pool_submit(s->pool, &c->job);
}

/* policy_conn_process - hand out the next request, or wait for bytes */
static void
policy_conn_process(struct policy_conn *c)
{
	struct policy_server *s = c->srv;
	const struct conf *conf = s->cfg->conf;
	size_t held;
	struct err e;
	int rc;

	if (s->stopping) {
		policy_conn_free(c);
		return;
	}
	rc = policy_req_next(&c->rd, &c->req, &e);
	if (rc == 1) {
		policy_conn_dispatch(c);
		return;
	}
	if (rc < 0) {
		log_warn("conn=%lu client=%s: protocol error: %s: closing "
			 "without a reply", c->id, c->peer, e.text);
		policy_conn_free(c);
		return;
	}
	held = policy_req_buffered(&c->rd);
	if (c->peer_closed) {
		if (held > 0)
			log_info("conn=%lu client=%s: disconnected in the "
				 "middle of a request (%zu bytes): no reply",
				 c->id, c->peer, held);
		else
			log_debug("conn=%lu client=%s: disconnected", c->id,
				  c->peer);
		policy_conn_free(c);
		return;
	}
	if (held > 0) {
		if (!c->in_request) {
			c->in_request = true;
			c->request_start = policy_mono();
		}
		policy_conn_arm(c, c->request_start +
					   (double)conf->policy_request_timeout);
	} else {
		policy_req_trim(&c->rd);
		policy_conn_arm(c, c->idle_since +
					   (double)conf->policy_idle_timeout);
	}
	policy_conn_io_mode(c, EV_READ);
}

/* policy_conn_read_busy - bytes while the request is at a worker: keep
 * them behind it (or stop reading when there is no room), and ask for
 * the connection back */
static void
policy_conn_read_busy(struct policy_conn *c)
{
	size_t avail;
	char *space = policy_req_space_append(&c->rd, &avail);
	ssize_t n = 0;

	if (avail > 0)
		n = read(c->fd, space, avail);
	if (n > 0)
		policy_req_commit(&c->rd, (size_t)n);
	else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
			   errno == EINTR))
		return;
	else {
		/* full, EOF or an error: nothing more to read for now */
		if (avail > 0)
			c->peer_closed = true;
		ev_io_stop(c->srv->loop, &c->io);
	}
	if (!policy_conn_want_back(c))
		policy_conn_process(c);	/* the worker is just done */
}

/* policy_conn_io - readable (a request, EOF) or writable (a reply) */
static void
policy_conn_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct policy_conn *c = w->data;
	size_t avail;
	char *space;
	ssize_t n;

	(void)loop;
	if (atomic_load(&c->state) != POLICY_CONN_IDLE) {
		if (revents & EV_WRITE)	/* not ours to write while busy */
			log_panic("conn=%lu: write event while at a worker",
				  c->id);
		policy_conn_read_busy(c);
		return;
	}
	if (revents & EV_WRITE) {
		policy_conn_flush(c);
		return;
	}
	space = policy_req_space(&c->rd, &avail);
	if (avail == 0) {	/* the reader has failed already */
		policy_conn_process(c);
		return;
	}
	n = read(c->fd, space, avail);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		      errno == EINTR))
		return;
	if (n <= 0) {
		if (n < 0)
			log_debug("conn=%lu client=%s: read: %s", c->id,
				  c->peer, strerror(errno));
		c->peer_closed = true;
	} else {
		policy_req_commit(&c->rd, (size_t)n);
	}
	policy_conn_process(c);
}

/* policy_conn_peer - "addr:port", "[v6]:port" or "unix" */
static void
policy_conn_peer(char *buf, size_t size, const struct sockaddr_storage *ss)
{
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;

		(void)inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		(void)str_format(buf, size, "%s:%u", a, ntohs(in->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;

		(void)inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		(void)str_format(buf, size, "[%s]:%u", a,
				 ntohs(in6->sin6_port));
	} else {
		(void)str_copy(buf, size, "unix");
	}
}

/* policy_conn_new - serve an accepted connection */
static void
policy_conn_new(struct policy_server *s, int fd,
		const struct sockaddr_storage *ss)
{
	const struct conf *conf = s->cfg->conf;
	struct policy_conn *c = xcalloc(1, sizeof(*c));
	struct policy_req_limits lim;
	int one = 1;

	c->srv = s;
	c->fd = fd;
	c->id = ++s->next_id;
	policy_conn_peer(c->peer, sizeof(c->peer), ss);
	/* a reply is one write; never let it wait for an ACK */
	if ((ss->ss_family == AF_INET || ss->ss_family == AF_INET6) &&
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		log_debug("TCP_NODELAY: %s", strerror(errno));
	lim.max_line = conf->policy_max_line;
	lim.max_attrs = conf->policy_max_attributes;
	lim.max_request = conf->policy_max_request;
	policy_req_reader_init(&c->rd, &lim);
	c->dstate = xmalloc(sizeof(*c->dstate));
	policy_decide_state_init(c->dstate);
	atomic_init(&c->state, POLICY_CONN_IDLE);
	c->idle_since = policy_mono();
	c->job.run = policy_conn_job;
	ev_io_init(&c->io, policy_conn_io, fd, EV_READ);
	c->io.data = c;
	ev_timer_init(&c->timer, policy_conn_timer, 0., 0.);
	c->timer.data = c;
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	log_debug("conn=%lu client=%s: connected (%lu open)", c->id, c->peer,
		  s->nconns);
	policy_conn_process(c);
}

/* policy_server_overload - a connection over the limit: closed at once;
 * one warning a second at most, with the count */
static void
policy_server_overload(struct policy_server *s, int fd)
{
	double now = policy_mono();

	(void)close(fd);
	s->overload_count++;
	if (now - s->overload_logged < 1.0)
		return;
	log_warn("more than policy_max_connections=%lu connections: closed "
		 "%lu new connection%s",
		 s->cfg->conf->policy_max_connections, s->overload_count,
		 s->overload_count == 1 ? "" : "s");
	s->overload_logged = now;
	s->overload_count = 0;
}

/* policy_server_accept - take new connections */
static void
policy_server_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct policy_server *s = w->data;
	int i;

	(void)revents;
	for (i = 0; i < POLICY_SERVER_ACCEPT_BURST; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(s->sock->fd, (struct sockaddr *)&ss, &sl,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			/* EMFILE, ENFILE, ENOBUFS, ENOMEM: wait a little
			 * rather than spin on a ready listening socket;
			 * new clients wait in the kernel's backlog */
			if (policy_mono() - s->accept_err_logged >= 1.0) {
				log_warn("accept: %s (%lu connections open; "
					 "raise the file descriptor limit or "
					 "lower policy_max_connections)",
					 strerror(errno), s->nconns);
				s->accept_err_logged = policy_mono();
			}
			ev_io_stop(loop, w);
			ev_timer_set(&s->accept_pause,
				     POLICY_SERVER_ACCEPT_PAUSE, 0.);
			ev_timer_start(loop, &s->accept_pause);
			return;
		}
		if (s->nconns >= s->cfg->conf->policy_max_connections) {
			policy_server_overload(s, fd);
			continue;
		}
		if (sl == 0 || ss.ss_family == AF_UNIX)
			ss.ss_family = AF_UNIX;
		policy_conn_new(s, fd, &ss);
	}
}

/* policy_server_accept_resume - after a pause, accept again */
static void
policy_server_accept_resume(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct policy_server *s = w->data;

	(void)revents;
	if (!s->stopping)
		ev_io_start(loop, &s->accept_io);
}

/* policy_server_reload - SIGHUP: a new generation, or keep the old */
static void
policy_server_reload(struct policy_server *s)
{
	struct audit_opts ao;
	const struct conf *old = s->cfg->conf;
	struct generation *cfg = NULL;
	struct sockspec a;
	struct err e;

	if (generation_load_flags(s->conf_path, GENERATION_NO_SIGNING, &cfg, &e) < 0 ||
	    policy_sock_parse(cfg->conf->policy_socket, &a, &e) < 0) {
		log_error("reload failed, keeping the running configuration: "
			  "%s",
			  e.text);
		generation_unref(cfg);
		return;
	}
	/* what was set up once at startup */
	if (strcmp(old->policy_socket, cfg->conf->policy_socket) != 0 ||
	    strcmp(old->policy_socket_group,
		   cfg->conf->policy_socket_group) != 0 ||
	    old->policy_socket_mode != cfg->conf->policy_socket_mode ||
	    strcmp(old->user, cfg->conf->user) != 0 ||
	    old->policy_workers != cfg->conf->policy_workers ||
	    old->log_level != cfg->conf->log_level ||
	    old->syslog_facility != cfg->conf->syslog_facility)
		log_warn("%s: policy_socket*, user, policy_workers, log_level "
			 "and syslog_facility take effect at the next start",
			 cfg->conf->path);
	generation_unref(s->cfg);
	s->cfg = cfg;
	audit_opts_from_conf(&ao, cfg->conf);
	audit_reload(&ao);
	log_info("reloaded configuration (generation %u): %s",
		 cfg->generation, cfg->conf->path);
}

/* policy_server_stop - SIGTERM: no new connections; finish the requests
 * at a worker (within the grace time), drop the rest */
static void
policy_server_stop(struct policy_server *s)
{
	struct policy_conn *c;
	struct policy_conn *next;

	if (s->stopping)
		return;
	s->stopping = true;
	ev_io_stop(s->loop, &s->accept_io);
	ev_timer_stop(s->loop, &s->accept_pause);
	policy_sock_close(s->sock);
	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		if (!policy_conn_want_back(c)) {
			policy_conn_free(c);
			continue;
		}
		/* its worker answers, then it comes back to be freed */
		c->closing = true;
		ev_io_stop(s->loop, &c->io);
		ev_timer_stop(s->loop, &c->timer);
		s->nwaiting++;
	}
	if (s->nwaiting == 0) {
		ev_break(s->loop, EVBREAK_ALL);
		return;
	}
	log_info("stopping: waiting for %lu request%s in progress",
		 s->nwaiting, s->nwaiting == 1 ? "" : "s");
	ev_timer_set(&s->grace, (ev_tstamp)POLICY_SERVER_GRACE, 0.);
	ev_timer_start(s->loop, &s->grace);
}

/* policy_server_grace_over - requests still at a worker: stop anyway */
static void
policy_server_grace_over(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct policy_server *s = w->data;

	(void)revents;
	log_warn("stopping with %lu request%s unanswered after %ds",
		 s->nwaiting, s->nwaiting == 1 ? "" : "s", POLICY_SERVER_GRACE);
	ev_break(loop, EVBREAK_ALL);
}

/* policy_server_done - take back the connections workers handed back */
static void
policy_server_done(struct policy_server *s)
{
	struct policy_conn *c;
	struct policy_conn *next;

	pthread_mutex_lock(&s->done_lock);
	c = s->done_head;
	s->done_head = NULL;
	pthread_mutex_unlock(&s->done_lock);
	if (c != NULL)
		s->ntakes++;
	for (; c != NULL; c = next) {
		next = c->done_next;
		atomic_store(&c->state, POLICY_CONN_IDLE);
		if (c->closing) {
			s->nwaiting--;
			policy_conn_free(c);
		} else if (c->send_errno == EAGAIN ||
			   c->send_errno == EWOULDBLOCK) {
			log_debug("conn=%lu client=%s: the reply waits for "
				  "the client to read", c->id, c->peer);
			policy_conn_flush(c);
		} else if (c->send_errno != 0) {
			log_debug("conn=%lu client=%s: cannot send the reply: "
				  "%s", c->id, c->peer,
				  strerror(c->send_errno));
			policy_conn_free(c);
		} else {
			policy_conn_process(c);
		}
	}
}

/* policy_server_wake - connections handed back by workers, and signals */
static void
policy_server_wake(struct ev_loop *loop, ev_async *w, int revents)
{
	struct policy_server *s = w->data;

	(void)revents;
	policy_server_done(s);
	if (atomic_exchange(&s->want_reload, 0))
		policy_server_reload(s);
	if (atomic_load(&s->want_stop))
		policy_server_stop(s);
	if (s->stopping && s->nwaiting == 0)
		ev_break(loop, EVBREAK_ALL);
}

/* policy_server_sweep - once a second: if connections handed back by
 * workers have waited a whole second with no list taken meanwhile, a
 * wake-up went astray: take them now, so a connection can never be
 * stranded (one lock a second when all is well) */
static void
policy_server_sweep(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct policy_server *s = w->data;
	bool waiting;

	(void)revents;
	pthread_mutex_lock(&s->done_lock);
	waiting = s->done_head != NULL;
	pthread_mutex_unlock(&s->done_lock);
	if (!waiting) {
		s->sweep_mark = 0;
		return;
	}
	if (s->sweep_mark != s->ntakes + 1) {
		s->sweep_mark = s->ntakes + 1;	/* look again in a second */
		return;
	}
	log_warn("connections handed back by the workers waited a second "
		 "for the loop: taken now");
	s->sweep_mark = 0;
	policy_server_wake(loop, &s->wake, 0);
}

/* policy_server_signals - the signal thread: SIGHUP reloads, SIGTERM and
 * SIGINT stop; the loop does the work */
static void *
policy_server_signals(void *arg)
{
	struct policy_server *s = arg;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	for (;;) {
		int sig = sigwaitinfo(&set, NULL);

		if (sig < 0)
			continue;	/* EINTR */
		if (sig == SIGHUP) {
			atomic_store(&s->want_reload, 1);
			ev_async_send(s->loop, &s->wake);
			continue;
		}
		atomic_store(&s->want_stop, 1);
		ev_async_send(s->loop, &s->wake);
		return NULL;
	}
}

/* policy_server_new - loop, workers and signal thread around an open
 * socket; takes over the reference to cfg */
struct policy_server *
policy_server_new(struct generation *cfg, const char *conf_path,
		  struct policy_sock *sock, struct err *e)
{
	struct policy_server *s = xcalloc(1, sizeof(*s));
	int rc;

	s->cfg = cfg;
	s->conf_path = conf_path;
	s->sock = sock;
	atomic_init(&s->want_reload, 0);
	atomic_init(&s->want_stop, 0);
	pthread_mutex_init(&s->done_lock, NULL);
	s->loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOENV);
	if (s->loop == NULL) {
		err_set(e, "cannot create the event loop (libev)");
		goto fail;
	}
	ev_io_init(&s->accept_io, policy_server_accept, sock->fd, EV_READ);
	s->accept_io.data = s;
	ev_timer_init(&s->accept_pause, policy_server_accept_resume,
		      POLICY_SERVER_ACCEPT_PAUSE, 0.);
	s->accept_pause.data = s;
	ev_timer_init(&s->grace, policy_server_grace_over,
		      (ev_tstamp)POLICY_SERVER_GRACE, 0.);
	s->grace.data = s;
	ev_async_init(&s->wake, policy_server_wake);
	s->wake.data = s;
	ev_async_start(s->loop, &s->wake);
	ev_timer_init(&s->sweep, policy_server_sweep, 1., 1.);
	s->sweep.data = s;
	ev_timer_start(s->loop, &s->sweep);
	ev_io_start(s->loop, &s->accept_io);
	s->pool = policy_pool_new((unsigned)cfg->conf->policy_workers, e);
	if (s->pool == NULL)
		goto fail;
	s->fibers = policy_fibers_new(s->loop, s->pool);
	s->redis = policy_redis_new(s->loop, s->fibers);
	rc = pthread_create(&s->sig_thread, NULL, policy_server_signals, s);
	if (rc != 0) {
		err_set(e, "cannot start the signal thread: %s", strerror(rc));
		goto fail;
	}
	s->sig_thread_started = true;
	return s;
fail:
	policy_server_free(s);
	return NULL;
}

/* policy_server_run - serve until SIGTERM; 0 */
int
policy_server_run(struct policy_server *s)
{
	ev_run(s->loop, 0);
	return 0;
}

/* policy_server_free - stop the threads and release everything; NULL is
 * fine.  Workers still busy after the grace time are left to the exit,
 * with their connections, the loop and the config they use. */
void
policy_server_free(struct policy_server *s)
{
	if (s == NULL)
		return;
	if (s->sig_thread_started) {
		(void)pthread_cancel(s->sig_thread);
		(void)pthread_join(s->sig_thread, NULL);
	}
	if (s->nwaiting > 0)
		return;
	policy_redis_free(s->redis);
	policy_pool_free(s->pool);
	policy_fibers_free(s->fibers);
	while (s->conns != NULL)
		policy_conn_free(s->conns);
	if (s->loop != NULL)
		ev_loop_destroy(s->loop);
	pthread_mutex_destroy(&s->done_lock);
	generation_unref(s->cfg);
	free(s);
}
