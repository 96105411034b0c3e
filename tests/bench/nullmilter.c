/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nullmilter - a libmilter filter that does no work: the floor under any
 * milter, for tests/bench/bench.sh (configurations null-inet, null-unix).
 *
 *	nullmilter -p SOCKET [-s STEPS] [-n] [-H BYTES]
 *
 * It negotiates the same protocol steps as relayguard (no HELO, RCPT,
 * DATA or unknown commands; no replies to connect, header, body; header
 * values with their leading space) and, at end of message, inserts one
 * header field of BYTES (default 500, about an RSA-2048 DKIM-Signature)
 * and accepts: the same packets relayguard sends, without signing.
 *
 *   -s STEPS	protocol steps to ask for, a number (0x... ok), instead
 *   -n		set TCP_NODELAY on the listening socket (accepted sockets
 *		inherit it on Linux), to show the Nagle/delayed-ACK stall
 *
 * Not part of relayguard; built by bench.sh with cc when it is needed.
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

static unsigned long want_steps =
	SMFIP_NOHELO | SMFIP_NORCPT | SMFIP_NODATA | SMFIP_NOUNKNOWN |
	SMFIP_NR_CONN | SMFIP_NR_HDR | SMFIP_NR_BODY | SMFIP_HDR_LEADSPC;
static char hdr_value[8192];
static unsigned long got_steps;

static sfsistat
nm_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
	     unsigned long f2, unsigned long f3, unsigned long *pf0,
	     unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void)ctx;
	(void)f2;
	(void)f3;
	*pf0 = SMFIF_ADDHDRS & f0;
	*pf1 = want_steps & f1;
	*pf2 = 0;
	*pf3 = 0;
	got_steps = *pf1;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_reply(unsigned long flag)
{
	return (got_steps & flag) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
nm_connect(SMFICTX *ctx, char *host, struct sockaddr *sa)
{
	(void)ctx;
	(void)host;
	(void)sa;
	return nm_reply(SMFIP_NR_CONN);
}

static sfsistat
nm_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return nm_reply(SMFIP_NR_HDR);
}

static sfsistat
nm_body(SMFICTX *ctx, unsigned char *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	return nm_reply(SMFIP_NR_BODY);
}

static sfsistat
nm_eom(SMFICTX *ctx)
{
	char name[] = "X-Null-Milter";

	if (smfi_insheader(ctx, 0, name, hdr_value) != MI_SUCCESS)
		return SMFIS_TEMPFAIL;
	return SMFIS_ACCEPT;
}

/* nm_nodelay - TCP_NODELAY on every listening TCP socket we have */
static void
nm_nodelay(void)
{
	int fd;

	for (fd = 3; fd < 64; fd++) {
		int v = 0;
		int one = 1;
		socklen_t l = sizeof(v);

		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &l) == 0 &&
		    v == 1 &&
		    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			       sizeof(one)) == 0)
			fprintf(stderr, "nullmilter: TCP_NODELAY on fd %d\n",
				fd);
	}
}

static char nm_name[] = "nullmilter";

static struct smfiDesc nm_desc = {
	.xxfi_name = nm_name,
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS,
	.xxfi_connect = nm_connect,
	.xxfi_header = nm_header,
	.xxfi_body = nm_body,
	.xxfi_eom = nm_eom,
	.xxfi_negotiate = nm_negotiate,
};

int
main(int argc, char **argv)
{
	char *sock = NULL;
	size_t hbytes = 500;
	int nodelay = 0;
	int ch;

	while ((ch = getopt(argc, argv, "H:np:s:")) != -1) {
		switch (ch) {
		case 'H':
			hbytes = strtoul(optarg, NULL, 10);
			break;
		case 'n':
			nodelay = 1;
			break;
		case 'p':
			sock = optarg;
			break;
		case 's':
			want_steps = strtoul(optarg, NULL, 0);
			break;
		default:
			goto usage;
		}
	}
	if (sock == NULL || hbytes < 2 || hbytes >= sizeof(hdr_value))
		goto usage;
	memset(hdr_value, 'x', hbytes);
	hdr_value[0] = ' ';	/* HDR_LEADSPC: the value as sent */
	hdr_value[hbytes] = '\0';
	if (smfi_register(nm_desc) != MI_SUCCESS ||
	    smfi_setconn(sock) != MI_SUCCESS ||
	    smfi_setbacklog(256) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "nullmilter: cannot open %s\n", sock);
		return 1;
	}
	if (nodelay)
		nm_nodelay();
	fprintf(stderr, "nullmilter: listening on %s, steps 0x%lx\n", sock,
		want_steps);
	return smfi_main() == MI_SUCCESS ? 0 : 1;
usage:
	fprintf(stderr, "usage: nullmilter -p SOCKET [-s STEPS] [-n] "
			"[-H BYTES]\n");
	return 2;
}
