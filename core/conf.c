/* SPDX-License-Identifier: BSD-2-Clause */
#include "conf.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "str.h"
#include "xalloc.h"

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

#define F(field) offsetof(struct conf, field)

/*
 * The one table of settings.  Keep conf/relayguard.conf and
 * conf/relayguard.conf.5 in step: make check compares them with this.
 */
static const struct conf_key conf_keys[] = {
	{"socket", CONF_STRING, "inet:8891@127.0.0.1", 0, 0, F(socket),
	 "milter socket: inet:PORT@HOST, inet6:PORT@HOST or unix:PATH"},
	{"socket_mode", CONF_MODE, "0660", 0, 0777, F(socket_mode),
	 "permissions of a unix socket"},
	{"socket_group", CONF_STRING, "", 0, 0, F(socket_group),
	 "group of a unix socket (e.g. postfix); empty: the user's group"},
	{"user", CONF_STRING, "", 0, 0, F(user),
	 "drop privileges to this user after startup; empty: do not"},
	{"pid_file", CONF_PATH, "", 0, 0, F(pid_file),
	 "write the daemon's pid here; empty: no pid file"},
	{"syslog_facility", CONF_FACILITY, "mail", 0, 0, F(syslog_facility),
	 "syslog facility"},
	{"log_level", CONF_LOGLEVEL, "info", 0, 0, F(log_level),
	 "error, warning, info or debug"},
	{"milter_timeout", CONF_TIME, "300s", 1, 86400, F(milter_timeout),
	 "idle time after which a silent MTA connection is dropped"},
	{"max_connections", CONF_UINT, "1000", 1, 100000,
	 F(max_connections),
	 "MTA connections served at once; more are refused at once"},
	{"internal_hosts", CONF_CIDRS, "127.0.0.0/8, ::1", 0, 0,
	 F(internal_hosts),
	 "clients whose mail is signed without SASL authentication"},
	{"key_table", CONF_STRING, "", 0, 0, F(key_table),
	 "OpenDKIM KeyTable: file:PATH, refile:PATH or PATH"},
	{"signing_table", CONF_STRING, "", 0, 0, F(signing_table),
	 "OpenDKIM SigningTable: file:PATH (exact) or refile:PATH (globs)"},
	{"canonicalization", CONF_CANON, "relaxed/relaxed", 0, 0,
	 F(header_canon), "header/body canonicalization"},
	{"sign_headers", CONF_LIST,
	 "from, reply-to, subject, date, to, cc, resent-date, resent-from, "
	 "resent-to, resent-cc, in-reply-to, references, message-id, "
	 "mime-version, content-type, content-transfer-encoding, "
	 "content-disposition, list-id, list-help, list-unsubscribe, "
	 "list-unsubscribe-post, list-subscribe, list-post, list-owner, "
	 "list-archive",
	 0, 0, F(sign_headers), "header fields to sign when present"},
	{"oversign_headers", CONF_LIST, "from", 0, 0, F(oversign_headers),
	 "header fields signed once more than present, so none can be added"},
	{"multiple_signatures", CONF_BOOL, "yes", 0, 0,
	 F(multiple_signatures),
	 "sign with every matching SigningTable entry, not only the first"},
	{"require_safe_keys", CONF_BOOL, "yes", 0, 0, F(require_safe_keys),
	 "refuse keys that other users can read or replace"},
	{"min_key_bits", CONF_UINT, "1024", 512, 16384, F(min_key_bits),
	 "smallest RSA key accepted"},
	{"on_sign_error", CONF_ACTION, "tempfail", 0, 0, F(on_sign_error),
	 "answer when signing fails at run time: tempfail, accept, reject"},
	{"max_header_bytes", CONF_SIZE, "1M", 1024, 64UL << 20,
	 F(max_header_bytes),
	 "header bytes kept per message; larger headers are not signed"},

	/* relayguard-policyd, the Postfix policy service (issue 5) */
	{"policy_socket", CONF_STRING, "inet:10045@127.0.0.1", 0, 0,
	 F(policy_socket),
	 "policy service socket: inet:PORT@HOST, inet6:PORT@HOST or "
	 "unix:PATH"},
	{"policy_socket_mode", CONF_MODE, "0660", 0, 0777,
	 F(policy_socket_mode), "permissions of a unix policy socket"},
	{"policy_socket_group", CONF_STRING, "", 0, 0,
	 F(policy_socket_group),
	 "group of a unix policy socket (e.g. postfix); empty: the user's"},
	{"policy_pid_file", CONF_PATH, "", 0, 0, F(policy_pid_file),
	 "write relayguard-policyd's pid here; empty: no pid file"},
	{"policy_max_connections", CONF_UINT, "1000", 1, 100000,
	 F(policy_max_connections),
	 "policy client connections at once; more are closed at once"},
	{"policy_idle_timeout", CONF_TIME, "300s", 1, 86400,
	 F(policy_idle_timeout),
	 "close a connection idle this long between requests"},
	{"policy_request_timeout", CONF_TIME, "10s", 1, 3600,
	 F(policy_request_timeout),
	 "a request must arrive whole within this time of its first byte"},
	{"policy_max_line", CONF_SIZE, "4k", 64, 1UL << 20,
	 F(policy_max_line),
	 "longest attribute line; a longer one closes the connection"},
	{"policy_max_attributes", CONF_UINT, "128", 8, 100000,
	 F(policy_max_attributes),
	 "most attribute lines in one request; more close the connection"},
	{"policy_max_request", CONF_SIZE, "32k", 256, 16UL << 20,
	 F(policy_max_request),
	 "largest request in bytes; a larger one closes the connection"},
	{"policy_workers", CONF_UINT, "16", 1, 1024, F(policy_workers),
	 "threads that make decisions (the blocking DNS and Redis work)"},
	{"policy_defer_if_permit", CONF_BOOL, "no", 0, 0,
	 F(policy_defer_if_permit),
	 "answer tempfails DEFER_IF_PERMIT instead of 451 4.7.1 text"},
	{"policy_prepend_headers", CONF_BOOL, "no", 0, 0,
	 F(policy_prepend_headers),
	 "send the verdict's headers (Authentication-Results) as PREPEND"},
};

