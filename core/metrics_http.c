/* SPDX-License-Identifier: BSD-2-Clause */
#include "metrics_http.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "tspec.h"

/* Largest exposition served: far above what METRICS_SERIES_MAX allows. */
#define METRICS_HTTP_BODY_MAX (4U << 20)

static int mh_listen_fd = -1;
static int mh_wake[2] = {-1, -1};
static unsigned mh_port;
static unsigned long mh_timeout_ms;
static pthread_t mh_thread;
static bool mh_running;

/* mh_is_upper - a method character: the methods we know are upper case
 * (RFC 9110 section 9: methods are case-sensitive) */
static bool
mh_is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

/* metrics_http_parse - classify a request head (see the header) */
enum metrics_http_result
metrics_http_parse(const char *buf, size_t len, bool *head)
{
	const char *end = NULL;
	const char *eol;
	const char *sp1;
	const char *sp2;
	const char *target;
	size_t tlen;
	size_t i;

	*head = false;
	/* the head ends with an empty line: CRLF CRLF, or bare LFs */
	for (i = 0; i + 1 < len; i++) {
		if (buf[i] == '\n' && buf[i + 1] == '\n') {
			end = buf + i;
			break;
		}
		if (buf[i] == '\n' && buf[i + 1] == '\r' && i + 2 < len &&
		    buf[i + 2] == '\n') {
			end = buf + i;
			break;
		}
	}
	if (end == NULL)
		return len >= METRICS_HTTP_REQUEST_MAX ? METRICS_HTTP_TOO_LARGE
						       : METRICS_HTTP_INCOMPLETE;
	if (memchr(buf, '\0', (size_t)(end - buf)) != NULL)
		return METRICS_HTTP_BAD_REQUEST;
	eol = memchr(buf, '\n', (size_t)(end - buf) + 1);
	if (eol > buf && eol[-1] == '\r')
		eol--;
	/* METHOD SP TARGET SP HTTP/1.x, single spaces (RFC 9112 3) */
	sp1 = memchr(buf, ' ', (size_t)(eol - buf));
	if (sp1 == NULL || sp1 == buf || sp1 - buf > 16)
		return METRICS_HTTP_BAD_REQUEST;
	for (i = 0; buf + i < sp1; i++)
		if (!mh_is_upper(buf[i]))
			return METRICS_HTTP_BAD_REQUEST;
	target = sp1 + 1;
	sp2 = memchr(target, ' ', (size_t)(eol - target));
	if (sp2 == NULL || sp2 == target || eol - sp2 != 9 ||
	    memcmp(sp2 + 1, "HTTP/1.", 7) != 0 || sp2[8] < '0' ||
	    sp2[8] > '9')
		return METRICS_HTTP_BAD_REQUEST;
	for (i = 0; target + i < sp2; i++)
		if ((unsigned char)target[i] <= 0x20 ||
		    (unsigned char)target[i] >= 0x7f)
			return METRICS_HTTP_BAD_REQUEST;
	if (target[0] != '/')
		return METRICS_HTTP_BAD_REQUEST;
	if (sp1 - buf == 4 && memcmp(buf, "HEAD", 4) == 0)
		*head = true;
	else if (sp1 - buf != 3 || memcmp(buf, "GET", 3) != 0)
		return METRICS_HTTP_BAD_METHOD;
	tlen = (size_t)(sp2 - target);
	if (tlen >= 8 && memcmp(target, "/metrics", 8) == 0 &&
	    (tlen == 8 || target[8] == '?'))
		return METRICS_HTTP_METRICS;
	return METRICS_HTTP_NOT_FOUND;
}

/* metrics_http_response - the whole answer for a parsed request */
int
metrics_http_response(enum metrics_http_result r, bool head,
		      struct strbuf *out)
{
	struct strbuf body;
	const char *status;
	const char *type = "text/plain; charset=utf-8";
	const char *extra = "";
	int rc = 0;

	strbuf_init(&body, METRICS_HTTP_BODY_MAX);
	switch (r) {
	case METRICS_HTTP_METRICS:
		status = "200 OK";
		type = "text/plain; version=0.0.4; charset=utf-8";
		if (metrics_render(&body) < 0)
			rc = -1;
		break;
	case METRICS_HTTP_NOT_FOUND:
		status = "404 Not Found";
		rc = strbuf_append_str(&body, "not found: try /metrics\n");
		break;
	case METRICS_HTTP_BAD_METHOD:
		status = "405 Method Not Allowed";
		extra = "Allow: GET, HEAD\r\n";
		rc = strbuf_append_str(&body, "method not allowed\n");
		break;
	case METRICS_HTTP_BAD_REQUEST:
		status = "400 Bad Request";
		rc = strbuf_append_str(&body, "bad request\n");
		break;
	case METRICS_HTTP_TOO_LARGE:
		status = "431 Request Header Fields Too Large";
		rc = strbuf_append_str(&body, "request too large\n");
		break;
	default:
		strbuf_free(&body);
		return -1;
	}
	if (rc == 0)
		rc = strbuf_printf(out, "HTTP/1.0 %s\r\nContent-Type: %s\r\n"
					"Content-Length: %zu\r\n%s"
					"Connection: close\r\n\r\n",
				   status, type, body.len, extra);
	if (rc == 0 && !head && body.len > 0)
		rc = strbuf_append(out, body.data, body.len);
	strbuf_free(&body);
	return rc;
}

