/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conftype - the value types of the settings file, for conf.c only.
 *
 * conf.c keeps the one table of keys (struct conf_key rows: name, type,
 * default, bounds, field, help); this module knows, for each type, one
 * entry {parse, format, release, what a bad value is told}: conftype_set()
 * reads a value into its field (errors: the type's own message, or
 * "\"VALUE\" is not WHAT (examples: ...)"), conftype_format() writes the
 * canonical text back (relayguard -p compares it with the default's),
 * conftype_release() frees what a field holds.  Enumerations are name
 * lists; a CONF_ENUM key's names come from conf.c (conf_enum_names).
 * Thread-safe: no shared state; a struct conf being loaded has one owner.
 */
#ifndef RG_CONFTYPE_H
#define RG_CONFTYPE_H

#include <stddef.h>

#include "conf.h"
#include "err.h"
#include "strbuf.h"

/* Longest logical line, continuations included. */
#define CONF_LINE_MAX 8192

enum conf_type {
	CONF_BOOL,
	CONF_UINT,
	CONF_SIZE,
	CONF_TIME,	/* stored in seconds */
	CONF_STRING,
	CONF_PATH,	/* absolute path, or empty */
	CONF_MODE,	/* octal file mode */
	CONF_FACILITY,
	CONF_LOGLEVEL,
	CONF_CANON,
	CONF_ACTION,
	CONF_LIST,
	CONF_CIDRS,
	CONF_REPLY,
	CONF_SPF_ACTION,	/* enum conf_spf_action */
	CONF_SPF_HELO,		/* enum conf_spf_helo */
	CONF_ENDPOINT,	/* hostport.h; min 1: unix:/PATH allowed; "" = off */
	CONF_MSEC,	/* stored in milliseconds; min/max in ms */
	CONF_ENUM,	/* one of conf_enum_names(); stored as int index */
	CONF_PERCENTS,	/* a list of whole percentages 1-100, "%" allowed */
	CONF_TYPE_COUNT	/* not a type: the size of conf_types */
};

struct conf_key {
	const char *name;
	enum conf_type type;
	const char *def;
	unsigned long min;
	unsigned long max;
	size_t offset;
	const char *help;
};

int conftype_set(struct conf *c, const struct conf_key *k, char *v,
		 struct err *e);
void conftype_format(const struct conf *c, const struct conf_key *k,
		     struct strbuf *out);
void conftype_release(struct conf *c, const struct conf_key *k);
/* in conf.c: the names of a CONF_ENUM key's values, NULL-terminated */
const char *const *conf_enum_names(const char *key);

#endif
