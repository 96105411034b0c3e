/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * policy_load - a load generator for Postfix policy servers, and a policy
 * server that does no work, for tests/bench/policy_bench.sh.
 *
 *	policy_load [-c CONNS] [-d SECONDS] [-w WARMUP] [-u USERS]
 *		    [-r RCPTS] [-t TIMEOUT] [-e] SOCKET
 *	policy_load -S SOCKET		(the do-nothing server)
 *
 * SOCKET: HOST:PORT or unix:PATH.  CONNS connections (default 10) each
 * behave like one Postfix smtpd process: send a request, wait for the
 * reply, send the next (closed loop, never two requests at once on one
 * connection).  Requests are Postfix 3.7 RCPT requests (31 attributes,
 * about 700 bytes): each simulated message has RCPTS recipients (default
 * 2) and its own instance; the SASL login (and sender) is one of USERS
 * (default 1000) chosen at random, the client one of 250 addresses.  With
 * -e each message ends with an END-OF-MESSAGE request as well (Postfix's
 * smtpd_end_of_data_restrictions), with its own queue id.
 * After WARMUP seconds (default 2, not counted) it counts for SECONDS
 * (default 10) and prints one line:
 *
 *	conns=10 seconds=10.00 decisions=N rate=R p50_us=.. p90_us=..
 *	p99_us=.. max_us=.. dunno=N other=N timeouts=N errors=N
 *
 * "decisions" are replies that ended within the window; latency is from
 * the write of a request to the end of its reply, on one epoll thread
 * (CLOCK_MONOTONIC, 1 us buckets up to 1 s).  "other" counts replies other
 * than DUNNO (a rate rule that fired); a request unanswered for TIMEOUT
 * seconds (default 5) counts as a timeout and its connection is made
 * again.  Connections are all made before the warm-up ends.
 *
 * Not part of relayguard; built by policy_bench.sh with cc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define HIST_MAX 1000000	/* 1 us buckets up to 1 s */
#define REQ_MAX 2048
#define RECV_MAX 4096

struct conn {
	int fd;
	int connected;
	char req[REQ_MAX];
	size_t reqlen;
	size_t sent;
	char in[RECV_MAX];
	size_t inlen;
	int64_t t_sent;		/* ns; 0: no request outstanding */
	unsigned msg;		/* messages of this connection */
	unsigned rcpt;		/* recipient of the current message */
	char login[32];
	char client[32];
};

static struct sockaddr_storage target;
static socklen_t target_len;
static int nconns = 10;
static double seconds = 10;
static double warmup = 2;
static unsigned users = 1000;
static unsigned rcpts = 2;
static int eom;			/* -e: END-OF-MESSAGE after the RCPTs */
static double timeout_s = 5;
static uint32_t *hist;
static uint64_t over_hist;	/* latencies over 1 s */
static int64_t max_ns;
static uint64_t n_dec, n_dunno, n_other, n_timeout, n_error;
static int epfd;

/* now_ns - CLOCK_MONOTONIC in nanoseconds */
static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* die - print and exit */
static void
die(const char *what)
{
	perror(what);
	exit(1);
}

/* parse_target - HOST:PORT or unix:PATH */
static void
parse_target(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&target;

		sun->sun_family = AF_UNIX;
		if (strlen(spec + 5) >= sizeof(sun->sun_path)) {
			fprintf(stderr, "policy_load: path too long\n");
			exit(2);
		}
		memcpy(sun->sun_path, spec + 5, strlen(spec + 5) + 1);
		target_len = sizeof(*sun);
	} else {
		char host[256];
		const char *colon = strrchr(spec, ':');
		struct addrinfo hints, *res;

		if (colon == NULL || (size_t)(colon - spec) >= sizeof(host)) {
			fprintf(stderr, "policy_load: %s: HOST:PORT?\n", spec);
			exit(2);
		}
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = '\0';
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		if (getaddrinfo(host, colon + 1, &hints, &res) != 0) {
			fprintf(stderr, "policy_load: cannot resolve %s\n",
				spec);
			exit(2);
		}
		memcpy(&target, res->ai_addr, res->ai_addrlen);
		target_len = res->ai_addrlen;
		freeaddrinfo(res);
	}
}