/* One connection in progress. */
struct mh_conn {
	int fd;				/* -1: the slot is free */
	enum { MH_READ, MH_WRITE, MH_LINGER } phase;
	struct timespec deadline;	/* everything done by then */
	char in[METRICS_HTTP_REQUEST_MAX];
	size_t inlen;
	struct strbuf out;
	size_t done;			/* bytes of out sent */
};

/* The connections, used by the endpoint thread only. */
static struct mh_conn mh_conns[METRICS_HTTP_CONN_MAX];

/* mh_ms_left - milliseconds until deadline (monotonic), 0 when past */
static int
mh_ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000 +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? (int)ms : 0;
}

/* mh_close - end one connection and free its slot */
static void
mh_close(struct mh_conn *c)
{
	(void)close(c->fd);	/* nothing left to report */
	c->fd = -1;
	if (c->phase != MH_READ)
		strbuf_free(&c->out);
}

/* mh_accept - a new connection into a free slot, with its deadline */
static void
mh_accept(struct mh_conn *c)
{
	int fd = accept4(mh_listen_fd, NULL, NULL,
			 SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;		/* the client left already, or EMFILE */
	c->fd = fd;
	c->phase = MH_READ;
	c->inlen = 0;
	c->done = 0;
	c->deadline = tspec_after(CLOCK_MONOTONIC, mh_timeout_ms);
}

/* mh_again - a transient error of a non-blocking call */
static bool
mh_again(void)
{
	return errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK;
}

/* mh_step - go on with one connection that poll() says is ready: read
 * the head, answer, then read and drop what the client still sends
 * until it closes (a lingering close: a client still sending an
 * oversized head would otherwise get a reset instead of our answer) */
static void
mh_step(struct mh_conn *c)
{
	enum metrics_http_result r;
	char drop[1024];
	ssize_t n;
	bool head;

	switch (c->phase) {
	case MH_READ:
		n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
		if (n < 0 && mh_again())
			return;
		if (n <= 0) {
			/* gone before the end of the head */
			mh_close(c);
			return;
		}
		c->inlen += (size_t)n;
		r = metrics_http_parse(c->in, c->inlen, &head);
		if (r == METRICS_HTTP_INCOMPLETE)
			return;
		strbuf_init(&c->out, METRICS_HTTP_BODY_MAX + 1024);
		c->phase = MH_WRITE;
		if (metrics_http_response(r, head, &c->out) < 0) {
			log_warn("metrics: cannot build the answer");
			mh_close(c);
		}
		return;
	case MH_WRITE:
		n = send(c->fd, c->out.data + c->done, c->out.len - c->done,
			 MSG_NOSIGNAL);
		if (n < 0 && mh_again())
			return;
		if (n <= 0) {
			mh_close(c);
			return;
		}
		c->done += (size_t)n;
		if (c->done < c->out.len)
			return;
		if (shutdown(c->fd, SHUT_WR) < 0) {
			mh_close(c);
			return;
		}
		c->phase = MH_LINGER;
		return;
	case MH_LINGER:
		n = read(c->fd, drop, sizeof(drop));
		if (n < 0 && mh_again())
			return;
		if (n <= 0)
			mh_close(c);
		return;
	}
}

/*
 * mh_loop - the endpoint thread: one poll() over the listening socket and
 * every connection, until woken.  Each connection has its own deadline,
 * so an idle or slow client costs one slot, never another scrape's time;
 * with every slot taken, new clients wait in the listen queue until one
 * frees (at a deadline at the latest).
 */
static void *
mh_loop(void *arg)
{
	struct pollfd p[METRICS_HTTP_CONN_MAX + 2];
	struct mh_conn *pc[METRICS_HTTP_CONN_MAX + 2];
	size_t i;

	(void)arg;
	for (i = 0; i < METRICS_HTTP_CONN_MAX; i++)
		mh_conns[i].fd = -1;
	for (;;) {
		struct mh_conn *free_slot = NULL;
		int timeout = -1;
		nfds_t np = 2;
		int n;

		p[0].fd = mh_wake[0];
		p[0].events = POLLIN;
		p[1].fd = -1;	/* the listener, if a slot is free */
		p[1].events = POLLIN;
		for (i = 0; i < METRICS_HTTP_CONN_MAX; i++) {
			struct mh_conn *c = &mh_conns[i];
			int left;

			if (c->fd < 0) {
				if (free_slot == NULL)
					free_slot = c;
				continue;
			}
			left = mh_ms_left(&c->deadline);
			if (left == 0) {
				mh_close(c);	/* too slow: no answer */
				if (free_slot == NULL)
					free_slot = c;
				continue;
			}
			if (timeout < 0 || left < timeout)
				timeout = left;
			p[np].fd = c->fd;
			p[np].events = c->phase == MH_WRITE ? POLLOUT : POLLIN;
			pc[np++] = c;
		}
		if (free_slot != NULL)
			p[1].fd = mh_listen_fd;
		n = poll(p, np, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_warn("metrics: poll: %s", strerror(errno));
			break;
		}
		if (p[0].revents != 0)
			break;
		for (i = 2; i < np; i++)
			if (p[i].revents != 0)
				mh_step(pc[i]);
		if (free_slot != NULL && p[1].revents != 0)
			mh_accept(free_slot);
	}
	for (i = 0; i < METRICS_HTTP_CONN_MAX; i++)
		if (mh_conns[i].fd >= 0)
			mh_close(&mh_conns[i]);
	return NULL;
}

/* mh_bind - a listening socket for hp; the port actually bound */
static int
mh_bind(const struct hostport *hp, struct err *e)
{
	struct addrinfo hints;
	struct addrinfo *res = NULL;
	struct addrinfo *ai;
	char port[8];
	int fd = -1;
	int one = 1;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	(void)snprintf(port, sizeof(port), "%u", hp->port);
	rc = getaddrinfo(hp->host, port, &hints, &res);
	if (rc != 0) {
		err_set(e, "metrics_listen: %s: %s", hp->host,
			gai_strerror(rc));
		return -1;
	}
	err_set(e, "metrics_listen: %s: no address", hp->host);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				 sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 16) == 0)
			break;
		err_set(e, "metrics_listen: %s port %u: %s", hp->host,
			hp->port, strerror(errno));
		(void)close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* mh_bound_port - the local port of a bound socket */
