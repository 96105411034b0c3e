/* SPDX-License-Identifier: BSD-2-Clause */
#include "conftype.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "hostport.h"
#include "log.h"
#include "str.h"
#include "xalloc.h"

/* Names of the SPF enumerations, in the order of their C enum. */
static const char *const conf_spf_actions[] = {
	"accept", "header", "tempfail", "reject", NULL,
};
static const char *const conf_spf_helo_modes[] = {
	"null_sender", "always", "no", NULL,
};

/* conf_list_free - release a list */
static void
conf_list_free(struct conf_list *l)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->count = 0;
}

/* conf_split - next comma/space separated word of *sp, NULL at the end */
static char *
conf_split(char **sp)
{
	char *s = *sp;
	char *w;

	while (*s == ' ' || *s == '\t' || *s == ',')
		s++;
	if (*s == '\0') {
		*sp = s;
		return NULL;
	}
	w = s;
	while (*s && *s != ' ' && *s != '\t' && *s != ',')
		s++;
	if (*s)
		*s++ = '\0';
	*sp = s;
	return w;
}

/* conf_parse_size - "512", "64k", "10M", "1G" */
static int
conf_parse_size(const char *v, unsigned long *out)
{
	char num[32];
	size_t len = strlen(v);
	unsigned long mult = 1;
	unsigned long n;

	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, v, len + 1);
	switch (num[len - 1]) {
	case 'k': case 'K':
		mult = 1024;
		break;
	case 'm': case 'M':
		mult = 1024UL * 1024;
		break;
	case 'g': case 'G':
		mult = 1024UL * 1024 * 1024;
		break;
	default:
		break;
	}
	if (mult != 1)
		num[len - 1] = '\0';
	if (str_to_ulong(num, 10, ULONG_MAX / mult, &n) < 0)
		return -1;
	*out = n * mult;
	return 0;
}

/* conf_parse_time - "500ms", "2s", "5m", "1h", "1d"; result in ms */
static int
conf_parse_time_ms(const char *v, unsigned long *out)
{
	static const struct {
		const char *unit;
		unsigned long ms;
	} units[] = {{"ms", 1},	      {"s", 1000},	 {"m", 60000},
		     {"h", 3600000}, {"d", 86400000}};
	char num[32];
	size_t len = strlen(v);
	size_t ndig = strspn(v, "0123456789");
	unsigned long n;
	size_t i;

	if (ndig == 0 || ndig >= sizeof(num) || len >= sizeof(num))
		return -1;
	memcpy(num, v, ndig);
	num[ndig] = '\0';
	if (str_to_ulong(num, 10, ULONG_MAX, &n) < 0)
		return -1;
	if (v[ndig] == '\0') {	/* a bare number means seconds */
		if (n > ULONG_MAX / 1000)
			return -1;
		*out = n * 1000;
		return 0;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(v + ndig, units[i].unit) == 0) {
			if (n > ULONG_MAX / units[i].ms)
				return -1;
			*out = n * units[i].ms;
			return 0;
		}
	}
	return -1;
}

/* conf_percent - "80" or "80%" as 80; -1 unless a whole number 1-100 */
int
conf_percent(const char *w)
{
	char num[8];
	size_t len = strlen(w);
	unsigned long p;

	if (len > 0 && w[len - 1] == '%')
		len--;
	if (len == 0 || len >= sizeof(num) ||
	    str_copyn(num, sizeof(num), w, len) < 0 ||
	    str_to_ulong(num, 10, 100, &p) < 0 || p == 0)
		return -1;
	return (int)p;
}

/*
 * Value types.  Each type is one row of conf_types below: how a value is
 * read (parse), written back in its canonical form (format, for "-p"),
 * released (release; NULL when there is nothing to free), and what a bad
 * value is told: "\"VALUE\" is not WHAT EXAMPLES".  A parse function
 * returns 0, CONF_BAD (the row's message applies) or CONF_BAD_SAID (it
 * wrote a message of its own, e.g. a range).  Enumerations are lists of
 * names (the stored int is the index, or values[] for syslog facilities);
 * CONF_ENUM keys find theirs in conf_enums by key name.
 */
#define CONF_BAD (-1)
#define CONF_BAD_SAID (-2)

struct conf_names {
	const char *const *names;	/* NULL-terminated */
	const int *values;		/* NULL: the index */
};

