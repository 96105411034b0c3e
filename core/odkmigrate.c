/* SPDX-License-Identifier: BSD-2-Clause */
#include "odkmigrate.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "conf.h"
#include "str.h"
#include "xalloc.h"

/* relayguard's socket directory, the package's and the default's */
#define ODK_RG_SOCKET "unix:/var/spool/postfix/relayguard/milter.sock"

struct odk_run {
	struct odk_conf cf;
	const struct odk_env *env;
	struct odk_migration *m;
	struct strbuf body;	/* the settings */
	char **used;		/* names handled, lower case */
	size_t nused;
	const char *basedir;	/* BaseDirectory, or NULL */
	bool basedir_used;
};

/* --- notes ------------------------------------------------------------- */

/* odk_clean - a copy of s for a comment or a terminal: control bytes
 * become '?', at most max bytes (then "...") */
static char *
odk_clean(const char *s, size_t max)
{
	size_t n = strlen(s);
	char *c = xmalloc((n > max ? max : n) + 4);
	size_t i;

	for (i = 0; i < n && i < max; i++)
		c[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	if (n > max) {
		memcpy(c + i, "...", 3);
		i += 3;
	}
	c[i] = '\0';
	return c;
}

/* odk_note_at - one note */
static void __attribute__((format(printf, 5, 6)))
odk_note_at(struct odk_run *r, const char *where, const char *setting,
	    enum odk_note_kind kind, const char *fmt, ...)
{
	struct odk_migration *m = r->m;
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	m->notes = xreallocarray(m->notes, m->nnotes + 1, sizeof(*m->notes));
	m->notes[m->nnotes].where = odk_clean(where, 300);
	m->notes[m->nnotes].setting = odk_clean(setting, 120);
	m->notes[m->nnotes].kind = kind;
	m->notes[m->nnotes].text = odk_clean(text, sizeof(text));
	m->nnotes++;
}

/* odk_setting - "Name value" of an item */
static void
odk_setting(const struct odk_item *it, char *out, size_t size)
{
	(void)str_format(out, size, "%s %s", it->name, it->value);
}

/* odk_note - a note about an item */
#define odk_note(r, it, kind, ...)					\
	do {								\
		char set_[600];						\
									\
		odk_setting((it), set_, sizeof(set_));			\
		odk_note_at((r), (it)->where, set_, (kind), __VA_ARGS__); \
	} while (0)

/* odk_use - a name is handled by a converter */
static void
odk_use(struct odk_run *r, const char *name)
{
	char *l = xstrdup(name);

	str_lower(l);
	r->used = xreallocarray(r->used, r->nused + 1, sizeof(*r->used));
	r->used[r->nused++] = l;
}

/* odk_used - was a name handled? */
static bool
odk_used(const struct odk_run *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nused; i++)
		if (strcasecmp(r->used[i], name) == 0)
			return true;
	return false;
}

/* odk_get - the item that counts for name, marked handled; NULL when
 * absent or without a value (noted) */
static const struct odk_item *
odk_get(struct odk_run *r, const char *name)
{
	const struct odk_item *it = odk_conf_last(&r->cf, name);

	odk_use(r, name);
	if (it != NULL && it->value[0] == '\0') {
		odk_note(r, it, ODK_NOTE_LOST, "no value (OpenDKIM would "
			 "refuse the file)");
		return NULL;
	}
	return it;
}

/* --- settings ------------------------------------------------------------ */

/* odk_check - would relayguard's parser take "key = value"? */
static int
odk_check(const char *key, const char *value, struct err *e)
{
	struct strbuf line;
	struct conf *c = NULL;
	FILE *fp;
	int rc = -1;

	strbuf_init(&line, 65536);
	if (strbuf_printf(&line, "%s = %s\n", key, value) < 0) {
		err_set(e, "value too long");
		strbuf_free(&line);
		return -1;
	}
	fp = fmemopen(line.data, line.len, "r");
	if (fp == NULL) {
		err_set(e, "cannot check the value");
	} else {
		rc = conf_load_stream(fp, "setting", &c, e);
		(void)fclose(fp);
	}
	conf_free(c);
	strbuf_free(&line);
	if (rc < 0 && strncmp(e->text, "setting:1: ", 11) == 0)
		memmove(e->text, e->text + 11, strlen(e->text + 11) + 1);
	return rc;
}

/* odk_fill - the words of text from column col on, in lines of at most 76
 * columns: a word that would pass it starts a new line, cont (which ends at
 * column indent); a list's words end after ", ", a comment's at a space,
 * and every word but a list's first takes a space before it */
static void
odk_fill(struct strbuf *sb, const char *text, size_t col, bool list,
	 const char *cont, size_t indent)
{
	const char *p = text;

	while (*p != '\0') {
		const char *c = list ? strstr(p, ", ") : NULL;
		size_t n = !list ? strcspn(p, " ")
			 : c != NULL ? (size_t)(c - p) + 1 : strlen(p);

		if (!list || p != text) {
			if (col + 1 + n > 76 && col > indent) {
				(void)strbuf_append_str(sb, cont);
				col = indent;
			} else {
				(void)strbuf_append(sb, " ", 1);
				col++;
			}
		}
		(void)strbuf_append(sb, p, n);
		col += n;
		p += n;
		while (*p == ' ')
			p++;
	}
	(void)strbuf_append(sb, "\n", 1);
}

/* odk_put_value - "key = value", a long list broken after its commas
 * onto continuation lines */
static void
odk_put_value(struct strbuf *sb, const char *prefix, const char *key,
	      const char *value)
{
	char cont[64];

	(void)strbuf_printf(sb, "%s%s = ", prefix, key);
	(void)str_format(cont, sizeof(cont), "\n%s\t", prefix);
	odk_fill(sb, value, strlen(prefix) + strlen(key) + 3, true, cont,
		 strlen(prefix) + 8);
}

/* odk_emit - one relayguard setting, after a comment naming what it came
 * from; a value relayguard would refuse is written commented out and
 * noted */
static bool
odk_emit(struct odk_run *r, const struct odk_item *from, const char *key,
	 const char *value)
{
	struct err e;
	const char *p;
	bool ok = true;

	for (p = value; *p != '\0' && ok; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			err_set(&e, "a control character in the value");
			ok = false;
		}
	if (ok)
		ok = odk_check(key, value, &e) == 0;

	if (from != NULL) {
		char set[600];
		char *c;

		odk_setting(from, set, sizeof(set));
		c = odk_clean(set, 200);
		(void)strbuf_printf(&r->body, "\n# OpenDKIM: %s (%s)\n", c,
				    from->where);
		free(c);
	}
	if (!ok) {
		char *c = odk_clean(value, 200);

		(void)strbuf_printf(&r->body, "#%s = %s\n", key, c);
		free(c);
		char *cv = odk_clean(value, 200);

		odk_note_at(r, from != NULL ? from->where : "", "",
			    ODK_NOTE_LOST, "%s = %s would be refused by "
			    "relayguard: %s", key, cv, e.text);
		free(cv);
	} else {
		odk_put_value(&r->body, "", key, value);
	}
	return ok;
}