#define CONF_NKEYS (sizeof(conf_keys) / sizeof(conf_keys[0]))

/* conf_action_name - text of an action, for logs */
const char *
conf_action_name(enum conf_action a)
{
	switch (a) {
	case CONF_ACTION_TEMPFAIL:
		return "tempfail";
	case CONF_ACTION_ACCEPT:
		return "accept";
	case CONF_ACTION_REJECT:
		return "reject";
	}
	return "?";
}

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

/* conf_set - parse value v of key k into c; on error fill e (no prefix) */
static int
conf_set(struct conf *c, const struct conf_key *k, char *v, struct err *e)
{
	char *field = (char *)c + k->offset;
	unsigned long n;

	switch (k->type) {
	case CONF_BOOL:
		if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ||
		    strcmp(v, "1") == 0)
			*(bool *)field = true;
		else if (strcasecmp(v, "no") == 0 ||
			 strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0)
			*(bool *)field = false;
		else
			goto bad;
		return 0;
	case CONF_UINT:
		if (str_to_ulong(v, 10, k->max, &n) < 0 || n < k->min) {
			err_set(e, "\"%s\" is not a number from %lu to %lu",
				v, k->min, k->max);
			return -1;
		}
		*(unsigned long *)field = n;
		return 0;
	case CONF_SIZE:
		if (conf_parse_size(v, &n) < 0)
			goto bad;
		if (n < k->min || n > k->max) {
			err_set(e, "\"%s\" is out of range (%lu to %lu bytes)",
				v, k->min, k->max);
			return -1;
		}
		*(size_t *)field = n;
		return 0;
	case CONF_TIME:
		if (conf_parse_time_ms(v, &n) < 0)
			goto bad;
		n /= 1000;
		if (n < k->min || n > k->max) {
			err_set(e, "\"%s\" is out of range (%lus to %lus)", v,
				k->min, k->max);
			return -1;
		}
		*(unsigned long *)field = n;
		return 0;
	case CONF_STRING:
	case CONF_PATH:
		if (k->type == CONF_PATH && *v != '\0' && *v != '/') {
			err_set(e, "\"%s\" is not an absolute path "
				   "(example: /run/relayguard/relayguard.pid)",
				v);
			return -1;
		}
		free(*(char **)field);
		*(char **)field = xstrdup(v);
		return 0;
	case CONF_MODE:
		if (str_to_ulong(v, 8, k->max, &n) < 0)
			goto bad;
		*(unsigned long *)field = n;
		return 0;
	case CONF_FACILITY: {
		int f = log_facility_parse(v);

		if (f < 0)
			goto bad;
		*(int *)field = f;
		return 0;
	}
	case CONF_LOGLEVEL: {
		enum log_level lv;

		if (strcasecmp(v, "error") == 0)
			lv = LOG_LEVEL_ERROR;
		else if (strcasecmp(v, "warning") == 0)
			lv = LOG_LEVEL_WARN;
		else if (strcasecmp(v, "info") == 0)
			lv = LOG_LEVEL_INFO;
		else if (strcasecmp(v, "debug") == 0)
			lv = LOG_LEVEL_DEBUG;
		else
			goto bad;
		*(enum log_level *)field = lv;
		return 0;
	}
	case CONF_CANON: {
		/* OpenDKIM's rule: a single word sets the header, body simple */
		char *slash = strchr(v, '/');
		const char *body = slash ? slash + 1 : "simple";
		char orig[64];
		enum conf_canon hc;
		enum conf_canon bc;

		if (str_copy(orig, sizeof(orig), v) < 0)
			goto bad_canon_long;
		if (slash)
			*slash = '\0';
		if (strcasecmp(v, "relaxed") == 0)
			hc = CONF_CANON_RELAXED;
		else if (strcasecmp(v, "simple") == 0)
			hc = CONF_CANON_SIMPLE;
		else
			goto bad_canon;
		if (strcasecmp(body, "relaxed") == 0)
			bc = CONF_CANON_RELAXED;
		else if (strcasecmp(body, "simple") == 0)
			bc = CONF_CANON_SIMPLE;
		else
			goto bad_canon;
		c->header_canon = hc;
		c->body_canon = bc;
		return 0;
bad_canon:
		err_set(e, "\"%s\" is not a canonicalization "
			   "(examples: relaxed/relaxed, relaxed/simple)", orig);
		return -1;
bad_canon_long:
		err_set(e, "\"%.40s...\" is not a canonicalization "
			   "(examples: relaxed/relaxed, relaxed/simple)", v);
		return -1;
	}
	case CONF_ACTION:
		if (strcasecmp(v, "tempfail") == 0)
			*(enum conf_action *)field = CONF_ACTION_TEMPFAIL;
		else if (strcasecmp(v, "accept") == 0)
			*(enum conf_action *)field = CONF_ACTION_ACCEPT;
		else if (strcasecmp(v, "reject") == 0)
			*(enum conf_action *)field = CONF_ACTION_REJECT;
		else
			goto bad;
		return 0;
	case CONF_LIST: {
		struct conf_list *l = (struct conf_list *)field;
		char *w;

		conf_list_free(l);
		while ((w = conf_split(&v)) != NULL) {
			l->items = xreallocarray(l->items, l->count + 1,
						 sizeof(*l->items));
			l->items[l->count++] = xstrdup(w);
		}
		return 0;
	}
	case CONF_CIDRS: {
		struct cidr_list *l = (struct cidr_list *)field;
		char *w;

		cidr_list_free(l);
		while ((w = conf_split(&v)) != NULL)
			if (cidr_list_add(l, w, e) < 0)
				return -1;
		return 0;
	}
	}