static unsigned
mh_bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

/* metrics_http_start - bind hp (port 0: any free port) and serve */
int
metrics_http_start(const struct hostport *hp, unsigned long timeout_ms,
		   struct err *e)
{
	int rc;

	if (mh_running) {
		err_set(e, "metrics: already started");
		return -1;
	}
	mh_listen_fd = mh_bind(hp, e);
	if (mh_listen_fd < 0)
		return -1;
	if (pipe2(mh_wake, O_CLOEXEC) < 0) {
		err_set(e, "metrics: pipe: %s", strerror(errno));
		goto fail;
	}
	mh_port = mh_bound_port(mh_listen_fd);
	mh_timeout_ms = timeout_ms ? timeout_ms : METRICS_HTTP_TIMEOUT_MS;
	rc = pthread_create(&mh_thread, NULL, mh_loop, NULL);
	if (rc != 0) {
		err_set(e, "metrics: cannot start a thread: %s", strerror(rc));
		goto fail;
	}
	mh_running = true;
	if (hostport_is_loopback(hp))
		log_info("metrics: serving /metrics on %s port %u", hp->host,
			 mh_port);
	else
		log_warn("metrics: serving /metrics on %s port %u, not only "
			 "on loopback: limit who may connect", hp->host,
			 mh_port);
	return 0;
fail:
	(void)close(mh_listen_fd);
	mh_listen_fd = -1;
	if (mh_wake[0] >= 0) {
		(void)close(mh_wake[0]);
		(void)close(mh_wake[1]);
	}
	mh_wake[0] = mh_wake[1] = -1;
	return -1;
}

/* metrics_http_port - the port being served, 0 when not started */
unsigned
metrics_http_port(void)
{
	return mh_running ? mh_port : 0;
}

/* metrics_http_stop - end the thread and its connections */
void
metrics_http_stop(void)
{
	if (!mh_running)
		return;
	if (write(mh_wake[1], "x", 1) != 1)
		log_warn("metrics: cannot wake the endpoint thread");
	(void)pthread_join(mh_thread, NULL);
	(void)close(mh_listen_fd);
	(void)close(mh_wake[0]);
	(void)close(mh_wake[1]);
	mh_listen_fd = -1;
	mh_wake[0] = mh_wake[1] = -1;
	mh_running = false;
}