/* odk_comment - a comment paragraph in the settings */
static void
odk_comment(struct odk_run *r, const char *text)
{
	(void)strbuf_printf(&r->body, "\n%s\n", text);
}

/* odk_path - a data set path as relayguard needs it: relative paths
 * taken from BaseDirectory, as OpenDKIM does */
static void
odk_path(struct odk_run *r, const char *p, char *out, size_t size)
{
	if (p[0] != '/' && r->basedir != NULL) {
		(void)str_format(out, size, "%s/%s", r->basedir, p);
		r->basedir_used = true;
	} else {
		(void)str_copy(out, size, p);
	}
}

/* odk_read - the environment's reader, relative paths as odk_path */
static int
odk_read(void *ctx, const char *path, struct strbuf *out, struct err *e)
{
	struct odk_run *r = ctx;
	char full[4200];

	if (r->env->read == NULL) {
		err_set(e, "%s: not read", path);
		return -1;
	}
	odk_path(r, path, full, sizeof(full));
	return r->env->read(r->env->ctx, full, out, e);
}

/* --- who, where, how it logs -------------------------------------------- */

/* odk_user - UserID user[:group] */
static void
odk_user(struct odk_run *r)
{
	const struct odk_item *it = odk_get(r, "UserID");
	char user[256];
	const char *colon;

	if (it == NULL) {
		odk_note_at(r, "", "", ODK_NOTE_CHANGED, "no UserID: OpenDKIM "
			    "ran as root here (unless its command line said "
			    "-u), and so will relayguard; set user and give "
			    "it the keys");
		return;
	}
	colon = strchr(it->value, ':');
	if (str_copyn(user, sizeof(user), it->value,
		      colon != NULL ? (size_t)(colon - it->value)
				    : strlen(it->value)) < 0 ||
	    user[0] == '\0') {
		odk_note(r, it, ODK_NOTE_LOST, "no user name");
		return;
	}
	(void)odk_emit(r, it, "user", user);
	if (colon != NULL)
		odk_note(r, it, ODK_NOTE_CHANGED, "group %s: relayguard runs "
			 "with %s's own group; socket_group sets the group of "
			 "its socket", colon + 1, user);
}

/* odk_umask - UMask as a socket mode (0666 less the mask), or -1 */
static long
odk_umask(const struct odk_item *um)
{
	char *end;
	long v;

	if (um == NULL)
		return -1;
	v = strtol(um->value, &end, 0);	/* base 0, as OpenDKIM */
	if (*end != '\0' || v < 0 || v > 0777)
		return -1;
	return 0666 & ~v;
}

/* odk_socket_inet - an inet socket kept, its host made an address */
static void
odk_socket_inet(struct odk_run *r, const struct odk_item *it,
		const struct odk_socket *s)
{
	char host[300];
	char addrs[1024];
	char value[400];
	const char *fam = s->inet6 ? "inet6" : "inet";
	struct odk_net n;
	char *save = NULL;
	bool x;

	(void)str_copy(host, sizeof(host), s->host);
	if (host[0] == '\0') {
		(void)str_copy(host, sizeof(host), s->inet6 ? "::" : "0.0.0.0");
		odk_note(r, it, ODK_NOTE_CHANGED, "every address, as OpenDKIM "
			 "listened: every host that reaches port %u can have "
			 "mail signed (relayguard(8), SECURITY); 127.0.0.1 is "
			 "safer", s->port);
	} else if (strcasecmp(host, "localhost") == 0) {
		(void)str_copy(host, sizeof(host), s->inet6 ? "::1"
							      : "127.0.0.1");
	} else if (odk_net_parse(host, &n, &x) < 0) {
		char *p;
		char *best = NULL;

		if (r->env->resolve != NULL &&
		    r->env->resolve(r->env->ctx, host, addrs, sizeof(addrs)) >
			    0) {
			for (p = strtok_r(addrs, " ", &save); p != NULL;
			     p = strtok_r(NULL, " ", &save))
				if ((strchr(p, ':') != NULL) == s->inet6) {
					best = p;
					break;
				}
		}
		if (best != NULL) {
			odk_note(r, it, ODK_NOTE_CHANGED, "%s is %s now: "
				 "relayguard listens on the address", host,
				 best);
			(void)str_copy(host, sizeof(host), best);
		} else {
			odk_note(r, it, ODK_NOTE_CHANGED, "%s did not resolve "
				 "to an %s address here: kept as it is, "
				 "check it with relayguard -n", host,
				 s->inet6 ? "IPv6" : "IPv4");
		}
	}
	(void)str_format(value, sizeof(value), "%s:%u@%s", fam, s->port,
			 host);
	(void)odk_emit(r, it, "socket", value);
}

/* odk_socket - Socket and UMask */
static void
odk_socket(struct odk_run *r)
{
	const struct odk_item *it = odk_get(r, "Socket");
	const struct odk_item *um = odk_get(r, "UMask");
	struct odk_socket s;
	struct err e;
	char mode[16];
	long m;

	if (it == NULL || odk_socket_parse(it->value, &s, &e) < 0) {
		if (it != NULL)
			odk_note(r, it, ODK_NOTE_LOST, "%s", e.text);
		else
			odk_note_at(r, "", "", ODK_NOTE_CHANGED, "no Socket "
				    "here (OpenDKIM's command line may have "
				    "had -p): relayguard listens on %s; in "
				    "Postfix's main.cf: smtpd_milters = "
				    "unix:relayguard/milter.sock",
				    ODK_RG_SOCKET);
		if (um != NULL)
			odk_note(r, um, ODK_NOTE_UNNEEDED, "relayguard's "
				 "socket has socket_mode 0660");
		return;
	}
	if (!s.is_unix) {
		odk_socket_inet(r, it, &s);
		if (um != NULL)
			odk_note(r, um, ODK_NOTE_UNNEEDED, "a umask matters "
				 "for a unix socket only");
		return;
	}
	(void)odk_emit(r, it, "socket", ODK_RG_SOCKET);
	(void)odk_emit(r, NULL, "socket_group", "postfix");
	odk_note(r, it, ODK_NOTE_CHANGED, "relayguard listens on %s: %s is "
		 "OpenDKIM's to write, and both can run during the switch; in "
		 "Postfix's main.cf: smtpd_milters = "
		 "unix:relayguard/milter.sock (non_smtpd_milters too)",
		 ODK_RG_SOCKET, s.path);
	m = odk_umask(um);
	if (um != NULL && m < 0) {
		odk_note(r, um, ODK_NOTE_LOST, "not an octal mask");
	} else if (um != NULL) {
		(void)str_format(mode, sizeof(mode), "0%03lo",
				 (unsigned long)m);
		(void)odk_emit(r, um, "socket_mode", mode);
	}
}

