/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nodelay.so - LD_PRELOAD experiment for tests/bench/bench.sh: turn off
 * Nagle's algorithm (TCP_NODELAY) on milter TCP sockets without changing
 * the program, to measure the Nagle/delayed-ACK stall on inet milters.
 *
 *   NODELAY_LISTEN=1	set TCP_NODELAY on every TCP socket the program
 *			listen()s on (a filter: Linux copies the option to
 *			each accept()ed socket)
 *   NODELAY_CHECK=1	print once to stderr whether an accepted socket
 *			really has TCP_NODELAY
 *   NODELAY_PORT=P	set TCP_NODELAY on every TCP socket the program
 *			connect()s to port P ("all": any port) - for the
 *			MTA side, e.g. Postfix's import_environment
 *
 * BENCH_PRELOAD=nodelay builds it and preloads it into the filter with
 * NODELAY_LISTEN=1.  Not part of relayguard.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* is_tcp - FD is an IPv4/IPv6 stream socket */
static int
is_tcp(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	socklen_t l;
	int t = 0;

	l = sizeof(t);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &l) < 0 || t != SOCK_STREAM)
		return 0;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return 0;
	return ss.ss_family == AF_INET || ss.ss_family == AF_INET6;
}

int
listen(int fd, int backlog)
{
	static int (*real)(int, int);
	int one = 1;

	if (real == NULL)
		real = (int (*)(int, int))dlsym(RTLD_NEXT, "listen");
	if (getenv("NODELAY_LISTEN") != NULL && is_tcp(fd))
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				 sizeof(one));
	return real(fd, backlog);
}

int
accept(int fd, struct sockaddr *sa, socklen_t *sl)
{
	static int (*real)(int, struct sockaddr *, socklen_t *);
	static int checked;
	int r;

	if (real == NULL)
		real = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(
			RTLD_NEXT, "accept");
	r = real(fd, sa, sl);
	if (r >= 0 && !checked && getenv("NODELAY_CHECK") != NULL &&
	    is_tcp(r)) {
		int v = 0;
		socklen_t vl = sizeof(v);

		(void)getsockopt(r, IPPROTO_TCP, TCP_NODELAY, &v, &vl);
		fprintf(stderr, "nodelay.so: accepted socket TCP_NODELAY=%d\n",
			v);
		checked = 1;
	}
	return r;
}

int
connect(int fd, const struct sockaddr *sa, socklen_t sl)
{
	static int (*real)(int, const struct sockaddr *, socklen_t);
	const char *p = getenv("NODELAY_PORT");
	int one = 1;

	if (real == NULL)
		real = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(
			RTLD_NEXT, "connect");
	if (p != NULL && sa != NULL && sa->sa_family == AF_INET &&
	    (strcmp(p, "all") == 0 ||
	     ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port) ==
		     atoi(p)))
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				 sizeof(one));
	return real(fd, sa, sl);
}
