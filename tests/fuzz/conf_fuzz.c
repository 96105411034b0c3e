/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conf_fuzz - libFuzzer target: conf_load_stream() on arbitrary bytes
 * through fmemopen().
 *
 * Besides crashes and leaks: every error starts with the file name (the
 * "FILE:LINE: ..." promise), and a loaded config holds values inside the
 * bounds of the settings table.
 */
#include "conf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NAME "fuzz.conf"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check - abort (a libFuzzer crash) when an invariant does not hold */
static void
check(int ok)
{
	if (!ok)
		abort();
}

/* check_loaded - the settings table's bounds hold for a loaded config */
static void
check_loaded(const struct conf *c)
{
	size_t i;

	check(strcmp(c->path, NAME) == 0);
	check(c->socket != NULL && c->user != NULL && c->pid_file != NULL);
	check(c->pid_file[0] == '\0' || c->pid_file[0] == '/');
	check(c->socket_mode <= 0777);
	check(c->milter_timeout >= 1 && c->milter_timeout <= 86400);
	check(c->max_connections >= 1 && c->max_connections <= 100000);
	check(c->min_key_bits >= 512 && c->min_key_bits <= 16384);
	check(c->max_header_bytes >= 1024 &&
	      c->max_header_bytes <= (64UL << 20));
	check(c->header_canon == CONF_CANON_SIMPLE ||
	      c->header_canon == CONF_CANON_RELAXED);
	check(c->body_canon == CONF_CANON_SIMPLE ||
	      c->body_canon == CONF_CANON_RELAXED);
	check(c->on_sign_error <= CONF_ACTION_REJECT);
	check(c->log_level <= LOG_LEVEL_DEBUG);
	for (i = 0; i < c->sign_headers.count; i++)
		check(c->sign_headers.items[i][0] != '\0');
	for (i = 0; i < c->internal_hosts.count; i++)
		check(c->internal_hosts.items[i].prefix <=
		      (c->internal_hosts.items[i].family == AF_INET ? 32u
								     : 128u));
}

/* LLVMFuzzerTestOneInput - one input, one load */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf *c = NULL;
	struct err e;
	char *buf;
	FILE *fp;

	if (size == 0)
		return 0;	/* fmemopen wants at least one byte */
	buf = malloc(size);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	fp = fmemopen(buf, size, "r");
	if (fp == NULL) {
		free(buf);
		return 0;
	}
	memset(&e, 0x5a, sizeof(e));
	if (conf_load_stream(fp, NAME, &c, &e) == 0) {
		check_loaded(c);
		conf_free(c);
	} else {
		check(memchr(e.text, '\0', sizeof(e.text)) != NULL);
		check(strncmp(e.text, NAME ":", strlen(NAME) + 1) == 0);
	}
	fclose(fp);
	free(buf);
	return 0;
}