/* odk_logging - PidFile, Syslog, SyslogFacility */
static void
odk_logging(struct odk_run *r)
{
	const struct odk_item *it;
	char fac[64];

	if ((it = odk_get(r, "PidFile")) != NULL)
		odk_note(r, it, ODK_NOTE_CHANGED, "relayguard writes "
			 "/run/relayguard/relayguard.pid (the directory its "
			 "unit makes)");
	if ((it = odk_get(r, "Syslog")) != NULL)
		odk_note(r, it, odk_bool(it->value) == 0 ? ODK_NOTE_CHANGED
							 : ODK_NOTE_UNNEEDED,
			 "relayguard always logs to syslog");
	if ((it = odk_get(r, "SyslogFacility")) != NULL &&
	    str_copy(fac, sizeof(fac), it->value) == 0) {
		str_lower(fac);
		(void)odk_emit(r, it, "syslog_facility", fac);
	}
}

/* --- who gets signed --------------------------------------------------- */

/* odk_hosts_name - a host name entry: its addresses now, or a note */
static void
odk_hosts_name(struct odk_run *r, const struct odk_entry *en, bool x,
	       struct odk_net **nets, bool **excl, size_t *n)
{
	char addrs[2048];
	char *save = NULL;
	char *p;
	int k;

	if (x || en->text[0] == '.' || strchr(en->text, '*') != NULL) {
		odk_note_at(r, en->where, en->text, ODK_NOTE_LOST,
			    "%s client host names: relayguard matches "
			    "addresses only", x ? "excludes" : "matches");
		return;
	}
	k = -1;
	if (r->env->resolve != NULL)
		k = r->env->resolve(r->env->ctx, en->text, addrs,
				    sizeof(addrs));
	if (k <= 0) {
		odk_note_at(r, en->where, en->text, ODK_NOTE_LOST, "host name "
			    "%s does not resolve here", en->text);
		return;
	}
	odk_note_at(r, en->where, en->text, ODK_NOTE_CHANGED, "host name "
		    "%s is %s now (relayguard matches addresses, OpenDKIM "
		    "matched the client's name)", en->text, addrs);
	for (p = strtok_r(addrs, " ", &save); p != NULL;
	     p = strtok_r(NULL, " ", &save)) {
		struct odk_net net;
		bool ignored;

		if (odk_net_parse(p, &net, &ignored) < 0)
			continue;
		*nets = xreallocarray(*nets, *n + 1, sizeof(**nets));
		*excl = xreallocarray(*excl, *n + 1, sizeof(**excl));
		(*nets)[*n] = net;
		(*excl)[*n] = false;
		(*n)++;
	}
}

/* odk_hosts - InternalHosts as internal_hosts */
static void
odk_hosts(struct odk_run *r)
{
	const struct odk_item *it = odk_get(r, "InternalHosts");
	struct odk_entries en;
	struct odk_nets set = {NULL, 0, 0};
	struct odk_net *nets = NULL;
	bool *excl = NULL;
	const char *rest;
	bool refile;
	bool any_excl = false;
	struct strbuf list;
	struct err e;
	size_t n = 0;
	size_t i;

	if (it == NULL) {
		odk_note_at(r, "", "", ODK_NOTE_CHANGED, "no InternalHosts: "
			    "OpenDKIM signed for 127.0.0.1; relayguard's "
			    "default internal_hosts is 127.0.0.0/8, ::1");
		return;
	}
	refile = odk_dataset(it->value, &rest) == ODK_DS_REFILE;
	if (odk_dataset_entries(it->value, it->where, odk_read, r, &en, &e) <
	    0) {
		odk_note(r, it, ODK_NOTE_LOST, "%s", e.text);
		return;
	}
	for (i = 0; i < en.count; i++) {
		struct odk_net net;
		bool x = false;

		if ((refile && strchr(en.v[i].text, '*') != NULL &&
		     odk_net_pattern(en.v[i].text, &net) == 0) ||
		    odk_net_parse(en.v[i].text, &net, &x) == 0) {
			nets = xreallocarray(nets, n + 1, sizeof(*nets));
			excl = xreallocarray(excl, n + 1, sizeof(*excl));
			nets[n] = net;
			excl[n++] = x;
			any_excl |= x;
			continue;
		}
		x = en.v[i].text[0] == '!';
		odk_hosts_name(r, &en.v[i], x, &nets, &excl, &n);
	}
	odk_nets_apply(&set, nets, excl, n);
	strbuf_init(&list, 1 << 16);
	for (i = 0; i < set.count; i++) {
		char a[64];

		odk_net_format(&set.v[i], a, sizeof(a));
		(void)strbuf_printf(&list, "%s%s", i ? ", " : "", a);
	}
	if (any_excl)
		odk_note(r, it, ODK_NOTE_CHANGED, "the exclusions ('!') are "
			 "cut out: internal_hosts lists what is left");
	(void)odk_emit(r, it, "internal_hosts", list.data != NULL ? list.data
								   : "");
	strbuf_free(&list);
	odk_nets_free(&set);
	free(nets);
	free(excl);
	odk_entries_free(&en);
}

/* --- the tables ------------------------------------------------------- */

/* odk_keytable_check - what relayguard will say about the KeyTable's
 * key files: inline keys refused, relative paths taken elsewhere */
static void
odk_keytable_check(struct odk_run *r, const char *path)
{
	struct strbuf sb;
	struct err e;
	size_t at = 0;
	unsigned line = 0;

	strbuf_init(&sb, ODK_FILE_MAX);
	if (odk_read(r, path, &sb, &e) < 0) {
		odk_note_at(r, "", "", ODK_NOTE_CHANGED, "the KeyTable %s was "
			    "not read here (%s): relayguard -n checks it",
			    path, e.text);
		strbuf_free(&sb);
		return;
	}
	while (at < sb.len) {
		const char *s = sb.data + at;
		const char *nl = memchr(s, '\n', sb.len - at);
		size_t n = nl != NULL ? (size_t)(nl - s) : sb.len - at;
		char buf[4096];
		char where[4200];
		char *name;
		char *val;
		char *key;
		char *save = NULL;

		at += n + 1;
		line++;
		if (str_copyn(buf, sizeof(buf), s, n) < 0)
			continue;
		buf[strcspn(buf, "#\r")] = '\0';
		name = strtok_r(buf, " \t", &save);
		val = name != NULL ? strtok_r(NULL, " \t", &save) : NULL;
		if (val == NULL)
			continue;
		/* DOMAIN:SELECTOR:KEY */
		key = strchr(val, ':');
		key = key != NULL ? strchr(key + 1, ':') : NULL;
		if (key == NULL)
			continue;
		key++;
		(void)str_format(where, sizeof(where), "%s:%u", path, line);
		if (key[0] != '/' && strncmp(key, "./", 2) != 0 &&
		    strncmp(key, "../", 3) != 0)
			odk_note_at(r, where, name, ODK_NOTE_LOST, "the key "
				    "is in the table itself: relayguard reads "
				    "keys from files (mode 0600); write it to "
				    "one and name the file");
		else if (key[0] == '.')
			odk_note_at(r, where, name, ODK_NOTE_CHANGED,
				    "relayguard takes the relative key path %s "
				    "from the KeyTable's directory, OpenDKIM "
				    "from its working directory", key);
	}
	strbuf_free(&sb);
}