struct conf_type_ops {
	int (*parse)(struct conf *c, const struct conf_key *k, void *field,
		     char *v, struct err *e);
	void (*format)(const struct conf *c, const struct conf_key *k,
		       const void *field, struct strbuf *out);
	void (*release)(void *field);
	const char *what;		/* "a time"; NULL: "one of: ..." */
	const char *examples;		/* NULL: the names, for enums */
	const struct conf_names *names;	/* enumerations with fixed names */
};

/* The table of types (below), used by the enumeration helpers first. */
static const struct conf_type_ops conf_types[CONF_TYPE_COUNT];

static const char *const conf_bool_names[] = {"no", "yes", NULL};
static const char *const conf_level_names[] = {
	"error", "warning", "info", "debug", NULL,
};
static const char *const conf_action_names[] = {
	"tempfail", "accept", "reject", NULL,
};
static const char *const conf_facility_names[] = {
	"mail", "daemon", "user", "local0", "local1", "local2", "local3",
	"local4", "local5", "local6", "local7", NULL,
};
static const int conf_facility_values[] = {
	LOG_MAIL, LOG_DAEMON, LOG_USER, LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2,
	LOG_LOCAL3, LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7,
};
static const char *const conf_canon_names[] = {"simple", "relaxed", NULL};

static const struct conf_names conf_level_set = {conf_level_names, NULL};
static const struct conf_names conf_action_set = {conf_action_names, NULL};
static const struct conf_names conf_facility_set = {conf_facility_names,
						    conf_facility_values};
static const struct conf_names conf_spf_action_set = {conf_spf_actions, NULL};
static const struct conf_names conf_spf_helo_set = {conf_spf_helo_modes, NULL};

/* conf_names_of - the name list of an enumeration key, in a scratch
 * struct for CONF_ENUM keys */
static const struct conf_names *
conf_names_of(const struct conf_key *k, const struct conf_type_ops *t,
	      struct conf_names *scratch)
{
	if (t->names != NULL)
		return t->names;
	scratch->names = conf_enum_names(k->name);
	scratch->values = NULL;
	return scratch;
}

/* conf_names_join - "a, b, c" */
static void
conf_names_join(const char *const *names, char *buf, size_t size)
{
	size_t used = 0;
	size_t i;

	buf[0] = '\0';
	for (i = 0; names[i] != NULL; i++) {
		if (str_format(buf + used, size - used, "%s%s", i ? ", " : "",
			       names[i]) < 0)
			break;
		used += strlen(buf + used);
	}
}

/* --- parse, per type ----------------------------------------------------- */

/* conf_parse_bool - yes/no, true/false, 1/0 */
static int
conf_parse_bool(struct conf *c, const struct conf_key *k, void *field,
		char *v, struct err *e)
{
	(void)c;
	(void)k;
	(void)e;
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ||
	    strcmp(v, "1") == 0)
		*(bool *)field = true;
	else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 ||
		 strcmp(v, "0") == 0)
		*(bool *)field = false;
	else
		return CONF_BAD;
	return 0;
}

/* conf_parse_uint - a decimal number within the row's bounds */
static int
conf_parse_uint(struct conf *c, const struct conf_key *k, void *field,
		char *v, struct err *e)
{
	unsigned long n;

	(void)c;
	if (str_to_ulong(v, 10, k->max, &n) < 0 || n < k->min) {
		err_set(e, "\"%s\" is not a number from %lu to %lu", v, k->min,
			k->max);
		return CONF_BAD_SAID;
	}
	*(unsigned long *)field = n;
	return 0;
}

/* conf_parse_size_key - a size within the row's bounds, in bytes */
static int
conf_parse_size_key(struct conf *c, const struct conf_key *k, void *field,
		    char *v, struct err *e)
{
	unsigned long n;

	(void)c;
	if (conf_parse_size(v, &n) < 0)
		return CONF_BAD;
	if (n < k->min || n > k->max) {
		err_set(e, "\"%s\" is out of range (%lu to %lu bytes)", v,
			k->min, k->max);
		return CONF_BAD_SAID;
	}
	*(size_t *)field = n;
	return 0;
}