bad:
	switch (k->type) {
	case CONF_BOOL:
		err_set(e, "\"%s\" is not a boolean (examples: yes, no)", v);
		break;
	case CONF_SIZE:
		err_set(e, "\"%s\" is not a size (examples: 65536, 64k, 10M)",
			v);
		break;
	case CONF_TIME:
		err_set(e, "\"%s\" is not a time (examples: 500ms, 2s, 5m)", v);
		break;
	case CONF_MODE:
		err_set(e, "\"%s\" is not an octal mode (examples: 0660, 0600)",
			v);
		break;
	case CONF_FACILITY:
		err_set(e, "\"%s\" is not a syslog facility "
			   "(examples: mail, daemon, local0)", v);
		break;
	case CONF_LOGLEVEL:
		err_set(e, "\"%s\" is not a log level "
			   "(error, warning, info, debug)", v);
		break;
	case CONF_ACTION:
		err_set(e, "\"%s\" is not an action "
			   "(tempfail, accept, reject)", v);
		break;
	default:
		err_set(e, "bad value \"%s\"", v);
		break;
	}
	return -1;
}

/* conf_distance - edit distance of two short words, for suggestions */
static size_t
conf_distance(const char *a, const char *b)
{
	size_t la = strlen(a);
	size_t lb = strlen(b);
	size_t row[64];
	size_t i;
	size_t j;

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t prev = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

/* conf_find - the table entry for a key name, NULL when unknown */
static const struct conf_key *
conf_find(const char *name)
{
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++)
		if (strcmp(conf_keys[i].name, name) == 0)
			return &conf_keys[i];
	return NULL;
}

/* conf_nearest - the known key closest to a misspelt one */
static const char *
conf_nearest(const char *name)
{
	const char *best = NULL;
	size_t bestd = 4;	/* farther than this is no suggestion */
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++) {
		size_t d = conf_distance(name, conf_keys[i].name);

		if (d < bestd) {
			bestd = d;
			best = conf_keys[i].name;
		}
	}
	return best;
}

/* conf_defaults - a config holding every default */
struct conf *
conf_defaults(void)
{
	struct conf *c = xcalloc(1, sizeof(*c));
	char buf[CONF_LINE_MAX];
	struct err e;
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++) {
		if (str_copy(buf, sizeof(buf), conf_keys[i].def) < 0 ||
		    conf_set(c, &conf_keys[i], buf, &e) < 0)
			log_panic("default of %s: %s", conf_keys[i].name,
				  e.text);
	}
	return c;
}