/* odk_table - KeyTable or SigningTable as key_table or signing_table;
 * true when carried over */
static bool
odk_table(struct odk_run *r, const char *name, const char *key)
{
	const struct odk_item *it = odk_get(r, name);
	const char *rest;
	char path[4200];
	char value[4300];
	enum odk_ds_kind k;

	if (it == NULL)
		return false;
	k = odk_dataset(it->value, &rest);
	if (k != ODK_DS_FILE && k != ODK_DS_REFILE) {
		odk_note(r, it, ODK_NOTE_LOST, "relayguard reads file: and "
			 "refile: tables only: export this one to a file");
		return false;
	}
	odk_path(r, rest, path, sizeof(path));
	(void)str_format(value, sizeof(value), "%s:%s",
			 k == ODK_DS_FILE ? "file" : "refile", path);
	if (strcmp(name, "KeyTable") == 0)
		odk_keytable_check(r, rest);
	return odk_emit(r, it, key, value);
}

/* odk_single_key - Domain, Selector and KeyFile without tables: the
 * table lines relayguard needs, as a comment to act on */
static void
odk_single_key(struct odk_run *r, const struct odk_item *dom,
	       const struct odk_item *sel, const struct odk_item *kf,
	       const struct odk_item *sub)
{
	struct odk_entries doms;
	struct err e;
	char path[4200];
	size_t i;

	if (dom == NULL || sel == NULL || kf == NULL) {
		const struct odk_item *one = dom ? dom : sel ? sel : kf;

		if (one != NULL)
			odk_note(r, one, ODK_NOTE_LOST, "Domain, Selector and "
				 "KeyFile go together, and one is missing");
		return;
	}
	if (odk_dataset_entries(dom->value, dom->where, odk_read, r, &doms,
				&e) < 0) {
		odk_note(r, dom, ODK_NOTE_LOST, "%s", e.text);
		return;
	}
	odk_path(r, kf->value, path, sizeof(path));
	odk_comment(r, "# OpenDKIM signed with one key (Domain, Selector, "
		       "KeyFile); relayguard signs\n# through tables: put "
		       "these lines in the two files and remove the '#'\n"
		       "# of key_table and signing_table.\n# KeyTable:");
	for (i = 0; i < doms.count; i++)
		(void)strbuf_printf(&r->body, "#   %s._domainkey.%s %s:%s:%s\n",
				    sel->value, doms.v[i].text,
				    doms.v[i].text, sel->value, path);
	(void)strbuf_append_str(&r->body, "# SigningTable (refile:):\n");
	for (i = 0; i < doms.count; i++) {
		(void)strbuf_printf(&r->body, "#   *@%s %s._domainkey.%s\n",
				    doms.v[i].text, sel->value,
				    doms.v[i].text);
		if (sub != NULL && odk_bool(sub->value) == 1)
			(void)strbuf_printf(&r->body,
					    "#   *@*.%s %s._domainkey.%s\n",
					    doms.v[i].text, sel->value,
					    doms.v[i].text);
	}
	(void)strbuf_append_str(&r->body,
				"#key_table = file:/etc/relayguard/KeyTable\n"
				"#signing_table = refile:/etc/relayguard/"
				"SigningTable\n");
	odk_note(r, kf, ODK_NOTE_CHANGED, "one key for %zu domain%s: the "
		 "KeyTable and SigningTable lines are in the file, to put in "
		 "place", doms.count, doms.count == 1 ? "" : "s");
	odk_entries_free(&doms);
}

/* odk_tables - KeyTable and SigningTable, or the single key */
static void
odk_tables(struct odk_run *r)
{
	const struct odk_item *dom = odk_get(r, "Domain");
	const struct odk_item *sel = odk_get(r, "Selector");
	const struct odk_item *kf = odk_get(r, "KeyFile");
	const struct odk_item *sub = odk_get(r, "SubDomains");
	bool has_kt = odk_conf_last(&r->cf, "KeyTable") != NULL;
	bool kt = odk_table(r, "KeyTable", "key_table");
	bool st = odk_table(r, "SigningTable", "signing_table");

	r->m->signs = kt && st;
	if (kt != st) {
		const struct odk_item *one =
			odk_conf_last(&r->cf, kt ? "KeyTable" : "SigningTable");

		odk_note(r, one, ODK_NOTE_LOST, "relayguard needs both a "
			 "KeyTable and a SigningTable");
	}
	if (has_kt) {
		const struct odk_item *v[] = {dom, sel, kf, sub};
		size_t i;

		for (i = 0; i < 4; i++)
			if (v[i] != NULL)
				odk_note(r, v[i], ODK_NOTE_UNNEEDED, "OpenDKIM "
					 "ignores it when a KeyTable is set");
		return;
	}
	odk_single_key(r, dom, sel, kf, sub);
	if (sub != NULL && (dom == NULL || sel == NULL || kf == NULL))
		odk_note(r, sub, ODK_NOTE_UNNEEDED, "used with Domain and "
			 "KeyFile only");
}

/* --- how it signs ------------------------------------------------------ */

/* odk_canon - Canonicalization: "h/b", or "h" (the body then simple) */
static void
odk_canon(struct odk_run *r)
{
	const struct odk_item *it = odk_get(r, "Canonicalization");
	char h[32];
	char b[32];
	char v[80];
	const char *slash;

	if (it == NULL) {
		odk_note_at(r, "", "", ODK_NOTE_CHANGED, "no Canonicalization: "
			    "OpenDKIM signed simple/simple; relayguard's "
			    "default is relaxed/relaxed, which survives more "
			    "relays (canonicalization = simple/simple keeps "
			    "OpenDKIM's)");
		return;
	}
	slash = strchr(it->value, '/');
	if (str_copyn(h, sizeof(h), it->value,
		      slash ? (size_t)(slash - it->value)
			    : strlen(it->value)) < 0 ||
	    str_copy(b, sizeof(b), slash ? slash + 1 : "simple") < 0) {
		odk_note(r, it, ODK_NOTE_LOST, "not simple or relaxed");
		return;
	}
	str_lower(h);
	str_lower(b);
	if ((strcmp(h, "simple") != 0 && strcmp(h, "relaxed") != 0) ||
	    (strcmp(b, "simple") != 0 && strcmp(b, "relaxed") != 0)) {
		odk_note(r, it, ODK_NOTE_LOST, "not simple or relaxed "
			 "(OpenDKIM would refuse it)");
		return;
	}
	(void)str_format(v, sizeof(v), "%s/%s", h, b);
	(void)odk_emit(r, it, "canonicalization", v);
}

