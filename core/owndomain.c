/* SPDX-License-Identifier: BSD-2-Clause */
#include "owndomain.h"

#include <string.h>
#include <strings.h>

#include "str.h"

/* owndomain_same - domain names equal without case and trailing dot */
static bool
owndomain_same(const char *a, const char *b)
{
	size_t la = strlen(a);
	size_t lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && la > 0 && strncasecmp(a, b, la) == 0;
}

/* owndomain_is_ours - does address a belong to one of our domains? */
bool
owndomain_is_ours(const struct conf *c, const struct keytable *kt,
		  const struct addr *a)
{
	struct keytable_req req;
	size_t i;

	if (a->domain[0] == '\0')
		return false;
	if (c->own_domains.count > 0) {
		for (i = 0; i < c->own_domains.count; i++)
			if (owndomain_same(c->own_domains.items[i], a->domain))
				return true;
		return false;
	}
	return kt != NULL && keytable_lookup(kt, a, false, &req, 1) > 0;
}

/* owndomain_split - MAIL FROM text into a struct addr (last '@');
 * false for <> or an address without a domain */
static bool
owndomain_split(const char *mailfrom, struct addr *a)
{
	const char *at = strrchr(mailfrom, '@');

	memset(a, 0, sizeof(*a));
	if (at == NULL || at[1] == '\0')
		return false;
	if (str_copyn(a->local, sizeof(a->local), mailfrom,
		      (size_t)(at - mailfrom)) < 0 ||
	    str_copy(a->domain, sizeof(a->domain), at + 1) < 0)
		return false;
	str_lower(a->domain);
	return true;
}

/* owndomain_verdict - true (and v set) when the envelope sender or the
 * header From claims one of our domains and the action is not accept */
bool
owndomain_verdict(const struct conf *c, const struct keytable *kt,
		  const char *mailfrom, const struct addr *from,
		  struct verdict *v)
{
	struct addr env;
	const struct addr *hit = NULL;
	const char *where = NULL;

	if (mailfrom != NULL && owndomain_split(mailfrom, &env) &&
	    owndomain_is_ours(c, kt, &env)) {
		hit = &env;
		where = "MAIL FROM";
	} else if (from != NULL && owndomain_is_ours(c, kt, from)) {
		hit = from;
		where = "From";
	}
	if (hit == NULL || c->own_domain_action == CONF_ACTION_ACCEPT)
		return false;
	verdict_init(v);
	if (c->own_domain_action == CONF_ACTION_TEMPFAIL)
		verdict_set(v, VERDICT_TEMPFAIL, "451", "4.7.1", "own-domain",
			    "%s address <%s@%s> is in one of our domains: "
			    "authenticate to send as it", where, hit->local,
			    hit->domain);
	else
		verdict_set(v, VERDICT_REJECT, "550", "5.7.1", "own-domain",
			    "%s address <%s@%s> is in one of our domains: "
			    "authenticate to send as it", where, hit->local,
			    hit->domain);
	return true;
}