/* conf_parse_time_key - a time within the row's bounds, in seconds */
static int
conf_parse_time_key(struct conf *c, const struct conf_key *k, void *field,
		    char *v, struct err *e)
{
	unsigned long n;

	(void)c;
	if (conf_parse_time_ms(v, &n) < 0)
		return CONF_BAD;
	n /= 1000;
	if (n < k->min || n > k->max) {
		err_set(e, "\"%s\" is out of range (%lus to %lus)", v, k->min,
			k->max);
		return CONF_BAD_SAID;
	}
	*(unsigned long *)field = n;
	return 0;
}

/* conf_parse_msec - a time within the row's bounds, in milliseconds */
static int
conf_parse_msec(struct conf *c, const struct conf_key *k, void *field,
		char *v, struct err *e)
{
	unsigned long n;

	(void)c;
	if (conf_parse_time_ms(v, &n) < 0)
		return CONF_BAD;
	if (n < k->min || n > k->max) {
		err_set(e, "\"%s\" is out of range (%lums to %lums)", v, k->min,
			k->max);
		return CONF_BAD_SAID;
	}
	*(unsigned long *)field = n;
	return 0;
}

/* conf_parse_string - any text */
static int
conf_parse_string(struct conf *c, const struct conf_key *k, void *field,
		  char *v, struct err *e)
{
	(void)c;
	(void)k;
	(void)e;
	free(*(char **)field);
	*(char **)field = xstrdup(v);
	return 0;
}

/* conf_parse_path - an absolute path, or empty */
static int
conf_parse_path(struct conf *c, const struct conf_key *k, void *field,
		char *v, struct err *e)
{
	if (*v != '\0' && *v != '/')
		return CONF_BAD;
	return conf_parse_string(c, k, field, v, e);
}

/* conf_parse_mode - an octal file mode up to the row's maximum */
static int
conf_parse_mode(struct conf *c, const struct conf_key *k, void *field,
		char *v, struct err *e)
{
	unsigned long n;

	(void)c;
	(void)e;
	if (str_to_ulong(v, 8, k->max, &n) < 0)
		return CONF_BAD;
	*(unsigned long *)field = n;
	return 0;
}

/* conf_parse_names - one of the names of an enumeration */
static int
conf_parse_names(struct conf *c, const struct conf_key *k, void *field,
		 char *v, struct err *e)
{
	const struct conf_type_ops *t = &conf_types[k->type];
	struct conf_names scratch;
	const struct conf_names *n = conf_names_of(k, t, &scratch);
	int i;

	(void)c;
	(void)e;
	for (i = 0; n->names[i] != NULL; i++) {
		if (strcasecmp(v, n->names[i]) == 0) {
			*(int *)field = n->values != NULL ? n->values[i] : i;
			return 0;
		}
	}
	return CONF_BAD;
}

/* conf_parse_canon - "header/body"; OpenDKIM's rule: a single word sets
 * the header, the body is simple */
static int
conf_parse_canon(struct conf *c, const struct conf_key *k, void *field,
		 char *v, struct err *e)
{
	char *slash = strchr(v, '/');
	const char *body = slash ? slash + 1 : "simple";
	char orig[64];
	int hc = -1;
	int bc = -1;
	int i;

	(void)k;
	(void)field;
	if (str_copy(orig, sizeof(orig), v) < 0) {
		err_set(e, "\"%.40s...\" is not a canonicalization "
			   "(examples: relaxed/relaxed, relaxed/simple)", v);
		return CONF_BAD_SAID;
	}
	if (slash)
		*slash = '\0';
	for (i = 0; conf_canon_names[i] != NULL; i++) {
		if (strcasecmp(v, conf_canon_names[i]) == 0)
			hc = i;
		if (strcasecmp(body, conf_canon_names[i]) == 0)
			bc = i;
	}
	if (hc < 0 || bc < 0) {
		err_set(e, "\"%s\" is not a canonicalization "
			   "(examples: relaxed/relaxed, relaxed/simple)", orig);
		return CONF_BAD_SAID;
	}
	c->header_canon = (enum conf_canon)hc;
	c->body_canon = (enum conf_canon)bc;
	return 0;
}

/* conf_parse_list - words separated by commas and/or white space; with
 * CONF_PERCENTS each a whole percentage */
