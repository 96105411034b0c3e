/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dkim - "relayguardctl dkim keygen" and "relayguardctl dkim check".
 *
 * keygen makes an RSA (1024-8192 bits, default 2048) or Ed25519 key with
 * OpenSSL's EVP API, writes it as PKCS#8 PEM to a new file of mode 0600
 * (an existing file is kept unless --force), and prints the TXT record to
 * publish at SELECTOR._domainkey.DOMAIN in zone-file form, cut into
 * strings of at most 255 bytes (RFC 1035 3.3.14), plus the KeyTable line.
 * Run as root, it gives the key (and a key directory it creates, mode
 * 0700) to the configuration's "user" and that user's group, or to
 * --owner USER: the daemon reads keys again as that user on every reload.
 *
 * check loads the configuration with its key table (the same checks as
 * relayguard -n), fetches each key's TXT record with res_nquery (the
 * system resolver, or -S NAMESERVER), and reports per key: ok, mismatch,
 * revoked, missing, malformed, dnserror (temporary), or skipped (a "%"
 * domain names no record).
 */
#include "ctl.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <pwd.h>

#include "addr.h"
#include "conf.h"
#include "generation.h"
#include "dkimrec.h"
#include "keytable.h"
#include "str.h"
#include "xalloc.h"

#define DKIM_TXT_STRING_MAX 255	/* RFC 1035 character-string */
#define DKIM_ANSWER_MAX 65536

/* --- keygen -------------------------------------------------------------- */

/* dkim_selector_ok - a selector is a dot-separated run of DNS labels
 * (RFC 6376 3.1: sub-domain) */
static bool
dkim_selector_ok(const char *s)
{
	size_t label = 0;

	if (*s == '\0' || strlen(s) > 63)
		return false;
	for (; *s; s++) {
		if (*s == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') ||
		      (*s == '-' && label > 0)))
			return false;
		label++;
	}
	return label > 0 && s[-1] != '-';
}

/* dkim_generate - a new key of the algorithm ("rsa" or "ed25519") */
static EVP_PKEY *
dkim_generate(const char *alg, unsigned long bits)
{
	bool ed = strcmp(alg, "ed25519") == 0;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(ed ? EVP_PKEY_ED25519
						   : EVP_PKEY_RSA, NULL);
	EVP_PKEY *k = NULL;

	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1 ||
	    (!ed && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) != 1) ||
	    EVP_PKEY_keygen(ctx, &k) != 1)
		k = NULL;
	EVP_PKEY_CTX_free(ctx);
	return k;
}

/* The owner of new keys: uid -1 leaves them to whoever runs keygen. */
struct dkim_owner {
	uid_t uid;
	gid_t gid;
	char name[128];		/* "user:group" */
};

/* dkim_write_key - PKCS#8 PEM into a new 0600 file of the owner; CTL_* */
static int
dkim_write_key(EVP_PKEY *k, const char *path, bool force,
	       const struct dkim_owner *own)
{
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
		    (force ? O_TRUNC : O_EXCL);
	FILE *fp;
	int fd;
	int ok;

	fd = open(path, flags, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			ctl_error("%s: exists; not overwritten (--force "
				  "replaces it)", path);
		else
			ctl_error("%s: %s", path, strerror(errno));
		return CTL_ERROR;
	}
	/* an existing file replaced with --force may have had another mode
	 * or owner; the owner is set before the key is written */
	if ((own->uid != (uid_t)-1 && fchown(fd, own->uid, own->gid) < 0) ||
	    fchmod(fd, 0600) < 0 || (fp = fdopen(fd, "w")) == NULL) {
		ctl_error("%s: %s", path, strerror(errno));
		(void)close(fd);
		return CTL_ERROR;
	}
	ok = PEM_write_PrivateKey(fp, k, NULL, NULL, 0, NULL, NULL);
	if (fclose(fp) != 0 || ok != 1) {
		ctl_error("%s: cannot write the key", path);
		(void)unlink(path);
		return CTL_ERROR;
	}
	return CTL_OK;
}

