/* SPDX-License-Identifier: BSD-2-Clause */
#include "generation.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

static atomic_uint generation_generations;

/* generation_user - look up the run-time user, if one is set */
static int
generation_user(struct generation *cfg, struct err *e)
{
	struct passwd pw;
	struct passwd *res = NULL;
	char buf[4096];
	int rc;

	cfg->user_uid = (uid_t)-1;
	cfg->user_gid = (gid_t)-1;
	if (cfg->conf->user[0] == '\0')
		return 0;
	rc = getpwnam_r(cfg->conf->user, &pw, buf, sizeof(buf), &res);
	if (rc != 0 || res == NULL) {
		err_set(e, "%s: user: \"%s\": %s (example: user = relayguard)",
			cfg->conf->path, cfg->conf->user,
			rc != 0 ? strerror(rc) : "no such user");
		return -1;
	}
	cfg->user_uid = pw.pw_uid;
	cfg->user_gid = pw.pw_gid;
	return 0;
}

/* generation_group - the group a setting such as socket_group names;
 * empty: the run-time user's group ((gid_t)-1 without a user) */
int
generation_group(const struct generation *cfg, const char *key, gid_t *gid,
		 struct err *e)
{
	const char *name = conf_string(cfg->conf, key);
	struct group gr;
	struct group *res = NULL;
	char where[CONF_WHERE_MAX];
	char buf[4096];
	int rc;

	*gid = cfg->user_gid;
	if (name[0] == '\0')
		return 0;
	rc = getgrnam_r(name, &gr, buf, sizeof(buf), &res);
	if (rc == 0 && res != NULL) {
		*gid = gr.gr_gid;
		return 0;
	}
	conf_where(cfg->conf, key, where, sizeof(where));
	if (rc != 0 && rc != ENOENT && rc != ESRCH)
		err_set(e, "%s: group \"%s\": %s", where, name, strerror(rc));
	else
		err_set(e, "%s: no such group \"%s\"%s; set %s to the group "
			   "Postfix's smtpd runs as, or leave it empty "
			   "(\"%s =\") for the group of user", where, name,
			conf_line(cfg->conf, key) == 0 ? " (the default)" : "",
			key, key);
	return -1;
}

/* generation_owners - the sender login map and how to compare addresses */
static int
generation_owners(struct generation *cfg, struct err *e)
{
	const struct conf *c = cfg->conf;

	if (strlen(c->sender_login_delimiter) > 1) {
		err_set(e, "%s: sender_login_delimiter: \"%s\" is not one "
			   "character (example: +)", c->path,
			c->sender_login_delimiter);
		return -1;
	}
	cfg->owner_opts.self = c->sender_login_self;
	cfg->owner_opts.exact_local = c->sender_login_case_sensitive;
	cfg->owner_opts.delimiter = c->sender_login_delimiter[0];
	if (c->sender_login_map[0] == '\0')
		return 0;
	return owner_map_load(c->sender_login_map, &cfg->owners, e);
}

/* generation_load - build a complete generation from a file */
int
generation_load(const char *path, struct generation **out, struct err *e)
{
	return generation_load_flags(path, 0, out, e);
}

/* generation_load_flags - the same, leaving out what flags say */
int
generation_load_flags(const char *path, unsigned flags, struct generation **out,
		  struct err *e)
{
	struct generation *cfg = xcalloc(1, sizeof(*cfg));
	struct keytable_opts ko;

	atomic_init(&cfg->refs, 1);
	if (conf_load(path, &cfg->conf, e) < 0 || generation_user(cfg, e) < 0)
		goto fail;
	if ((cfg->conf->key_table[0] == '\0') !=
	    (cfg->conf->signing_table[0] == '\0')) {
		err_set(e, "%s: key_table and signing_table go together: set "
			   "both (example: key_table = file:/etc/relayguard/"
			   "KeyTable) or neither", path);
		goto fail;
	}
	/* the policy service signs nothing: no key is read (it may run
	 * where the keys are not readable at all) */
	if (!(flags & GENERATION_NO_SIGNING) && cfg->conf->key_table[0] != '\0') {
		ko.require_safe = cfg->conf->require_safe_keys;
		ko.owner_uid = cfg->user_uid;
		ko.min_bits = (unsigned)cfg->conf->min_key_bits;
		if (keytable_load(cfg->conf->key_table,
				  cfg->conf->signing_table, &ko, &cfg->keys,
				  e) < 0)
			goto fail;
	}
	if (generation_owners(cfg, e) < 0)
		goto fail;
	if (!(flags & GENERATION_NO_SIGNING)) {
		cfg->dkim = dkimsign_lib_new(cfg->conf, e);
		if (cfg->dkim == NULL)
			goto fail;
	}
	/* rate limits: the map is read now; Redis is connected on first use */
	if (cfg->conf->limits &&
	    limit_new(cfg->conf, NULL, &cfg->limits, e) < 0)
		goto fail;
	/* abuse control shares the limits' store and subjects */
	if (cfg->conf->abuse_control &&
	    abuse_new(cfg->conf, cfg->limits, NULL, &cfg->abuse, e) < 0)
		goto fail;
	cfg->generation = atomic_fetch_add(&generation_generations, 1) + 1;
	*out = cfg;
	return 0;
fail:
	generation_unref(cfg);
	return -1;
}

/* generation_ref - one more user of this generation */
struct generation *
generation_ref(struct generation *c)
{
	atomic_fetch_add(&c->refs, 1);
	return c;
}

/* generation_unref - one user less; the last one frees it */
void
generation_unref(struct generation *c)
{
	if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	abuse_free(c->abuse);		/* it borrows the limiter */
	limit_free(c->limits);
	dkimsign_lib_free(c->dkim);
	keytable_free(c->keys);
	owner_map_free(c->owners);
	conf_free(c->conf);
	free(c);
}