/* libopendkim's lists (RFC 6376 5.4): signed by default, and omitted */
static const char *const odk_sign_default[] = {
	"from", "reply-to", "subject", "date", "to", "cc", "resent-date",
	"resent-from", "resent-sender", "resent-to", "resent-cc",
	"in-reply-to", "references", "list-id", "list-help",
	"list-unsubscribe", "list-subscribe", "list-post", "list-owner",
	"list-archive", NULL,
};
static const char *const odk_omit_default[] = {
	"return-path", "received", "comments", "keywords", "bcc",
	"resent-bcc", "dkim-signature", NULL,
};

/* A list of header field names, lower case. */
struct odk_names {
	char **v;
	size_t count;
};

/* odk_names_has - is name in the list? */
static bool
odk_names_has(const struct odk_names *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		if (strcmp(l->v[i], name) == 0)
			return true;
	return false;
}

/* odk_names_add - add name (lower case) once */
static void
odk_names_add(struct odk_names *l, const char *name)
{
	char *c = xstrdup(name);

	str_lower(c);
	if (c[0] == '\0' || odk_names_has(l, c)) {
		free(c);
		return;
	}
	l->v = xreallocarray(l->v, l->count + 1, sizeof(*l->v));
	l->v[l->count++] = c;
}

/* odk_names_del - remove name */
static void
odk_names_del(struct odk_names *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->count; i++) {
		if (strcasecmp(l->v[i], name) == 0) {
			free(l->v[i]);
			memmove(&l->v[i], &l->v[i + 1],
				(l->count - i - 1) * sizeof(*l->v));
			l->count--;
			return;
		}
	}
}

/* odk_names_free - release a list */
static void
odk_names_free(struct odk_names *l)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* odk_names_join - "a, b, c" into out */
static void
odk_names_join(const struct odk_names *l, struct strbuf *out)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		(void)strbuf_printf(out, "%s%s", i ? ", " : "", l->v[i]);
}

/* odk_names_of - a header list setting: its entries, or with "*" the
 * default list changed by "+name" and "-name" (OpenDKIM's OmitHeaders
 * syntax, also used by SignHeaders); -1 (noted) when it cannot be read */
static int
odk_names_of(struct odk_run *r, const struct odk_item *it,
	     const char *const *def, struct odk_names *out)
{
	struct odk_entries en;
	struct err e;
	bool delta = false;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (odk_dataset_entries(it->value, it->where, odk_read, r, &en, &e) <
	    0) {
		odk_note(r, it, ODK_NOTE_LOST, "%s", e.text);
		return -1;
	}
	for (i = 0; i < en.count; i++)
		delta |= strcmp(en.v[i].text, "*") == 0;
	for (i = 0; delta && def[i] != NULL; i++)
		odk_names_add(out, def[i]);
	for (i = 0; i < en.count; i++) {
		const char *t = en.v[i].text;

		if (strcmp(t, "*") == 0)
			continue;
		if (t[0] == '-')
			odk_names_del(out, t + 1);
		else
			odk_names_add(out, t + (t[0] == '+'));
	}
	odk_entries_free(&en);
	return 0;
}

/* odk_rg_sign_default - relayguard's own sign_headers default */
static void
odk_rg_sign_default(struct odk_names *out)
{
	struct conf *c = NULL;
	struct err e;
	char nl[] = "\n";
	FILE *fp = fmemopen(nl, 1, "r");
	size_t i;

	memset(out, 0, sizeof(*out));
	if (fp == NULL)
		return;
	if (conf_load_stream(fp, "defaults", &c, &e) == 0)
		for (i = 0; i < c->sign_headers.count; i++)
			odk_names_add(out, c->sign_headers.items[i]);
	(void)fclose(fp);
	conf_free(c);
}

/* odk_headers - SignHeaders less OmitHeaders, and OversignHeaders */
static void
odk_headers(struct odk_run *r)
{
	const struct odk_item *sh = odk_get(r, "SignHeaders");
	const struct odk_item *oh = odk_get(r, "OmitHeaders");
	const struct odk_item *os = odk_get(r, "OversignHeaders");
	struct odk_names sign;
	struct odk_names omit;
	struct strbuf v;
	size_t i;

	strbuf_init(&v, 1 << 16);
	if (sh == NULL || odk_names_of(r, sh, odk_sign_default, &sign) < 0)
		odk_rg_sign_default(&sign);
	else
		odk_names_add(&sign, "from");	/* RFC 6376: always */
	if (oh != NULL && odk_names_of(r, oh, odk_omit_default, &omit) == 0) {
		for (i = 0; i < omit.count; i++)
			if (strcmp(omit.v[i], "from") != 0)
				odk_names_del(&sign, omit.v[i]);
		odk_names_free(&omit);
		odk_note(r, oh, ODK_NOTE_CHANGED, "relayguard has a list of "
			 "fields to sign only: these are left out of "
			 "sign_headers");
	}
	if (sh != NULL || oh != NULL) {
		odk_names_join(&sign, &v);
		(void)odk_emit(r, sh != NULL ? sh : oh, "sign_headers",
			       v.data != NULL ? v.data : "from");
	}
	odk_names_free(&sign);
	strbuf_reset(&v);
	if (os != NULL && odk_names_of(r, os, odk_sign_default, &sign) == 0) {
		odk_names_join(&sign, &v);
		(void)odk_emit(r, os, "oversign_headers",
			       v.data != NULL ? v.data : "");
		odk_names_free(&sign);
	} else if (os == NULL) {
		odk_note_at(r, "", "", ODK_NOTE_CHANGED, "no OversignHeaders: "
			    "OpenDKIM oversigned nothing; relayguard "
			    "oversigns From by default (a From added later "
			    "breaks the signature instead of riding on it)");
	}
	strbuf_free(&v);
}

/* odk_yesno - a boolean setting as yes/no; absent: dflt (if not NULL),
 * with a comment saying why */
static void
odk_yesno(struct odk_run *r, const char *name, const char *key,
	  const char *dflt, const char *why)
{
	const struct odk_item *it = odk_get(r, name);
	int b;

	if (it == NULL) {
		if (dflt != NULL) {
			odk_comment(r, why);
			(void)odk_emit(r, NULL, key, dflt);
		}
		return;
	}
	b = odk_bool(it->value);
	if (b < 0)
		odk_note(r, it, ODK_NOTE_LOST, "not a boolean (OpenDKIM would "
			 "refuse it)");
	else
		(void)odk_emit(r, it, key, b ? "yes" : "no");
}

/* odk_sign_error - On-SignatureError (or On-Default) as on_sign_error */
static void
odk_sign_error(struct odk_run *r)
{
	const struct odk_item *se = odk_get(r, "On-SignatureError");
	const struct odk_item *def = odk_get(r, "On-Default");
	const struct odk_item *it = se != NULL ? se : def;
	char v[32];

	if (it == NULL) {
		odk_note_at(r, "", "", ODK_NOTE_CHANGED, "no "
			    "On-SignatureError: OpenDKIM rejected mail it "
			    "could not sign; relayguard's default "
			    "on_sign_error is tempfail (451: the client keeps "
			    "the message and retries)");
		return;
	}
	if (str_copy(v, sizeof(v), it->value) < 0)
		v[0] = '\0';
	str_lower(v);
	if (strcmp(v, "accept") == 0 || strcmp(v, "reject") == 0 ||
	    strcmp(v, "tempfail") == 0) {
		(void)odk_emit(r, it, "on_sign_error", v);
		if (it == def)
			odk_note(r, def, ODK_NOTE_CHANGED, "carried over as "
				 "on_sign_error; relayguard verifies nothing "
				 "for the other cases");
	} else {
		odk_note(r, it, ODK_NOTE_LOST, "relayguard's on_sign_error is "
			 "tempfail, accept or reject");
	}
	if (se != NULL && def != NULL)
		odk_note(r, def, ODK_NOTE_VERIFY, "the other cases are "
			 "verification results");
}