/* conf_apply_line - handle one logical line "key = value" */
static int
conf_apply_line(struct conf *c, char *line, unsigned *seen_at,
		const char *path, unsigned lineno, struct err *e)
{
	const struct conf_key *k;
	char *eq = strchr(line, '=');
	char *key;
	char *val;
	struct err ve;

	if (eq == NULL) {
		err_set(e, "%s:%u: missing '=' (example: socket = "
			   "inet:8891@127.0.0.1)", path, lineno);
		return -1;
	}
	*eq = '\0';
	key = str_trim(line);
	val = str_trim(eq + 1);
	k = conf_find(key);
	if (k == NULL) {
		const char *near = conf_nearest(key);

		if (near != NULL)
			err_set(e, "%s:%u: %s: unknown key (did you mean %s?)",
				path, lineno, key, near);
		else
			err_set(e, "%s:%u: %s: unknown key", path, lineno, key);
		return -1;
	}
	if (seen_at[k - conf_keys] != 0) {
		err_set(e, "%s:%u: %s: set twice (first at line %u)", path,
			lineno, key, seen_at[k - conf_keys]);
		return -1;
	}
	seen_at[k - conf_keys] = lineno;
	if (conf_set(c, k, val, &ve) < 0) {
		err_set(e, "%s:%u: %s: %s", path, lineno, key, ve.text);
		return -1;
	}
	return 0;
}

/* conf_load_stream - read settings from an open stream */
int
conf_load_stream(FILE *fp, const char *path, struct conf **out,
		 struct err *e)
{
	struct conf *c = conf_defaults();
	unsigned seen_at[CONF_NKEYS];
	char logical[CONF_LINE_MAX];
	char raw[CONF_LINE_MAX];
	unsigned lineno = 0;
	unsigned start = 0;
	size_t llen = 0;
	int rc = -1;

	memset(seen_at, 0, sizeof(seen_at));
	c->path = xstrdup(path);
	logical[0] = '\0';
	for (;;) {
		bool eof = fgets(raw, sizeof(raw), fp) == NULL;
		size_t rlen;

		if (eof && ferror(fp)) {
			err_set(e, "%s: read error: %s", path, strerror(errno));
			goto out;
		}
		if (!eof) {
			lineno++;
			rlen = strlen(raw);
			if (rlen == sizeof(raw) - 1 && raw[rlen - 1] != '\n') {
				err_set(e, "%s:%u: line longer than %d bytes",
					path, lineno, CONF_LINE_MAX - 2);
				goto out;
			}
			/* as in main.cf: a line whose first non-blank
			 * character is '#' is a comment, even indented */
			if (*str_trim(raw) == '#' || *str_trim(raw) == '\0')
				continue;
			if (raw[0] == ' ' || raw[0] == '\t') {
				char *t = str_trim(raw);

				if (llen == 0) {
					err_set(e, "%s:%u: continuation line "
						   "without a key before it",
						path, lineno);
					goto out;
				}
				if (llen + 1 + strlen(t) >= sizeof(logical)) {
					err_set(e, "%s:%u: entry too long",
						path, lineno);
					goto out;
				}
				logical[llen++] = ' ';
				memcpy(logical + llen, t, strlen(t) + 1);
				llen += strlen(t);
				continue;
			}
		}
		if (llen > 0 &&
		    conf_apply_line(c, logical, seen_at, path, start, e) < 0)
			goto out;
		if (eof)
			break;
		start = lineno;
		if (str_copy(logical, sizeof(logical), str_trim(raw)) < 0) {
			err_set(e, "%s:%u: entry too long", path, lineno);
			goto out;
		}
		llen = strlen(logical);
	}
	*out = c;
	c = NULL;
	rc = 0;
out:
	conf_free(c);
	return rc;
}

/* conf_load - read settings from a file */
int
conf_load(const char *path, struct conf **out, struct err *e)
{
	FILE *fp = fopen(path, "r");
	int rc;

	if (fp == NULL) {
		err_set(e, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = conf_load_stream(fp, path, out, e);
	(void)fclose(fp);	/* read-only stream: nothing to lose */
	return rc;
}

/* conf_free - release a config; NULL is fine */
void
conf_free(struct conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < CONF_NKEYS; i++) {
		char *field = (char *)c + conf_keys[i].offset;

		switch (conf_keys[i].type) {
		case CONF_STRING:
		case CONF_PATH:
			free(*(char **)field);
			break;
		case CONF_LIST:
			conf_list_free((struct conf_list *)field);
			break;
		case CONF_CIDRS:
			cidr_list_free((struct cidr_list *)field);
			break;
		default:
			break;
		}
	}
	free(c->path);
	free(c);
}

/* conf_print_defaults - every key with its default, like postconf -d */
void
conf_print_defaults(FILE *fp)
{
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++)
		fprintf(fp, "%s = %s\n", conf_keys[i].name, conf_keys[i].def);
}
