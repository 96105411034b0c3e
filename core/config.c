/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

static atomic_uint config_generations;

/* config_user - look up the run-time user, if one is set */
static int
config_user(struct config *cfg, struct err *e)
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

/* config_load - build a complete generation from a file */
int
config_load(const char *path, struct config **out, struct err *e)
{
	return config_load_flags(path, 0, out, e);
}

/* config_load_flags - the same, leaving out what flags say */
int
config_load_flags(const char *path, unsigned flags, struct config **out,
		  struct err *e)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	struct keytable_opts ko;

	atomic_init(&cfg->refs, 1);
	if (conf_load(path, &cfg->conf, e) < 0 || config_user(cfg, e) < 0)
		goto fail;
	if ((cfg->conf->key_table[0] == '\0') !=
	    (cfg->conf->signing_table[0] == '\0')) {
		err_set(e, "%s: key_table and signing_table go together: set "
			   "both (example: key_table = file:/etc/relayguard/"
			   "KeyTable) or neither", path);
		goto fail;
	}
	if (flags & CONFIG_NO_SIGNING)
		goto done;
	if (cfg->conf->key_table[0] != '\0') {
		ko.require_safe = cfg->conf->require_safe_keys;
		ko.owner_uid = cfg->user_uid;
		ko.min_bits = (unsigned)cfg->conf->min_key_bits;
		if (keytable_load(cfg->conf->key_table,
				  cfg->conf->signing_table, &ko, &cfg->keys,
				  e) < 0)
			goto fail;
	}
	cfg->dkim = dkimsign_lib_new(cfg->conf, e);
	if (cfg->dkim == NULL)
		goto fail;
done:
	cfg->generation = atomic_fetch_add(&config_generations, 1) + 1;
	*out = cfg;
	return 0;
fail:
	config_unref(cfg);
	return -1;
}

/* config_ref - one more user of this generation */
struct config *
config_ref(struct config *c)
{
	atomic_fetch_add(&c->refs, 1);
	return c;
}

/* config_unref - one user less; the last one frees it */
void
config_unref(struct config *c)
{
	if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	dkimsign_lib_free(c->dkim);
	keytable_free(c->keys);
	conf_free(c->conf);
	free(c);
}