static int
conf_parse_list(struct conf *c, const struct conf_key *k, void *field,
		char *v, struct err *e)
{
	struct conf_list *l = field;
	char *w;

	(void)c;
	conf_list_free(l);
	while ((w = conf_split(&v)) != NULL) {
		if (k->type == CONF_PERCENTS && conf_percent(w) < 0) {
			err_set(e, "\"%s\" is not a percentage from 1 to 100 "
				   "(example: 50, 80, 100)", w);
			return CONF_BAD_SAID;
		}
		l->items = xreallocarray(l->items, l->count + 1,
					 sizeof(*l->items));
		l->items[l->count++] = xstrdup(w);
	}
	return 0;
}

/* conf_parse_cidrs - a list of networks (cidr.h writes the message) */
static int
conf_parse_cidrs(struct conf *c, const struct conf_key *k, void *field,
		 char *v, struct err *e)
{
	struct cidr_list *l = field;
	char *w;

	(void)c;
	(void)k;
	cidr_list_free(l);
	while ((w = conf_split(&v)) != NULL)
		if (cidr_list_add(l, w, e) < 0)
			return CONF_BAD_SAID;
	return 0;
}

/* conf_parse_reply - an SMTP reply (conf_reply_parse writes the message) */
static int
conf_parse_reply(struct conf *c, const struct conf_key *k, void *field,
		 char *v, struct err *e)
{
	(void)c;
	(void)k;
	return conf_reply_parse(v, field, e) < 0 ? CONF_BAD_SAID : 0;
}

/* conf_parse_endpoint - [HOST:]PORT (hostport.h), unix:/PATH when the
 * row's min is 1, or empty for off */
static int
conf_parse_endpoint(struct conf *c, const struct conf_key *k, void *field,
		    char *v, struct err *e)
{
	struct hostport hp;

	if (*v != '\0' &&
	    hostport_parse(v, "127.0.0.1", k->min == 1, &hp, e) < 0)
		return CONF_BAD_SAID;
	return conf_parse_string(c, k, field, v, e);
}

/* --- format, per type (the canonical text "-p" compares) ---------------- */

/* conf_format_bool - yes or no */
static void
conf_format_bool(const struct conf *c, const struct conf_key *k,
		 const void *field, struct strbuf *out)
{
	(void)c;
	(void)k;
	(void)strbuf_append_str(out, conf_bool_names[*(const bool *)field]);
}

/* conf_format_ulong - a number */
static void
conf_format_ulong(const struct conf *c, const struct conf_key *k,
		  const void *field, struct strbuf *out)
{
	(void)c;
	(void)k;
	(void)strbuf_printf(out, "%lu", *(const unsigned long *)field);
}

/* conf_format_size - bytes, with the largest unit that divides them */
static void
conf_format_size(const struct conf *c, const struct conf_key *k,
		 const void *field, struct strbuf *out)
{
	size_t n = *(const size_t *)field;

	(void)c;
	(void)k;
	if (n != 0 && n % (1024UL * 1024 * 1024) == 0)
		(void)strbuf_printf(out, "%zuG", n >> 30);
	else if (n != 0 && n % (1024UL * 1024) == 0)
		(void)strbuf_printf(out, "%zuM", n >> 20);
	else if (n != 0 && n % 1024 == 0)
		(void)strbuf_printf(out, "%zuk", n >> 10);
	else
		(void)strbuf_printf(out, "%zu", n);
}

/* conf_format_ms - milliseconds with the largest unit that divides them */
static void
conf_format_ms(unsigned long ms, struct strbuf *out)
{
	static const struct {
		const char *unit;
		unsigned long ms;
	} units[] = {{"d", 86400000}, {"h", 3600000}, {"m", 60000},
		     {"s", 1000}};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ms != 0 && ms % units[i].ms == 0) {
			(void)strbuf_printf(out, "%lu%s", ms / units[i].ms,
					    units[i].unit);
			return;
		}
	}
	(void)strbuf_printf(out, "%lums", ms);
}

/* conf_format_time - a time stored in seconds */
static void
conf_format_time(const struct conf *c, const struct conf_key *k,
		 const void *field, struct strbuf *out)
{
	(void)c;
	(void)k;
	conf_format_ms(*(const unsigned long *)field * 1000, out);
}