/* odk_misc - AuthservID, Mode, BaseDirectory */
static void
odk_misc(struct odk_run *r)
{
	const struct odk_item *it;

	if ((it = odk_get(r, "AuthservID")) != NULL) {
		if (strcmp(it->value, "HOSTNAME") == 0)
			odk_note(r, it, ODK_NOTE_UNNEEDED, "relayguard's "
				 "authserv_id is the host name by default");
		else if (odk_emit(r, it, "authserv_id", it->value))
			odk_note(r, it, ODK_NOTE_CHANGED, "relayguard puts "
				 "it in its SPF results (Authentication-"
				 "Results)");
	}
	if ((it = odk_get(r, "Mode")) == NULL) {
		odk_note_at(r, "", "", ODK_NOTE_VERIFY, "no Mode: OpenDKIM "
			    "signed and verified; relayguard signs only");
	} else {
		if (strchr(it->value, 's') == NULL)
			odk_note(r, it, ODK_NOTE_LOST, "OpenDKIM only "
				 "verified here: relayguard signs, and has "
				 "nothing to do for this setup");
		else if (strchr(it->value, 'v') != NULL)
			odk_note(r, it, ODK_NOTE_VERIFY, "relayguard signs; "
				 "it verifies nothing");
	}
}

/* --- everything else ----------------------------------------------------- */