/* dkim_zone_strings - the record as "..." "..." strings of at most 255
 * bytes; the record holds no '"' or '\' (base64 and tags only) */
static void
dkim_zone_strings(const char *txt, struct strbuf *out, bool json)
{
	size_t len = strlen(txt);
	size_t at;

	for (at = 0; at < len; at += DKIM_TXT_STRING_MAX) {
		size_t n = len - at < DKIM_TXT_STRING_MAX ? len - at
							  : DKIM_TXT_STRING_MAX;
		char part[DKIM_TXT_STRING_MAX + 1];

		memcpy(part, txt + at, n);
		part[n] = '\0';
		if (json) {
			ctl_json_str(out, NULL, part);
		} else {
			(void)strbuf_printf(out, "%s\"", at ? " " : "");
			(void)strbuf_append(out, part, n);
			(void)strbuf_append(out, "\"", 1);
		}
	}
}

/* dkim_keygen_opts - parsed options of dkim keygen */
struct dkim_keygen_opts {
	const char *domain;
	const char *selector;
	const char *alg;
	unsigned long bits;
	const char *out;
	const char *dir;
	const char *owner;	/* --owner USER */
	bool force;
};

/* dkim_keygen_args - options into o; CTL_OK or CTL_USAGE */
static int
dkim_keygen_args(int argc, char **argv, struct dkim_keygen_opts *o)
{
	static const struct option lo[] = {
		{"domain", required_argument, NULL, 'd'},
		{"selector", required_argument, NULL, 's'},
		{"algorithm", required_argument, NULL, 'a'},
		{"bits", required_argument, NULL, 'b'},
		{"output", required_argument, NULL, 'o'},
		{"directory", required_argument, NULL, 'D'},
		{"force", no_argument, NULL, 'f'},
		{"owner", required_argument, NULL, 'u'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	o->alg = "rsa";
	o->bits = 2048;
	o->dir = ".";
	while ((ch = getopt_long(argc, argv, "d:s:a:b:o:D:fu:", lo, NULL)) !=
	       -1) {
		switch (ch) {
		case 'd':
			o->domain = optarg;
			break;
		case 's':
			o->selector = optarg;
			break;
		case 'a':
			o->alg = optarg;
			break;
		case 'b':
			if (str_to_ulong(optarg, 10, 8192, &o->bits) < 0 ||
			    o->bits < 1024) {
				ctl_error("dkim keygen: -b %s: RSA bits must be "
					  "from 1024 to 8192", optarg);
				return CTL_USAGE;
			}
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'D':
			o->dir = optarg;
			break;
		case 'f':
			o->force = true;
			break;
		case 'u':
			o->owner = optarg;
			break;
		default:
			return CTL_USAGE;
		}
	}
	if (optind != argc || o->domain == NULL || o->selector == NULL) {
		ctl_error("dkim keygen: -d DOMAIN and -s SELECTOR are needed "
			  "(example: dkim keygen -d example.com -s rsa2026)");
		return CTL_USAGE;
	}
	if (strcmp(o->alg, "rsa") != 0 && strcmp(o->alg, "ed25519") != 0) {
		ctl_error("dkim keygen: -a %s: use rsa or ed25519", o->alg);
		return CTL_USAGE;
	}
	if (!addr_domain_is_valid(o->domain)) {
		ctl_error("dkim keygen: -d %s: not a domain name", o->domain);
		return CTL_USAGE;
	}
	if (!dkim_selector_ok(o->selector)) {
		ctl_error("dkim keygen: -s %s: a selector is letters, digits, "
			  "'-' and dots (example: rsa2026)", o->selector);
		return CTL_USAGE;
	}
	return CTL_OK;
}

/* dkim_owner_of - the owner of new keys: --owner, or as root the
 * configuration's "user" (none set: root); not root: the caller.  The
 * user's primary group goes with it.  CTL_* */
static int
dkim_owner_of(const struct ctl *c, const struct dkim_keygen_opts *o,
	      struct dkim_owner *own)
{
	char user[64];
	const struct passwd *pw;
	const struct group *gr;
	struct conf *cf;
	struct err e;

	own->uid = (uid_t)-1;
	own->gid = (gid_t)-1;
	(void)str_copy(own->name, sizeof(own->name), "");
	if (o->owner != NULL) {
		if (str_copy(user, sizeof(user), o->owner) < 0)
			user[0] = '\0';
	} else if (geteuid() != 0) {
		return CTL_OK;
	} else if (conf_load(c->conf_path, &cf, &e) == 0) {
		if (str_copy(user, sizeof(user), cf->user) < 0)
			user[0] = '\0';
		conf_free(cf);
	} else if (access(c->conf_path, F_OK) < 0 && errno == ENOENT) {
		user[0] = '\0';	/* no configuration: no user to give
					 * them to */
	} else {
		ctl_error("%s", e.text);
		return CTL_CONFIG;
	}
	if (user[0] == '\0')
		(void)str_copy(user, sizeof(user), "root");
	pw = getpwnam(user);
	if (pw == NULL) {
		ctl_error("dkim keygen: %s: no such user (%s)", user,
			  o->owner != NULL ? "--owner" : c->conf_path);
		return o->owner != NULL ? CTL_USAGE : CTL_CONFIG;
	}
	if (geteuid() != 0 && pw->pw_uid != geteuid()) {
		ctl_error("dkim keygen: --owner %s: only root can give keys "
			  "to another user", user);
		return CTL_USAGE;
	}
	own->uid = pw->pw_uid;
	own->gid = pw->pw_gid;
	gr = getgrgid(pw->pw_gid);
	if (gr != NULL)
		(void)str_format(own->name, sizeof(own->name), "%s:%s", user,
				 gr->gr_name);
	else
		(void)str_format(own->name, sizeof(own->name), "%s:%lu", user,
				 (unsigned long)pw->pw_gid);
	return CTL_OK;
}

/* dkim_key_dir - make the key directory -D names when it is missing:
 * mode 0700, owned by the keys' owner; CTL_* */
static int
dkim_key_dir(const char *dir, const struct dkim_owner *own)
{
	struct stat st;

	if (stat(dir, &st) == 0)
		return CTL_OK;
	if (errno != ENOENT || mkdir(dir, 0700) < 0) {
		ctl_error("dkim keygen: %s: %s", dir, strerror(errno));
		return CTL_ERROR;
	}
	if (own->uid != (uid_t)-1 && chown(dir, own->uid, own->gid) < 0) {
		ctl_error("dkim keygen: %s: chown: %s", dir, strerror(errno));
		return CTL_ERROR;
	}
	return CTL_OK;
}

/* dkim_keygen_print - the result, as a table of facts or as JSON */
static void
dkim_keygen_print(struct ctl *c, const struct dkim_keygen_opts *o,
		  EVP_PKEY *k, const char *path, const char *txt,
		  const struct dkim_owner *own)
{
	char name[512];
	char abs[PATH_MAX];
	struct strbuf sb;
	unsigned bits = (unsigned)EVP_PKEY_get_bits(k);

	(void)snprintf(name, sizeof(name), "%s._domainkey.%s", o->selector,
		       o->domain);
	if (realpath(path, abs) == NULL)
		(void)str_copy(abs, sizeof(abs), path);
	strbuf_init(&sb, 1 << 20);
	if (c->json) {
		(void)strbuf_append(&sb, "{", 1);
		ctl_json_str(&sb, "domain", o->domain);
		ctl_json_str(&sb, "selector", o->selector);
		ctl_json_str(&sb, "algorithm", o->alg);
		ctl_json_num(&sb, "bits", bits);
		ctl_json_str(&sb, "key_file", abs);
		ctl_json_str(&sb, "owner", own->name);
		ctl_json_str(&sb, "name", name);
		ctl_json_str(&sb, "txt", txt);
		ctl_json_raw(&sb, "txt_strings", "[");
		dkim_zone_strings(txt, &sb, true);
		(void)strbuf_append_str(&sb, "]}");
		ctl_json_print(c, &sb);
	} else {
		fprintf(c->out, "private key: %s (%s, %u bits, mode 0600%s%s)"
			"\n", abs, o->alg, bits,
			own->name[0] != '\0' ? ", owner " : "", own->name);
		fprintf(c->out, "publish this TXT record (zone file syntax):\n"
				"%s. IN TXT ( ", name);
		dkim_zone_strings(txt, &sb, false);
		fprintf(c->out, "%s )\n", sb.data);
		fprintf(c->out, "KeyTable line:\n%s %s:%s:%s\n", name,
			o->domain, o->selector, abs);
	}
	strbuf_free(&sb);
}

/* dkim_keygen - the keygen command */
static int
dkim_keygen(struct ctl *c, int argc, char **argv)
{
	struct dkim_keygen_opts o;
	struct dkim_owner own;
	char path[PATH_MAX];
	struct strbuf txt;
	struct err e;
	EVP_PKEY *k;
	int rc;

	memset(&o, 0, sizeof(o));
	rc = dkim_keygen_args(argc, argv, &o);
	if (rc != CTL_OK)
		return rc;
	if (o.out != NULL)
		rc = str_copy(path, sizeof(path), o.out);
	else
		rc = str_format(path, sizeof(path), "%s/%s.private", o.dir,
				o.selector);
	if (rc < 0) {
		ctl_error("dkim keygen: output path too long");
		return CTL_USAGE;
	}
	rc = dkim_owner_of(c, &o, &own);
	if (rc == CTL_OK && o.out == NULL)
		rc = dkim_key_dir(o.dir, &own);
	if (rc != CTL_OK)
		return rc;
	k = dkim_generate(o.alg, o.bits);
	if (k == NULL) {
		ctl_error("dkim keygen: OpenSSL could not make a key");
		return CTL_ERROR;
	}
	strbuf_init(&txt, 1 << 16);
	if (dkimrec_build(k, &txt, &e) < 0) {
		ctl_error("dkim keygen: %s", e.text);
		rc = CTL_ERROR;
	} else {
		rc = dkim_write_key(k, path, o.force, &own);
	}
	if (rc == CTL_OK)
		dkim_keygen_print(c, &o, k, path, txt.data, &own);
	strbuf_free(&txt);
	EVP_PKEY_free(k);
	return rc;
}

/* --- check --------------------------------------------------------------- */

enum dkim_status {
	DKIM_OK,
	DKIM_MISMATCH,
	DKIM_REVOKED,
	DKIM_MISSING,
	DKIM_MALFORMED,
	DKIM_DNSERROR,
	DKIM_SKIPPED,
};

static const char *const dkim_status_name[] = {
	"ok", "mismatch", "revoked", "missing", "malformed", "dnserror",
	"skipped",
};

/* dkim_txt_fetch - the TXT records at name, joined per record; the
 * number of records, or -1 with *st DKIM_MISSING / DKIM_DNSERROR and a
 * reason in e */
static int
dkim_txt_fetch(res_state rs, const char *name, struct strbuf *first,
	       enum dkim_status *st, struct err *e)
{
	unsigned char *ans = xmalloc(DKIM_ANSWER_MAX);
	int n = res_nquery(rs, name, ns_c_in, ns_t_txt, ans,
			   DKIM_ANSWER_MAX);
	ns_msg msg;
	int count = 0;
	int i;

	if (n < 0) {
		switch (rs->res_h_errno) {
		case HOST_NOT_FOUND:
			*st = DKIM_MISSING;
			err_set(e, "no such name (NXDOMAIN)");
			break;
		case NO_DATA:
			*st = DKIM_MISSING;
			err_set(e, "the name has no TXT record");
			break;
		case TRY_AGAIN:
			*st = DKIM_DNSERROR;
			err_set(e, "no answer from DNS (timeout or SERVFAIL): "
				   "try again later");
			break;
		default:
			*st = DKIM_DNSERROR;
			err_set(e, "DNS lookup failed: %s",
				hstrerror(rs->res_h_errno));
			break;
		}
		free(ans);
		return -1;
	}
	if (ns_initparse(ans, n, &msg) < 0) {
		*st = DKIM_DNSERROR;
		err_set(e, "DNS answer does not parse");
		free(ans);
		return -1;
	}
	for (i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
		const unsigned char *rd;
		const unsigned char *end;
		ns_rr rr;

		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0 ||
		    ns_rr_type(rr) != ns_t_txt)
			continue;
		if (++count > 1)
			continue;
		/* rdata: one or more <length><bytes> character-strings,
		 * joined without anything between (RFC 6376 3.6.2.2) */
		rd = ns_rr_rdata(rr);
		end = rd + ns_rr_rdlen(rr);
		while (rd < end) {
			size_t len = *rd++;

			if (len > (size_t)(end - rd)) {
				*st = DKIM_MALFORMED;
				err_set(e, "TXT string runs past the record");
				free(ans);
				return -1;
			}
			(void)strbuf_append(first, rd, len);
			rd += len;
		}
	}
	free(ans);
	if (count == 0) {
		*st = DKIM_MISSING;
		err_set(e, "the name has no TXT record");
		return -1;
	}
	return count;
}

/* dkim_check_key - the status of one key against DNS */
static enum dkim_status
dkim_check_key(res_state rs, const struct keytable_key *k, char *name,
	       size_t namesize, struct err *e)
{
	enum dkim_status st = DKIM_OK;
	struct strbuf txt;
	struct dkimrec rec;
	int n;
	int m;

	err_clear(e);
	if (strcmp(k->domain, "%") == 0) {
		(void)str_format(name, namesize, "%s._domainkey.%%",
				 k->selector);
		err_set(e, "domain %% is the From domain: check each one "
			   "with dig");
		return DKIM_SKIPPED;
	}
	if (str_format(name, namesize, "%s._domainkey.%s", k->selector,
		       k->domain) < 0) {
		err_set(e, "name too long");
		return DKIM_MALFORMED;
	}
	strbuf_init(&txt, DKIMREC_TXT_MAX + 1);
	n = dkim_txt_fetch(rs, name, &txt, &st, e);
	if (n < 0)
		goto out;
	if (n > 1) {
		st = DKIM_MALFORMED;
		err_set(e, "%d TXT records (verifiers may use any one)", n);
		goto out;
	}
	if (dkimrec_parse(txt.data != NULL ? txt.data : "", txt.len, &rec,
			  e) < 0) {
		st = DKIM_MALFORMED;
		goto out;
	}
	m = dkimrec_matches(&rec, k->pkey, e);
	if (m == 1)
		err_set(e, "%s key matches", rec.k);
	st = m == 1 ? DKIM_OK
		    : m == 0 ? (rec.revoked ? DKIM_REVOKED : DKIM_MISMATCH)
			     : DKIM_MALFORMED;
	dkimrec_free(&rec);
out:
	strbuf_free(&txt);
	return st;
}

/* dkim_resolver - res_ninit, pointed at one IPv4 nameserver if given */
static int
dkim_resolver(res_state rs, const char *server)
{
	struct in_addr a;

	memset(rs, 0, sizeof(*rs));
	if (res_ninit(rs) < 0) {
		ctl_error("dkim check: cannot set up the resolver");
		return CTL_ERROR;
	}
	if (server == NULL)
		return CTL_OK;
	if (inet_pton(AF_INET, server, &a) != 1) {
		ctl_error("dkim check: -S %s: give an IPv4 address", server);
		res_nclose(rs);
		return CTL_USAGE;
	}
	rs->nscount = 1;
	rs->nsaddr_list[0].sin_family = AF_INET;
	rs->nsaddr_list[0].sin_addr = a;
	rs->nsaddr_list[0].sin_port = htons(NAMESERVER_PORT);
	return CTL_OK;
}

/* dkim_wanted - is key k named on the command line (or none named)? */
static bool
dkim_wanted(const struct keytable_key *k, int argc, char **argv)
{
	int i;

	if (argc == 0)
		return true;
	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], k->name) == 0)
			return true;
	return false;
}

