/* SPDX-License-Identifier: BSD-2-Clause */
#include "policy_redis.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "fiber.h"
#include "log.h"
#include "metrics.h"
#include "rconn.h"
#include "xalloc.h"

#define POLICY_REDIS_PIPES 8		/* servers at once */
#define POLICY_REDIS_READ 16384

/* A call waiting for its reply: on the stack of its sleeping fiber. */
struct policy_redis_call {
	struct policy_redis_call *next;
	struct rconn_req *q;
	struct err *e;
	struct fiber *f;
	uint64_t start;			/* its first byte, in the pipe */
	double deadline;		/* mono */
	enum rconn_divert_result result;
};

/* One server's pipe: a lent connection, the bytes to write, the calls. */
struct policy_redis_pipe {
	struct policy_redis *pr;
	bool open;
	struct rconn_lent l;
	ev_io io;
	ev_timer timer;
	char *buf;			/* to write: buf[off..len) */
	size_t len;
	size_t off;
	size_t cap;
	uint64_t base;			/* the pipe offset of buf[0] */
	struct policy_redis_call *head;	/* unanswered, in order */
	struct policy_redis_call *tail;
	bool answered;			/* a reply came since it was lent */
	bool begun;			/* the head's reply is half read */
};

struct policy_redis {
	struct ev_loop *loop;
	struct policy_fibers *fs;
	ev_prepare flush;
	struct policy_redis_pipe pipes[POLICY_REDIS_PIPES];
};

/* The loop's (one policy service per process; used only in its fibers). */
static struct policy_redis *policy_redis_loop;