/* What relayguard makes of the other OpenDKIM 2.11 settings. */
static const struct {
	const char *name;
	enum odk_note_kind kind;
	const char *text;
} odk_others[] = {
	{"AutoRestart", ODK_NOTE_UNNEEDED, "systemd restarts relayguard"},
	{"AutoRestartCount", ODK_NOTE_UNNEEDED, "systemd restarts relayguard"},
	{"AutoRestartRate", ODK_NOTE_UNNEEDED, "systemd restarts relayguard"},
	{"Background", ODK_NOTE_UNNEEDED, "relayguard detaches unless -f"},
	{"SyslogSuccess", ODK_NOTE_UNNEEDED, "relayguard logs every "
	 "message: signed, or not signed and why"},
	{"LogWhy", ODK_NOTE_UNNEEDED, "relayguard logs every message: "
	 "signed, or not signed and why"},
	{"LogResults", ODK_NOTE_UNNEEDED, "relayguard logs every message"},
	{"SyslogName", ODK_NOTE_LOST, "relayguard logs as relayguard"},
	{"FixCRLF", ODK_NOTE_UNNEEDED, "relayguard signs bare CR and LF as "
	 "the CRLF the MTA delivers"},
	{"SignatureAlgorithm", ODK_NOTE_UNNEEDED, "relayguard takes the "
	 "algorithm from each key: rsa-sha256 or ed25519-sha256 (never "
	 "rsa-sha1)"},
	{"MilterDebug", ODK_NOTE_UNNEEDED, "a debugging aid"},
	{"Diagnostics", ODK_NOTE_UNNEEDED, "a debugging aid"},
	{"DiagnosticDirectory", ODK_NOTE_UNNEEDED, "a debugging aid"},
	{"KeepTemporaryFiles", ODK_NOTE_UNNEEDED, "a debugging aid"},
	{"TemporaryDirectory", ODK_NOTE_UNNEEDED, "relayguard writes no "
	 "temporary files"},
	{"EnableCoredumps", ODK_NOTE_UNNEEDED, "a debugging aid"},
	{"DisableCryptoInit", ODK_NOTE_UNNEEDED, "no effect here"},
	{"ResolverTracing", ODK_NOTE_UNNEEDED, "a debugging aid"},
	{"TestPublicKeys", ODK_NOTE_UNNEEDED, "for OpenDKIM's test mode"},
	{"TestDNSData", ODK_NOTE_UNNEEDED, "for OpenDKIM's test mode"},
	{"StrictTestMode", ODK_NOTE_UNNEEDED, "for OpenDKIM's test mode"},
	{"QueryCache", ODK_NOTE_VERIFY, NULL},
	{"AllowSHA1Only", ODK_NOTE_VERIFY, NULL},
	{"AlwaysAddARHeader", ODK_NOTE_VERIFY, NULL},
	{"AuthservIDWithJobID", ODK_NOTE_VERIFY, NULL},
	{"BogusKey", ODK_NOTE_VERIFY, NULL},
	{"ClockDrift", ODK_NOTE_VERIFY, NULL},
	{"DNSConnect", ODK_NOTE_VERIFY, NULL},
	{"DNSTimeout", ODK_NOTE_VERIFY, NULL},
	{"DomainKeysCompat", ODK_NOTE_VERIFY, NULL},
	{"KeepAuthResults", ODK_NOTE_VERIFY, NULL},
	{"MaximumSignaturesToVerify", ODK_NOTE_VERIFY, NULL},
	{"Minimum", ODK_NOTE_VERIFY, NULL},
	{"MinimumKeyBits", ODK_NOTE_VERIFY, NULL},
	{"MustBeSigned", ODK_NOTE_VERIFY, NULL},
	{"Nameservers", ODK_NOTE_VERIFY, NULL},
	{"NoHeaderB", ODK_NOTE_VERIFY, NULL},
	{"On-BadSignature", ODK_NOTE_VERIFY, NULL},
	{"On-DNSError", ODK_NOTE_VERIFY, NULL},
	{"On-KeyNotFound", ODK_NOTE_VERIFY, NULL},
	{"On-NoSignature", ODK_NOTE_VERIFY, NULL},
	{"On-Security", ODK_NOTE_VERIFY, NULL},
	{"Quarantine", ODK_NOTE_VERIFY, NULL},
	{"RedirectFailuresTo", ODK_NOTE_VERIFY, NULL},
	{"RemoveARAll", ODK_NOTE_VERIFY, NULL},
	{"RemoveARFrom", ODK_NOTE_VERIFY, NULL},
	{"ReportAddress", ODK_NOTE_VERIFY, NULL},
	{"ReportBccAddress", ODK_NOTE_VERIFY, NULL},
	{"ResolverConfiguration", ODK_NOTE_VERIFY, NULL},
	{"SendReports", ODK_NOTE_VERIFY, NULL},
	{"TrustAnchorFile", ODK_NOTE_VERIFY, NULL},
	{"TrustSignaturesFrom", ODK_NOTE_VERIFY, NULL},
	{"UnprotectedKey", ODK_NOTE_VERIFY, NULL},
	{"VBR-Certifiers", ODK_NOTE_VERIFY, NULL},
	{"VBR-PurgeFields", ODK_NOTE_VERIFY, NULL},
	{"VBR-TrustedCertifiers", ODK_NOTE_VERIFY, NULL},
	{"VBR-TrustedCertifiersOnly", ODK_NOTE_VERIFY, NULL},
	{"VBR-Type", ODK_NOTE_VERIFY, NULL},
	{"WeakSyntaxChecks", ODK_NOTE_VERIFY, NULL},
	{"On-InternalError", ODK_NOTE_LOST, "relayguard: on_sign_error for "
	 "signing, tempfail for every other failure"},
	{"PeerList", ODK_NOTE_LOST, "relayguard looks at every client; mail "
	 "from these is treated like any other"},
	{"ExternalIgnoreList", ODK_NOTE_LOST, "hosts that may send as your "
	 "domains without a login: relayguard's own-domain check is off "
	 "below; before you turn it on, put them in internal_hosts (their "
	 "mail is then signed) or have them authenticate"},
	{"ExemptDomains", ODK_NOTE_LOST, "relayguard signs whatever the "
	 "SigningTable matches"},
	{"DontSignMailTo", ODK_NOTE_LOST, "relayguard signs whatever the "
	 "SigningTable matches, whoever the recipients"},
	{"SenderHeaders", ODK_NOTE_LOST, "relayguard signs by the From "
	 "field only"},
	{"SenderMacro", ODK_NOTE_LOST, "relayguard signs by the From field "
	 "only"},
	{"MTA", ODK_NOTE_LOST, "relayguard signs for every MTA name"},
	{"MacroList", ODK_NOTE_LOST, "relayguard decides by client, login "
	 "and From"},
	{"SignatureTTL", ODK_NOTE_LOST, "relayguard adds no x= tag"},
	{"RequestReports", ODK_NOTE_LOST, "relayguard adds no r= tag"},
	{"BodyLengthDB", ODK_NOTE_LOST, "relayguard signs the whole body "
	 "(no l= tag)"},
	{"MaximumSignedBytes", ODK_NOTE_LOST, "relayguard signs the whole "
	 "body (no l= tag)"},
	{"RemoveOldSignatures", ODK_NOTE_LOST, "relayguard leaves existing "
	 "signatures alone"},
	{"SoftwareHeader", ODK_NOTE_LOST, "relayguard adds no DKIM-Filter "
	 "field"},
	{"SelectCanonicalizationHeader", ODK_NOTE_LOST, "relayguard uses "
	 "canonicalization for every message"},
	{"ReplaceHeaders", ODK_NOTE_LOST, "relayguard changes no header "
	 "field"},
	{"ReplaceRules", ODK_NOTE_LOST, "relayguard changes no header field"},
	{"IdentityHeader", ODK_NOTE_LOST, "relayguard takes i= from the "
	 "SigningTable"},
	{"IdentityHeaderRemove", ODK_NOTE_LOST, "relayguard takes i= from "
	 "the SigningTable"},
	{"IgnoreMalformedMail", ODK_NOTE_LOST, "relayguard passes malformed "
	 "mail on unsigned, with a log line"},
	{"RequiredHeaders", ODK_NOTE_LOST, "relayguard does not check the "
	 "header field counts"},
	{"StrictHeaders", ODK_NOTE_LOST, "relayguard does not check the "
	 "header field counts"},
	{"MaximumHeaders", ODK_NOTE_LOST, "see max_header_bytes"},
	{"ResignAll", ODK_NOTE_LOST, "relayguard does not re-sign"},
	{"ResignMailTo", ODK_NOTE_LOST, "relayguard does not re-sign"},
	{"SetupPolicyScript", ODK_NOTE_LOST, "relayguard runs no Lua"},
	{"ScreenPolicyScript", ODK_NOTE_LOST, "relayguard runs no Lua"},
	{"FinalPolicyScript", ODK_NOTE_LOST, "relayguard runs no Lua"},
	{"StatisticsPolicyScript", ODK_NOTE_LOST, "relayguard runs no Lua"},
	{"Statistics", ODK_NOTE_LOST, "see metrics_listen and the audit "
	 "trail"},
	{"StatisticsName", ODK_NOTE_LOST, "see metrics_listen"},
	{"StatisticsPrefix", ODK_NOTE_LOST, "see metrics_listen"},
	{"CaptureUnknownErrors", ODK_NOTE_LOST, "relayguard tempfails on an "
	 "internal error"},
	{"MTACommand", ODK_NOTE_LOST, "relayguard sends no mail"},
	{"SMTPURI", ODK_NOTE_LOST, "relayguard sends no mail"},
	{"POPDBFile", ODK_NOTE_LOST, "relayguard trusts SASL logins and "
	 "internal_hosts"},
	{"SoftStart", ODK_NOTE_LOST, "relayguard reads no database"},
	{"ChangeRootDirectory", ODK_NOTE_LOST, "relayguard does not chroot "
	 "(its unit confines it): check that the paths above are outside "
	 "the jail"},
	{"LDAPAuthMechanism", ODK_NOTE_LOST, "relayguard reads no LDAP"},
	{"LDAPAuthName", ODK_NOTE_LOST, "relayguard reads no LDAP"},
	{"LDAPAuthRealm", ODK_NOTE_LOST, "relayguard reads no LDAP"},
	{"LDAPAuthUser", ODK_NOTE_LOST, "relayguard reads no LDAP"},
	{"LDAPBindPassword", ODK_NOTE_LOST, "relayguard reads no LDAP"},
	{"LDAPBindUser", ODK_NOTE_LOST, "relayguard reads no LDAP"},
	{"LDAPDisableCache", ODK_NOTE_LOST, "relayguard reads no LDAP"},
	{"LDAPKeepaliveIdle", ODK_NOTE_LOST, "relayguard reads no LDAP"},
	{"LDAPKeepaliveInterval", ODK_NOTE_LOST, "relayguard reads no LDAP"},
	{"LDAPKeepaliveProbes", ODK_NOTE_LOST, "relayguard reads no LDAP"},
	{"LDAPTimeout", ODK_NOTE_LOST, "relayguard reads no LDAP"},
	{"LDAPUseTLS", ODK_NOTE_LOST, "relayguard reads no LDAP"},
};

/* odk_other - a note for a setting no converter handled */
static void
odk_other(struct odk_run *r, const struct odk_item *it)
{
	size_t i;

	for (i = 0; i < sizeof(odk_others) / sizeof(odk_others[0]); i++) {
		if (strcasecmp(it->name, odk_others[i].name) != 0)
			continue;
		odk_note(r, it, odk_others[i].kind, "%s",
			 odk_others[i].text != NULL
				 ? odk_others[i].text
				 : "relayguard signs; it verifies nothing");
		return;
	}
	odk_note(r, it, ODK_NOTE_LOST, "not an OpenDKIM setting (OpenDKIM "
		 "would refuse the file)");
}