/* dkim_check_print - one result row into the table or the JSON array */
static void
dkim_check_print(struct ctl *c, struct ctl_table *t, struct strbuf *js,
		 const struct keytable_key *k, const char *name,
		 enum dkim_status st, const char *detail)
{
	const char *alg = keytable_alg_name(k->alg);

	if (c->json) {
		ctl_json_raw(js, NULL, "{");
		ctl_json_str(js, "key", k->name);
		ctl_json_str(js, "domain", k->domain);
		ctl_json_str(js, "selector", k->selector);
		ctl_json_str(js, "algorithm", alg);
		ctl_json_str(js, "record", name);
		ctl_json_str(js, "status", dkim_status_name[st]);
		ctl_json_str(js, "detail", detail);
		(void)strbuf_append(js, "}", 1);
	} else {
		const char *row[5] = {k->name, name, alg,
				      dkim_status_name[st], detail};

		ctl_table_add(t, row);
	}
}

/* dkim_check - the check command */
static int
dkim_check(struct ctl *c, int argc, char **argv)
{
	static const char *const heads[] = {"KEY", "RECORD", "ALG", "STATUS",
					    "DETAIL"};
	struct __res_state rs;
	struct generation *cfg = NULL;
	const char *server = NULL;
	struct ctl_table t;
	struct strbuf js;
	struct err e;
	size_t i;
	size_t found = 0;
	bool bad = false;
	bool unsure = false;
	int ch;
	int rc;

	while ((ch = getopt(argc, argv, "S:")) != -1) {
		if (ch != 'S')
			return CTL_USAGE;
		server = optarg;
	}
	if (generation_load(c->conf_path, &cfg, &e) < 0) {
		ctl_error("%s", e.text);
		return CTL_CONFIG;
	}
	if (cfg->keys == NULL) {
		ctl_error("dkim check: %s sets no key_table", c->conf_path);
		generation_unref(cfg);
		return CTL_CONFIG;
	}
	rc = dkim_resolver(&rs, server);
	if (rc != CTL_OK) {
		generation_unref(cfg);
		return rc;
	}
	ctl_table_init(&t, 5, heads);
	strbuf_init(&js, 1 << 24);
	(void)strbuf_append(&js, "[", 1);
	for (i = 0; i < keytable_key_count(cfg->keys); i++) {
		const struct keytable_key *k = keytable_key_at(cfg->keys, i);
		char name[600];
		enum dkim_status st;

		if (!dkim_wanted(k, argc - optind, argv + optind))
			continue;
		found++;
		st = dkim_check_key(&rs, k, name, sizeof(name), &e);
		bad |= st != DKIM_OK && st != DKIM_SKIPPED &&
		       st != DKIM_DNSERROR;
		unsure |= st == DKIM_DNSERROR;
		dkim_check_print(c, &t, &js, k, name, st, e.text);
	}
	(void)strbuf_append(&js, "]", 1);
	if (c->json)
		ctl_json_print(c, &js);
	else
		ctl_table_print(&t, c->out);
	ctl_table_free(&t);
	strbuf_free(&js);
	res_nclose(&rs);
	generation_unref(cfg);
	if (found == 0) {
		ctl_error("dkim check: no such key in the KeyTable");
		return CTL_NEGATIVE;
	}
	/* a definite problem outranks "could not tell" */
	return bad ? CTL_NEGATIVE : unsure ? CTL_UNAVAILABLE : CTL_OK;
}

/* ctl_dkim - "dkim keygen ..." or "dkim check ..." */
int
ctl_dkim(struct ctl *c, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "keygen") == 0) {
		optind = 0;
		return dkim_keygen(c, argc - 1, argv + 1);
	}
	if (argc >= 2 && strcmp(argv[1], "check") == 0) {
		optind = 0;
		return dkim_check(c, argc - 1, argv + 1);
	}
	ctl_error("dkim: keygen or check? (relayguardctl -h)");
	return CTL_USAGE;
}