/* policy_redis_mono - seconds on the monotonic clock */
static double
policy_redis_mono(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* policy_redis_events - read always, write while bytes wait */
static void
policy_redis_events(struct policy_redis_pipe *p)
{
	int want = EV_READ | (p->off < p->len ? EV_WRITE : 0);

	if (ev_is_active(&p->io) && p->io.events == want)
		return;
	ev_io_stop(p->pr->loop, &p->io);
	ev_io_set(&p->io, p->l.c->fd, want);
	ev_io_start(p->pr->loop, &p->io);
}

/* policy_redis_close - give the connection back: ok (nothing owed), or
 * closed with the server backing off when asked */
static void
policy_redis_close(struct policy_redis_pipe *p, bool ok, bool backoff,
		   const char *why)
{
	/* a half-read reply points into a call's ints: never let hiredis
	 * free it with the context */
	rconn_reader_compact_drop(p->l.c->reader);
	p->begun = false;
	ev_io_stop(p->pr->loop, &p->io);
	ev_timer_stop(p->pr->loop, &p->timer);
	rconn_lent_end(&p->l, ok, backoff, why);
	p->open = false;
	p->base += p->len;
	p->len = 0;
	p->off = 0;
	p->head = NULL;
	p->tail = NULL;
	p->answered = false;
}

/* policy_redis_resume - wake the fibers of a detached list, in order
 * (each call is on its fiber's stack: read next first) */
static void
policy_redis_resume(struct policy_redis *pr, struct policy_redis_call *c)
{
	struct policy_redis_call *next;

	for (; c != NULL; c = next) {
		next = c->next;
		policy_fibers_resume(pr->fs, c->f);
	}
}

/* policy_redis_fail - the connection failed (timeout or why): settle
 * every unanswered call as rconn's batches do, close, wake them */
static void
policy_redis_fail(struct policy_redis_pipe *p, bool timeout, const char *why)
{
	struct policy_redis_call *calls = p->head;
	uint64_t written = p->base + p->off;
	struct policy_redis_call *c;
	struct err fe;

	err_set(&fe, "%s: %s", p->l.name, timeout ? "timeout" : why);
	/* a timeout reaches the log through the calls that failed; the
	 * rest is told here, once per connection */
	if (!timeout)
		log_warn("redis %s (the policy service's own connection): "
			 "closed, %s", fe.text,
			 calls != NULL ? "its calls sent again or failed"
				       : "no call was waiting");
	for (c = calls; c != NULL; c = c->next) {
		if (c->start >= written) {
			c->result = RCONN_DIVERT_AGAIN;	/* never went out */
		} else if (!timeout && !p->answered) {
			/* a pooled connection to a restarted server: most
			 * likely nothing ran; once more, on a new one */
			c->result = RCONN_DIVERT_AGAIN;
			c->q->written_before = true;
		} else {
			c->result = RCONN_DIVERT_FAIL;
			*c->e = fe;
			c->q->maybe_ran = true;
		}
	}
	policy_redis_close(p, false, timeout || p->answered, fe.text);
	policy_redis_resume(p->pr, calls);
}

/* policy_redis_write - send what waits; false when the pipe failed */
static bool
policy_redis_write(struct policy_redis_pipe *p)
{
	while (p->off < p->len) {
		ssize_t n = send(p->l.c->fd, p->buf + p->off,
				 p->len - p->off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0) {
			p->off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		policy_redis_fail(p, false,
				  n < 0 ? strerror(errno) : "write failed");
		return false;
	}
	if (p->off == p->len) {
		p->base += p->len;
		p->len = 0;
		p->off = 0;
	}
	policy_redis_events(p);
	return true;
}

/* policy_redis_read - read the replies that came; wake their fibers */
static void
policy_redis_read(struct policy_redis_pipe *p)
{
	redisReader *rd = p->l.c->reader;
	struct policy_redis_call *done = NULL;
	struct policy_redis_call **dtail = &done;
	const char *why = NULL;
	char buf[POLICY_REDIS_READ];
	bool more = true;

	while (more && why == NULL) {
		ssize_t n = recv(p->l.c->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			why = n < 0 ? strerror(errno)
				    : "connection closed by the server";
			break;
		}
		more = (size_t)n == sizeof(buf);
		if (redisReaderFeed(rd, buf, (size_t)n) != REDIS_OK) {
			why = "cannot keep the reply";
			break;
		}
		while (p->head != NULL) {
			struct policy_redis_call *c = p->head;
			int got = rconn_reader_compact_part(rd, c->q->ints,
							    !p->begun);

			if (got < 0) {
				p->begun = false;
				why = "malformed reply";
				break;
			}
			if (got == 0) {	/* the rest comes later */
				p->begun = rd->ridx >= 0;
				break;
			}
			p->begun = false;
			p->head = c->next;
			if (p->head == NULL)
				p->tail = NULL;
			p->answered = true;
			if (c->q->ints->type == REDIS_REPLY_ERROR)
				c->result = RCONN_DIVERT_AGAIN;	/* alone */
			else
				c->result = RCONN_DIVERT_DONE;
			c->next = NULL;
			*dtail = c;
			dtail = &c->next;
		}
		if (why == NULL && p->head == NULL && rd->pos < rd->len)
			why = "a reply nobody asked for";
	}
	if (why != NULL)
		policy_redis_fail(p, false, why);
	else if (p->head == NULL && p->off == p->len)
		policy_redis_close(p, true, false, NULL);
	policy_redis_resume(p->pr, done);
}

/* policy_redis_io - the pipe's socket */
static void
policy_redis_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct policy_redis_pipe *p = w->data;

	(void)loop;
	if ((revents & EV_WRITE) && !policy_redis_write(p))
		return;
	if (revents & EV_READ)
		policy_redis_read(p);
}

/* policy_redis_arm - the timer at the earliest deadline of the calls */
static void
policy_redis_arm(struct policy_redis_pipe *p, double now)
{
	const struct policy_redis_call *c;
	double first = 0;

	for (c = p->head; c != NULL; c = c->next)
		if (first == 0 || c->deadline < first)
			first = c->deadline;
	if (first == 0)
		return;
	ev_timer_stop(p->pr->loop, &p->timer);
	ev_timer_set(&p->timer, first > now ? first - now : 0.0, 0.);
	ev_timer_start(p->pr->loop, &p->timer);
}

/* policy_redis_timer - a call waited its whole timeout: the pipe fails */
static void
policy_redis_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct policy_redis_pipe *p = w->data;
	const struct policy_redis_call *c;
	double now = policy_redis_mono();

	(void)loop;
	(void)revents;
	for (c = p->head; c != NULL; c = c->next)
		if (c->deadline <= now) {
			policy_redis_fail(p, true, NULL);
			return;
		}
	policy_redis_arm(p, now);
}

/* policy_redis_flush - before the loop waits: this iteration's calls go
 * out, one write per server */