/* conf_format_msec - a time stored in milliseconds */
static void
conf_format_msec(const struct conf *c, const struct conf_key *k,
		 const void *field, struct strbuf *out)
{
	(void)c;
	(void)k;
	conf_format_ms(*(const unsigned long *)field, out);
}

/* conf_format_string - the text as given */
static void
conf_format_string(const struct conf *c, const struct conf_key *k,
		   const void *field, struct strbuf *out)
{
	(void)c;
	(void)k;
	(void)strbuf_append_str(out, *(char *const *)field);
}

/* conf_format_mode - four octal digits */
static void
conf_format_mode(const struct conf *c, const struct conf_key *k,
		 const void *field, struct strbuf *out)
{
	(void)c;
	(void)k;
	(void)strbuf_printf(out, "%04lo", *(const unsigned long *)field);
}

/* conf_format_names - the name of an enumeration's value */
static void
conf_format_names(const struct conf *c, const struct conf_key *k,
		  const void *field, struct strbuf *out)
{
	const struct conf_type_ops *t = &conf_types[k->type];
	struct conf_names scratch;
	const struct conf_names *n = conf_names_of(k, t, &scratch);
	int v = *(const int *)field;
	int i;

	(void)c;
	for (i = 0; n->names[i] != NULL; i++) {
		if ((n->values != NULL ? n->values[i] : i) == v) {
			(void)strbuf_append_str(out, n->names[i]);
			return;
		}
	}
	(void)strbuf_printf(out, "%d", v);
}

/* conf_format_canon - "header/body" */
static void
conf_format_canon(const struct conf *c, const struct conf_key *k,
		  const void *field, struct strbuf *out)
{
	(void)k;
	(void)field;
	(void)strbuf_printf(out, "%s/%s", conf_canon_names[c->header_canon],
			    conf_canon_names[c->body_canon]);
}

/* conf_format_list - the words joined by ", " */
static void
conf_format_list(const struct conf *c, const struct conf_key *k,
		 const void *field, struct strbuf *out)
{
	const struct conf_list *l = field;
	size_t i;

	(void)c;
	(void)k;
	for (i = 0; i < l->count; i++)
		(void)strbuf_printf(out, "%s%s", i ? ", " : "", l->items[i]);
}

/* conf_format_cidrs - ADDR/PREFIX joined by ", " */
static void
conf_format_cidrs(const struct conf *c, const struct conf_key *k,
		  const void *field, struct strbuf *out)
{
	const struct cidr_list *l = field;
	char a[INET6_ADDRSTRLEN];
	size_t i;

	(void)c;
	(void)k;
	for (i = 0; i < l->count; i++) {
		if (inet_ntop(l->items[i].family, l->items[i].addr, a,
			      sizeof(a)) == NULL)
			(void)str_copy(a, sizeof(a), "?");
		(void)strbuf_printf(out, "%s%s/%u", i ? ", " : "", a,
				    l->items[i].prefix);
	}
}

/* conf_format_reply - "CODE X.Y.Z text" */
static void
conf_format_reply(const struct conf *c, const struct conf_key *k,
		  const void *field, struct strbuf *out)
{
	const struct conf_reply *r = field;

	(void)c;
	(void)k;
	(void)strbuf_printf(out, "%s %s %s", r->code, r->xcode, r->text);
}

/* --- release, per type --------------------------------------------------- */

/* conf_release_string - free a text */
static void
conf_release_string(void *field)
{
	free(*(char **)field);
	*(char **)field = NULL;
}

/* conf_release_list - free a list */
static void
conf_release_list(void *field)
{
	conf_list_free(field);
}

/* conf_release_cidrs - free a network list */
static void
conf_release_cidrs(void *field)
{
	cidr_list_free(field);
}

