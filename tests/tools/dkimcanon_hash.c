/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dkimcanon_hash - print relayguard's DKIM body hashes of files, for
 * comparisons with other implementations (tests/integration/dkimcanon_py.py
 * compares with python3-dkim).
 *
 *	dkimcanon_hash [-c CHUNK] FILE...
 *
 * One line per file: "FILE SIMPLE RELAXED", the base64 bh= values (RFC
 * 6376 3.7) of the whole file taken as a message body, fed to dkimcanon in
 * pieces of CHUNK bytes (default: the whole file at once).  Exit 0, or 1
 * when a file cannot be read, 2 on bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "dkimcanon.h"

#define FILE_MAX (16UL << 20)

/* read_all - the whole file into a fresh buffer; NULL on failure */
static unsigned char *
read_all(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf;
	size_t n;

	if (fp == NULL)
		return NULL;
	buf = malloc(FILE_MAX);
	if (buf == NULL) {
		(void)fclose(fp);
		return NULL;
	}
	n = fread(buf, 1, FILE_MAX, fp);
	if (ferror(fp) || !feof(fp)) {
		(void)fclose(fp);	/* read-only: nothing to lose */
		free(buf);
		errno = EFBIG;
		return NULL;
	}
	(void)fclose(fp);
	*len = n;
	return buf;
}

/* body_hash - base64 bh= of buf in one canonicalization */
static int
body_hash(enum conf_canon cn, const unsigned char *buf, size_t len,
	  size_t chunk, char *b64)
{
	struct dkimcanon c;
	unsigned char h[DKIMCANON_HASH_LEN];
	size_t off = 0;
	size_t n;
	int rc = 0;

	if (dkimcanon_body_init(&c, cn) < 0)
		rc = -1;
	while (rc == 0 && off < len) {
		n = len - off < chunk ? len - off : chunk;
		rc = dkimcanon_body(&c, buf + off, n);
		off += n;
	}
	if (rc == 0)
		rc = dkimcanon_body_final(&c, h);
	dkimcanon_body_free(&c);
	if (rc == 0)
		(void)EVP_EncodeBlock((unsigned char *)b64, h, sizeof(h));
	return rc;
}

int
main(int argc, char **argv)
{
	char s[64];
	char r[64];
	size_t chunk = (size_t)-1;
	unsigned char *buf;
	size_t len;
	char *end;
	int rc = 0;
	int opt;
	int i;

	while ((opt = getopt(argc, argv, "c:")) != -1) {
		switch (opt) {
		case 'c':
			errno = 0;
			chunk = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || chunk == 0 ||
			    optarg[0] == '-') {
				fprintf(stderr, "dkimcanon_hash: bad -c %s\n",
					optarg);
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: dkimcanon_hash [-c CHUNK] "
				"FILE...\n");
			return 2;
		}
	}
	for (i = optind; i < argc; i++) {
		buf = read_all(argv[i], &len);
		if (buf == NULL) {
			fprintf(stderr, "dkimcanon_hash: %s: %s\n", argv[i],
				strerror(errno));
			rc = 1;
			continue;
		}
		if (body_hash(CONF_CANON_SIMPLE, buf, len, chunk, s) < 0 ||
		    body_hash(CONF_CANON_RELAXED, buf, len, chunk, r) < 0) {
			fprintf(stderr, "dkimcanon_hash: %s: hash failed\n",
				argv[i]);
			rc = 1;
		} else {
			printf("%s %s %s\n", argv[i], s, r);
		}
		free(buf);
	}
	return rc;
}