/* build_request - the next RCPT request of this connection */
static void
build_request(struct conn *c, int id)
{
	int n;

	if (c->rcpt == 0) {	/* a new message */
		unsigned u = (unsigned)random() % users;

		c->msg++;
		snprintf(c->login, sizeof(c->login), "user%u", u);
		snprintf(c->client, sizeof(c->client), "198.51.100.%u",
			 u % 250 + 1);
	}
	if (eom && c->rcpt == rcpts) {	/* the end of the message */
		n = snprintf(c->req, sizeof(c->req),
			     "request=smtpd_access_policy\n"
			     "protocol_state=END-OF-MESSAGE\n"
			     "protocol_name=ESMTP\n"
			     "client_address=%s\n"
			     "client_name=host-%s.example.net\n"
			     "helo_name=[%s]\n"
			     "sender=%s@example.com\n"
			     "recipient=\n"
			     "recipient_count=%u\n"
			     "queue_id=%X%04X%06X\n"
			     "instance=%x.%x.%x.%u\n"
			     "size=%u\n"
			     "sasl_method=PLAIN\n"
			     "sasl_username=%s\n"
			     "\n",
			     c->client, c->client, c->client, c->login, rcpts,
			     (unsigned)getpid() & 0xfff, (unsigned)id,
			     c->msg & 0xffffff, (unsigned)getpid(), id, c->msg,
			     0u, 1000 + (c->msg % 50) * 1000, c->login);
		if (n < 0 || n >= (int)sizeof(c->req)) {
			fprintf(stderr, "policy_load: request too long\n");
			exit(1);
		}
		c->reqlen = (size_t)n;
		c->sent = 0;
		c->inlen = 0;
		c->rcpt = 0;
		return;
	}
	n = snprintf(c->req, sizeof(c->req),
		     "request=smtpd_access_policy\n"
		     "protocol_state=RCPT\n"
		     "protocol_name=ESMTP\n"
		     "client_address=%s\n"
		     "client_name=host-%s.example.net\n"
		     "client_port=%d\n"
		     "reverse_client_name=host-%s.example.net\n"
		     "server_address=127.0.0.1\n"
		     "server_port=587\n"
		     "helo_name=[%s]\n"
		     "sender=%s@example.com\n"
		     "recipient=rcpt%u.%u@example.org\n"
		     "recipient_count=%u\n"
		     "queue_id=%s\n"
		     "instance=%x.%x.%x.%u\n"
		     "size=%u\n"
		     "etrn_domain=\n"
		     "stress=\n"
		     "sasl_method=PLAIN\n"
		     "sasl_username=%s\n"
		     "sasl_sender=\n"
		     "ccert_subject=\n"
		     "ccert_issuer=\n"
		     "ccert_fingerprint=\n"
		     "ccert_pubkey_fingerprint=\n"
		     "encryption_protocol=TLSv1.3\n"
		     "encryption_cipher=TLS_AES_256_GCM_SHA384\n"
		     "encryption_keysize=256\n"
		     "policy_context=\n"
		     "compatibility_level=3.6\n"
		     "mail_version=3.7.11\n"
		     "\n",
		     c->client, c->client, 40000 + id, c->client, c->client,
		     c->login, c->msg, c->rcpt, c->rcpt,
		     c->rcpt ? "4A7B11C0E2" : "", (unsigned)getpid(), id,
		     c->msg, 0u, 1000 + (c->msg % 50) * 1000, c->login);
	if (n < 0 || n >= (int)sizeof(c->req)) {
		fprintf(stderr, "policy_load: request too long\n");
		exit(1);
	}
	c->reqlen = (size_t)n;
	c->sent = 0;
	c->inlen = 0;
	c->rcpt = (c->rcpt + 1) % (rcpts + (eom ? 1 : 0));
}