/* odk_rest - notes for overridden lines and for every other setting */
static void
odk_rest(struct odk_run *r)
{
	size_t i;

	for (i = 0; i < r->cf.count; i++) {
		const struct odk_item *it = &r->cf.items[i];
		const struct odk_item *last = odk_conf_last(&r->cf, it->name);

		if (it != last)
			odk_note(r, it, ODK_NOTE_UNNEEDED, "overridden by %s "
				 "(the last one counts)", last->where);
		else if (!odk_used(r, it->name))
			odk_other(r, it);
	}
	for (i = 0; i < r->cf.nproblems; i++)
		odk_note_at(r, "", "", ODK_NOTE_LOST, "%s", r->cf.problems[i]);
	if (r->basedir != NULL)
		odk_note_at(r, "", "BaseDirectory", r->basedir_used
			    ? ODK_NOTE_CHANGED : ODK_NOTE_UNNEEDED, "%s",
			    r->basedir_used ? "the relative paths are made "
			    "absolute with it" : "no relative path to resolve");
}

/* --- the result ------------------------------------------------------- */

/* odk_note_kind_name - how a note kind reads */
const char *
odk_note_kind_name(enum odk_note_kind k)
{
	switch (k) {
	case ODK_NOTE_CHANGED:
		return "changed";
	case ODK_NOTE_UNNEEDED:
		return "not needed";
	case ODK_NOTE_VERIFY:
		return "verification only";
	case ODK_NOTE_LOST:
		return "not carried over";
	}
	return "?";
}

/* odk_put_comment - text as "# " lines of at most 76 columns, the first
 * after lead, the rest indented */
static void
odk_put_comment(struct strbuf *sb, const char *lead, const char *text)
{
	(void)strbuf_append_str(sb, lead);
	odk_fill(sb, text, strlen(lead), false, "\n#       ", 9);
}

/* odk_write - header, settings, the signing-only block, the notes */
static void
odk_write(struct odk_run *r, const char *file)
{
	struct strbuf *o = &r->m->conf;
	char *f = odk_clean(file, 200);
	size_t i;

	(void)strbuf_printf(o, "# relayguard.conf written by \"relayguardctl "
			    "migrate opendkim\" from\n# %s.  It signs what "
			    "OpenDKIM signed, with the same keys and\n# "
			    "tables.  The notes at the end say what became "
			    "of the other\n# settings.  Check it with "
			    "\"relayguard -n -c FILE\".\n", f);
	free(f);
	(void)strbuf_append(o, r->body.data != NULL ? r->body.data : "",
			    r->body.len);
	(void)strbuf_append_str(o,
		"\n# Signing only, as OpenDKIM did: relayguard's own checks "
		"are off, so\n# nothing OpenDKIM let through is refused.  Turn "
		"them on when ready\n# (relayguard.conf(5)).  Note: relayguard "
		"signs a SASL login's mail only\n# for addresses the login "
		"owns (a login that is an address owns itself;\n# list the "
		"others in sender_login_map), where OpenDKIM signed the mail\n"
		"# of every authenticated client.\n"
		"sender_login_check = no\n"
		"own_domain_action = accept\n"
		"spf_check = no\n");
	if (r->m->nnotes == 0)
		return;
	(void)strbuf_append_str(o, "\n# What became of the other OpenDKIM "
				"settings:\n");
	for (i = 0; i < r->m->nnotes; i++) {
		const struct odk_note *n = &r->m->notes[i];
		char lead[700];

		(void)str_format(lead, sizeof(lead), "#   %s%s%s%s%s:",
				 n->where, n->where[0] ? ": " : "", n->setting,
				 n->setting[0] ? ": " : "",
				 odk_note_kind_name(n->kind));
		odk_put_comment(o, lead, n->text);
	}
}

/* odk_note_line - the line number in "FILE:LINE" (0 when none) */
static unsigned long
odk_note_line(const char *where, size_t *flen)
{
	const char *c = strrchr(where, ':');

	*flen = c != NULL ? (size_t)(c - where) : strlen(where);
	return c != NULL ? strtoul(c + 1, NULL, 10) : 0;
}

/* odk_note_cmp - notes without a place first, then by file and line */
static int
odk_note_cmp(const void *pa, const void *pb)
{
	const struct odk_note *a = pa;
	const struct odk_note *b = pb;
	size_t la;
	size_t lb;
	unsigned long na = odk_note_line(a->where, &la);
	unsigned long nb = odk_note_line(b->where, &lb);
	int c;

	if ((a->where[0] == '\0') != (b->where[0] == '\0'))
		return a->where[0] == '\0' ? -1 : 1;
	c = strncmp(a->where, b->where, la < lb ? la : lb);
	if (c != 0 || la != lb)
		return c != 0 ? c : la < lb ? -1 : 1;
	return na < nb ? -1 : na > nb;
}

/* odk_migrate - the relayguard.conf for OpenDKIM configuration text
 * (file: its name, for notes and Include); 0, or -1 when nothing could
 * be read (a note says why) */
int
odk_migrate(const char *text, size_t len, const char *file,
	    const struct odk_env *env, struct odk_migration *m)
{
	struct odk_run r;
	const struct odk_item *bd;
	size_t i;

	memset(m, 0, sizeof(*m));
	memset(&r, 0, sizeof(r));
	strbuf_init(&m->conf, ODK_CONF_MAX);
	strbuf_init(&r.body, ODK_CONF_MAX);
	r.env = env;
	r.m = m;
	odk_conf_init(&r.cf);
	bd = NULL;
	(void)odk_conf_parse(&r.cf, text, len, file, odk_read, &r);
	bd = odk_get(&r, "BaseDirectory");
	r.basedir = bd != NULL && bd->value[0] == '/' ? bd->value : NULL;
	odk_user(&r);
	odk_socket(&r);
	odk_logging(&r);
	odk_hosts(&r);
	odk_tables(&r);
	odk_canon(&r);
	odk_headers(&r);
	odk_yesno(&r, "MultipleSignatures", "multiple_signatures", "no",
		  "# OpenDKIM's default: only the first SigningTable match "
		  "signs");
	odk_yesno(&r, "RequireSafeKeys", "require_safe_keys", NULL, NULL);
	odk_sign_error(&r);
	odk_misc(&r);
	odk_rest(&r);
	if (m->nnotes > 1)
		qsort(m->notes, m->nnotes, sizeof(*m->notes), odk_note_cmp);
	odk_write(&r, file);
	strbuf_free(&r.body);
	for (i = 0; i < r.nused; i++)
		free(r.used[i]);
	free(r.used);
	odk_conf_free(&r.cf);
	return 0;
}

/* odk_migration_free - release a result */
void
odk_migration_free(struct odk_migration *m)
{
	size_t i;

	for (i = 0; i < m->nnotes; i++) {
		free(m->notes[i].where);
		free(m->notes[i].setting);
		free(m->notes[i].text);
	}
	free(m->notes);
	strbuf_free(&m->conf);
	memset(m, 0, sizeof(*m));
}