static void
policy_redis_flush(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct policy_redis *pr = w->data;
	bool again = true;
	int pass;
	size_t i;

	(void)loop;
	(void)revents;
	/* a pipe that fails here resumes its decisions, which may queue
	 * calls on pipes already passed: go round again; what is still left
	 * then waits for its socket to be writable (never for a timer) */
	for (pass = 0; again && pass < 4; pass++) {
		again = false;
		for (i = 0; i < POLICY_REDIS_PIPES; i++) {
			struct policy_redis_pipe *p = &pr->pipes[i];

			if (p->open && p->off < p->len &&
			    !(ev_is_active(&p->io) &&
			      (p->io.events & EV_WRITE)) &&
			    !policy_redis_write(p))
				again = true;
		}
	}
	for (i = 0; again && i < POLICY_REDIS_PIPES; i++)
		if (pr->pipes[i].open)
			policy_redis_events(&pr->pipes[i]);
}

/* policy_redis_divert - rconn's divert: take a pipelined call of a fiber
 * and sleep until its reply (rconn.h) */
static enum rconn_divert_result
policy_redis_divert(struct rconn *r, struct rconn_req *q, struct err *e)
{
	struct policy_redis *pr = policy_redis_loop;
	struct policy_redis_pipe *p = NULL;
	struct policy_redis_pipe *spare = NULL;
	struct policy_redis_call call;
	double now;
	size_t i;

	if (pr == NULL || fiber_self() == NULL)
		return RCONN_DIVERT_NO;
	for (i = 0; i < POLICY_REDIS_PIPES && p == NULL; i++) {
		struct policy_redis_pipe *x = &pr->pipes[i];

		if (x->open && rconn_same_server(r, &x->l))
			p = x;
		else if (!x->open && spare == NULL)
			spare = x;
	}
	if (p == NULL) {
		if (spare == NULL || rconn_lend(r, &spare->l) < 0) {
			metrics_loop_call("declined");
			return RCONN_DIVERT_NO;
		}
		p = spare;
		p->open = true;
		p->answered = false;
		policy_redis_events(p);
	}
	if (p->len + q->rawlen > p->cap) {
		p->cap = (p->len + q->rawlen) * 2;
		p->buf = xrealloc(p->buf, p->cap);
	}
	memcpy(p->buf + p->len, q->raw, q->rawlen);
	call.next = NULL;
	call.q = q;
	call.e = e;
	call.f = fiber_self();
	call.start = p->base + p->len;
	now = policy_redis_mono();
	call.deadline = now + rconn_timeout_ms(r) / 1000.0;
	call.result = RCONN_DIVERT_NO;
	p->len += q->rawlen;
	if (p->tail != NULL)
		p->tail->next = &call;
	else
		p->head = &call;
	p->tail = &call;
	if (!ev_is_active(&p->timer))
		policy_redis_arm(p, now);
	fiber_yield();
	if (call.result == RCONN_DIVERT_AGAIN)
		q->maybe_ran = false;
	metrics_loop_call(call.result == RCONN_DIVERT_DONE   ? "answered"
			  : call.result == RCONN_DIVERT_AGAIN ? "again"
							      : "failed");
	return call.result;
}

/* policy_redis_new - the loop's pipes; rconn's divert goes to them */
struct policy_redis *
policy_redis_new(struct ev_loop *loop, struct policy_fibers *fs)
{
	struct policy_redis *pr = xcalloc(1, sizeof(*pr));
	size_t i;

	pr->loop = loop;
	pr->fs = fs;
	for (i = 0; i < POLICY_REDIS_PIPES; i++) {
		struct policy_redis_pipe *p = &pr->pipes[i];

		p->pr = pr;
		ev_io_init(&p->io, policy_redis_io, -1, EV_READ);
		p->io.data = p;
		ev_timer_init(&p->timer, policy_redis_timer, 0., 0.);
		p->timer.data = p;
	}
	ev_prepare_init(&pr->flush, policy_redis_flush);
	pr->flush.data = pr;
	ev_prepare_start(loop, &pr->flush);
	policy_redis_loop = pr;
	rconn_set_divert(policy_redis_divert);
	return pr;
}

/* policy_redis_free - give idle pipes back; NULL is fine (pipes with
 * calls still owed are left to the exit with their decisions) */
void
policy_redis_free(struct policy_redis *pr)
{
	bool busy = false;
	size_t i;

	if (pr == NULL)
		return;
	rconn_set_divert(NULL);
	policy_redis_loop = NULL;
	ev_prepare_stop(pr->loop, &pr->flush);
	for (i = 0; i < POLICY_REDIS_PIPES; i++) {
		struct policy_redis_pipe *p = &pr->pipes[i];

		if (p->open && p->head == NULL)
			policy_redis_close(p, p->off == p->len, false, NULL);
		busy = busy || p->open;
		if (!p->open)
			free(p->buf);
	}
	if (!busy)
		free(pr);
}