/* conn_open - a non-blocking connect */
static void
conn_open(struct conn *c, int id)
{
	struct epoll_event ev;
	int one = 1;

	c->fd = socket(target.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		die("socket");
	if (target.ss_family != AF_UNIX)
		(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one,
				 sizeof(one));
	c->connected = 0;
	c->t_sent = 0;
	if (connect(c->fd, (struct sockaddr *)&target, target_len) < 0 &&
	    errno != EINPROGRESS && errno != EAGAIN)
		die("connect");
	ev.events = EPOLLOUT | EPOLLIN;
	ev.data.u32 = (uint32_t)id;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		die("epoll_ctl");
}

/* conn_reset - close and connect again (after a timeout or an error) */
static void
conn_reset(struct conn *c, int id)
{
	(void)close(c->fd);
	c->rcpt = 0;
	conn_open(c, id);
}

/* conn_send - write what is left of the request */
static int
conn_send(struct conn *c, int id, int64_t now)
{
	ssize_t n;

	if (c->sent == 0) {
		build_request(c, id);
		c->t_sent = now;
	}
	n = send(c->fd, c->req + c->sent, c->reqlen - c->sent, MSG_NOSIGNAL);
	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	c->sent += (size_t)n;
	return 0;
}

/* record - one decision */
static void
record(int64_t lat, const char *reply, int counting)
{
	if (!counting)
		return;
	n_dec++;
	if (strncasecmp(reply, "action=dunno", 12) == 0)
		n_dunno++;
	else
		n_other++;
	if (lat > max_ns)
		max_ns = lat;
	if (lat / 1000 < HIST_MAX)
		hist[lat / 1000]++;
	else
		over_hist++;
}

/* conn_recv - read; on a complete reply, record and send the next */
static int
conn_recv(struct conn *c, int id, int64_t now, int counting)
{
	ssize_t n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen,
			 0);

	if (n <= 0)
		return n < 0 && errno == EAGAIN ? 0 : -1;
	c->inlen += (size_t)n;
	c->in[c->inlen] = '\0';
	if (c->inlen < 2 || memcmp(c->in + c->inlen - 2, "\n\n", 2) != 0)
		return c->inlen >= sizeof(c->in) - 1 ? -1 : 0;
	record(now - c->t_sent, c->in, counting);
	c->t_sent = 0;
	c->sent = 0;
	return conn_send(c, id, now);
}

/* percentile - latency in us below which p of the decisions are */
static double
percentile(double p)
{
	uint64_t want = (uint64_t)(p * (double)n_dec);
	uint64_t seen = 0;
	int i;

	for (i = 0; i < HIST_MAX; i++) {
		seen += hist[i];
		if (seen > want)
			return i + 0.5;
	}
	return (double)max_ns / 1000.0;
}

/* run_load - the load generator */
static int
run_load(void)
{
	struct conn *c = calloc((size_t)nconns, sizeof(*c));
	struct epoll_event evs[256];
	int64_t start = now_ns();
	int64_t t_begin = start + (int64_t)(warmup * 1e9);
	int64_t t_end = t_begin + (int64_t)(seconds * 1e9);
	int64_t tmo = (int64_t)(timeout_s * 1e9);
	int64_t last_scan = start;
	int i;

	hist = calloc(HIST_MAX, sizeof(*hist));
	if (c == NULL || hist == NULL)
		die("calloc");
	epfd = epoll_create1(0);
	if (epfd < 0)
		die("epoll_create1");
	srandom((unsigned)getpid());
	for (i = 0; i < nconns; i++)
		conn_open(&c[i], i);
	for (;;) {
		int64_t now = now_ns();
		int n;

		if (now >= t_end)
			break;
		n = epoll_wait(epfd, evs, 256, 100);
		now = now_ns();
		for (i = 0; i < n; i++) {
			int id = (int)evs[i].data.u32;
			struct conn *k = &c[id];
			int counting = now >= t_begin && now < t_end &&
				       k->t_sent >= t_begin;
			int rc = 0;

			if (evs[i].events & (EPOLLERR | EPOLLHUP) &&
			    !(evs[i].events & EPOLLIN)) {
				if (now >= t_begin)
					n_error++;
				conn_reset(k, id);
				continue;
			}
			if (!k->connected && (evs[i].events & EPOLLOUT)) {
				struct epoll_event ev;

				k->connected = 1;
				ev.events = EPOLLIN;
				ev.data.u32 = (uint32_t)id;
				(void)epoll_ctl(epfd, EPOLL_CTL_MOD, k->fd, &ev);
				rc = conn_send(k, id, now);
			} else if (evs[i].events & EPOLLIN) {
				rc = conn_recv(k, id, now, counting);
			}
			if (rc == 0 && k->connected && k->sent < k->reqlen &&
			    k->t_sent != 0)
				rc = conn_send(k, id, now);
			if (rc < 0) {
				if (now >= t_begin)
					n_error++;
				conn_reset(k, id);
			}
		}
		if (now - last_scan > 100000000) {	/* timeouts */
			last_scan = now;
			for (i = 0; i < nconns; i++) {
				if (c[i].t_sent == 0 || now - c[i].t_sent < tmo)
					continue;
				if (now >= t_begin)
					n_timeout++;
				conn_reset(&c[i], i);
			}
		}
	}
	printf("conns=%d seconds=%.2f decisions=%llu rate=%.0f p50_us=%.0f "
	       "p90_us=%.0f p99_us=%.0f max_us=%.0f dunno=%llu other=%llu "
	       "timeouts=%llu errors=%llu\n",
	       nconns, seconds, (unsigned long long)n_dec,
	       (double)n_dec / seconds, percentile(0.50), percentile(0.90),
	       percentile(0.99), (double)max_ns / 1000.0,
	       (unsigned long long)n_dunno, (unsigned long long)n_other,
	       (unsigned long long)n_timeout, (unsigned long long)n_error);
	return 0;
}

