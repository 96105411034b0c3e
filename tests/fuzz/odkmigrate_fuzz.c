/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * odkmigrate_fuzz - libFuzzer target: odk_migrate() on an arbitrary
 * OpenDKIM configuration.  The input is "CONF\0\0FILE": CONF is the
 * configuration, FILE what every file it names (Include, data sets, the
 * KeyTable) holds; host names of even length resolve to two addresses.
 *
 * Besides crashes and leaks: what odk_migrate writes always loads with
 * relayguard's own parser (the promise of odkmigrate.h), and every note
 * has a kind and a text.
 */
#include "odkmigrate.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_files {
	const char *text;
	size_t len;
};

/* check - abort (a libFuzzer crash) when an invariant does not hold */
static void
check(int ok)
{
	if (!ok)
		abort();
}

/* fuzz_read - every file holds the second part of the input */
static int
fuzz_read(void *ctx, const char *path, struct strbuf *out, struct err *e)
{
	const struct fuzz_files *f = ctx;

	if (f->text == NULL) {
		err_set(e, "%s: No such file or directory", path);
		return -1;
	}
	if (strbuf_append(out, f->text, f->len) < 0) {
		err_set(e, "%s: too large", path);
		return -1;
	}
	return 0;
}

/* fuzz_resolve - names of even length have two addresses */
static int
fuzz_resolve(void *ctx, const char *name, char *out, size_t size)
{
	(void)ctx;
	if (strlen(name) % 2 != 0)
		return -1;
	return snprintf(out, size, "192.0.2.1 2001:db8::1") > 0 ? 2 : -1;
}

/* LLVMFuzzerTestOneInput - one configuration, one migration */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct fuzz_files files = {NULL, 0};
	struct odk_env env = {fuzz_read, fuzz_resolve, &files};
	struct odk_migration m;
	struct conf *c = NULL;
	struct err e;
	size_t conf_len = size;
	size_t i;
	FILE *fp;

	for (i = 0; i + 1 < size; i++) {
		if (data[i] == 0 && data[i + 1] == 0) {
			conf_len = i;
			files.text = text + i + 2;
			files.len = size - i - 2;
			break;
		}
	}
	check(odk_migrate(text, conf_len, "fuzz.conf", &env, &m) == 0);
	check(m.conf.data != NULL && m.conf.len == strlen(m.conf.data));
	for (i = 0; i < m.nnotes; i++)
		check(m.notes[i].where != NULL && m.notes[i].setting != NULL &&
		      m.notes[i].text != NULL &&
		      m.notes[i].kind <= ODK_NOTE_LOST &&
		      strcmp(odk_note_kind_name(m.notes[i].kind), "?") != 0);
	fp = fmemopen(m.conf.data, m.conf.len, "r");
	check(fp != NULL);
	if (conf_load_stream(fp, "migrated", &c, &e) < 0) {
		fprintf(stderr, "refused: %s\n", e.text);
		abort();
	}
	(void)fclose(fp);
	conf_free(c);
	odk_migration_free(&m);
	return 0;
}