/* The one table of value types, in the order of enum conf_type. */
static const struct conf_type_ops conf_types[] = {
	[CONF_BOOL] = {conf_parse_bool, conf_format_bool, NULL, "a boolean",
		       "(examples: yes, no)", NULL},
	[CONF_UINT] = {conf_parse_uint, conf_format_ulong, NULL, "a number",
		       "(example: 100)", NULL},
	[CONF_SIZE] = {conf_parse_size_key, conf_format_size, NULL, "a size",
		       "(examples: 65536, 64k, 10M)", NULL},
	[CONF_TIME] = {conf_parse_time_key, conf_format_time, NULL, "a time",
		       "(examples: 500ms, 2s, 5m)", NULL},
	[CONF_STRING] = {conf_parse_string, conf_format_string,
			 conf_release_string, "text", "", NULL},
	[CONF_PATH] = {conf_parse_path, conf_format_string,
		       conf_release_string, "an absolute path",
		       "(example: /run/relayguard/relayguard.pid)", NULL},
	[CONF_MODE] = {conf_parse_mode, conf_format_mode, NULL,
		       "an octal mode", "(examples: 0660, 0600)", NULL},
	[CONF_FACILITY] = {conf_parse_names, conf_format_names, NULL,
			   "a syslog facility",
			   "(examples: mail, daemon, local0)",
			   &conf_facility_set},
	[CONF_LOGLEVEL] = {conf_parse_names, conf_format_names, NULL,
			   "a log level", NULL, &conf_level_set},
	[CONF_CANON] = {conf_parse_canon, conf_format_canon, NULL,
			"a canonicalization",
			"(examples: relaxed/relaxed, relaxed/simple)", NULL},
	[CONF_ACTION] = {conf_parse_names, conf_format_names, NULL,
			 "an action", NULL, &conf_action_set},
	[CONF_LIST] = {conf_parse_list, conf_format_list, conf_release_list,
		       "a list", "(example: a, b, c)", NULL},
	[CONF_CIDRS] = {conf_parse_cidrs, conf_format_cidrs,
			conf_release_cidrs, "a list of networks",
			"(example: 127.0.0.0/8, ::1)", NULL},
	[CONF_REPLY] = {conf_parse_reply, conf_format_reply, NULL,
			"an SMTP reply", "(example: 550 5.7.1 text)", NULL},
	[CONF_SPF_ACTION] = {conf_parse_names, conf_format_names, NULL, NULL,
			     NULL, &conf_spf_action_set},
	[CONF_SPF_HELO] = {conf_parse_names, conf_format_names, NULL, NULL,
			   NULL, &conf_spf_helo_set},
	[CONF_ENDPOINT] = {conf_parse_endpoint, conf_format_string,
			   conf_release_string, "an address and port",
			   "(examples: 127.0.0.1:9187, 9187)", NULL},
	[CONF_MSEC] = {conf_parse_msec, conf_format_msec, NULL, "a time",
		       "(examples: 500ms, 2s, 5m)", NULL},
	[CONF_ENUM] = {conf_parse_names, conf_format_names, NULL, NULL, NULL,
		       NULL},
	[CONF_PERCENTS] = {conf_parse_list, conf_format_list,
			   conf_release_list, "a list of percentages",
			   "(example: 50, 80, 100)", NULL},
};

/* conftype_set - parse value v of key k into c; on error fill e (no
 * prefix): the type's own message, or "\"V\" is not WHAT EXAMPLES" */
int
conftype_set(struct conf *c, const struct conf_key *k, char *v, struct err *e)
{
	const struct conf_type_ops *t = &conf_types[k->type];
	struct conf_names scratch;
	char value[CONF_LINE_MAX];
	char list[256];
	int rc;

	/* parsers may cut the text up: keep it for the message */
	(void)str_copy(value, sizeof(value), v);
	rc = t->parse(c, k, (char *)c + k->offset, v, e);
	if (rc != CONF_BAD)
		return rc == 0 ? 0 : -1;
	if (t->examples != NULL) {
		err_set(e, "\"%s\" is not %s %s", value, t->what, t->examples);
		return -1;
	}
	conf_names_join(conf_names_of(k, t, &scratch)->names, list,
			sizeof(list));
	if (t->what != NULL)
		err_set(e, "\"%s\" is not %s (%s)", value, t->what, list);
	else
		err_set(e, "\"%s\" is not one of: %s", value, list);
	return -1;
}

/* conftype_format - the canonical text of a key's value in c */
void
conftype_format(const struct conf *c, const struct conf_key *k,
		struct strbuf *out)
{
	strbuf_reset(out);
	conf_types[k->type].format(c, k, (const char *)c + k->offset, out);
}

/* conftype_release - free what a key's value holds */
void
conftype_release(struct conf *c, const struct conf_key *k)
{
	if (conf_types[k->type].release != NULL)
		conf_types[k->type].release((char *)c + k->offset);
}