/* serve_null - answer DUNNO to every request, no work at all */
static int
serve_null(void)
{
	struct epoll_event evs[256];
	struct epoll_event ev;
	static char buf[65536];
	static const char reply[] = "action=DUNNO\n\n";
	static char tail[1 << 16];	/* fd -> last byte was '\n' */
	int one = 1;
	int lfd;

	lfd = socket(target.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (lfd < 0)
		die("socket");
	(void)setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (target.ss_family == AF_UNIX)
		(void)unlink(((struct sockaddr_un *)&target)->sun_path);
	if (bind(lfd, (struct sockaddr *)&target, target_len) < 0 ||
	    listen(lfd, 1024) < 0)
		die("bind/listen");
	epfd = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	(void)epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		int n = epoll_wait(epfd, evs, 256, -1);
		int i;

		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			ssize_t r;
			ssize_t j;
			int replies = 0;

			if (fd == lfd) {
				int cfd;

				while ((cfd = accept4(lfd, NULL, NULL,
						      SOCK_NONBLOCK)) >= 0) {
					if (cfd >= (int)sizeof(tail)) {
						close(cfd);
						continue;
					}
					(void)setsockopt(cfd, IPPROTO_TCP,
							 TCP_NODELAY, &one,
							 sizeof(one));
					tail[cfd] = 0;
					ev.events = EPOLLIN;
					ev.data.fd = cfd;
					(void)epoll_ctl(epfd, EPOLL_CTL_ADD,
							cfd, &ev);
				}
				continue;
			}
			r = read(fd, buf, sizeof(buf));
			if (r <= 0) {
				close(fd);
				continue;
			}
			for (j = 0; j < r; j++) {
				if (buf[j] == '\n' && tail[fd])
					replies++;
				tail[fd] = buf[j] == '\n';
			}
			while (replies-- > 0)
				if (write(fd, reply, sizeof(reply) - 1) < 0)
					break;
		}
	}
	return 0;
}

/* num - a number option, or usage */
static double
num(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end != '\0' || v < 0) {
		fprintf(stderr, "policy_load: bad number %s\n", s);
		exit(2);
	}
	return v;
}

/* usage - synopsis */
static void
usage(void)
{
	fprintf(stderr, "usage: policy_load [-c conns] [-d seconds] "
			"[-w warmup] [-u users] [-r rcpts] [-t timeout] "
			"SOCKET\n       policy_load -S SOCKET\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	int server = 0;
	int ch;

	while ((ch = getopt(argc, argv, "c:d:er:St:u:w:")) != -1) {
		switch (ch) {
		case 'e':
			eom = 1;
			break;
		case 'c':
			nconns = (int)num(optarg);
			break;
		case 'd':
			seconds = num(optarg);
			break;
		case 'r':
			rcpts = (unsigned)num(optarg);
			break;
		case 'S':
			server = 1;
			break;
		case 't':
			timeout_s = num(optarg);
			break;
		case 'u':
			users = (unsigned)num(optarg);
			break;
		case 'w':
			warmup = num(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind + 1 != argc || nconns < 1 || seconds <= 0 || rcpts < 1 ||
	    users < 1)
		usage();
	parse_target(argv[optind]);
	return server ? serve_null() : run_load();
}
