/* SPDX-License-Identifier: BSD-2-Clause */
#include "cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "str.h"
#include "xalloc.h"

/* cidr_list_init - empty list */
void
cidr_list_init(struct cidr_list *l)
{
	l->items = NULL;
	l->count = 0;
}

/* cidr_list_free - release the list */
void
cidr_list_free(struct cidr_list *l)
{
	free(l->items);
	cidr_list_init(l);
}

/* cidr_host_bits_clear - are all bits after prefix zero? */
static bool
cidr_host_bits_clear(const unsigned char *a, unsigned int prefix,
		     unsigned int bits)
{
	unsigned int i;

	for (i = prefix; i < bits; i++)
		if (a[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

/* cidr_list_add - parse one network and append it */
int
cidr_list_add(struct cidr_list *l, const char *text, struct err *e)
{
	char buf[INET6_ADDRSTRLEN + 8];
	struct cidr c;
	char *slash;
	unsigned int bits;
	unsigned long prefix;

	memset(&c, 0, sizeof(c));
	if (str_copy(buf, sizeof(buf), text) < 0) {
		err_set(e, "\"%.60s\" is too long for a network", text);
		return -1;
	}
	/* Postfix writes IPv6 networks as [2001:db8::]/32; accept that too. */
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (close == NULL) {
			err_set(e, "\"%s\": missing ']'", text);
			return -1;
		}
		memmove(close, close + 1, strlen(close + 1) + 1);
		memmove(buf, buf + 1, strlen(buf + 1) + 1);
	}
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, c.addr) == 1) {
		c.family = AF_INET;
		bits = 32;
	} else if (inet_pton(AF_INET6, buf, c.addr) == 1) {
		c.family = AF_INET6;
		bits = 128;
	} else {
		err_set(e, "\"%s\" is not an IP address or network "
			   "(examples: 192.0.2.0/24, 2001:db8::/32, ::1)",
			text);
		return -1;
	}
	prefix = bits;
	if (slash != NULL && str_to_ulong(slash, 10, bits, &prefix) < 0) {
		err_set(e, "\"%s\": prefix length must be 0-%u", text, bits);
		return -1;
	}
	c.prefix = (unsigned int)prefix;
	if (!cidr_host_bits_clear(c.addr, c.prefix, bits)) {
		err_set(e, "\"%s\" has host bits set below /%u", text,
			c.prefix);
		return -1;
	}
	l->items = xreallocarray(l->items, l->count + 1, sizeof(*l->items));
	l->items[l->count++] = c;
	return 0;
}

/* cidr_prefix_match - do the first prefix bits of a and b agree? */
static bool
cidr_prefix_match(const unsigned char *a, const unsigned char *b,
		  unsigned int prefix)
{
	unsigned int full = prefix / 8;
	unsigned int rest = prefix % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[full] ^ b[full]) & (0xff00 >> rest)) == 0;
}

/* cidr_list_match_raw - family + raw address against the list */
static bool
cidr_list_match_raw(const struct cidr_list *l, int family,
		    const unsigned char *addr)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0,
						 0, 0, 0, 0, 0xff, 0xff};
	size_t i;

	if (family == AF_INET6 && memcmp(addr, mapped, 12) == 0) {
		family = AF_INET;
		addr += 12;
	}
	for (i = 0; i < l->count; i++)
		if (l->items[i].family == family &&
		    cidr_prefix_match(l->items[i].addr, addr,
				      l->items[i].prefix))
			return true;
	return false;
}

/* cidr_list_match_sa - is the socket address inside any listed network? */
bool
cidr_list_match_sa(const struct cidr_list *l, const struct sockaddr *sa)
{
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		return cidr_list_match_raw(
			l, AF_INET, (const unsigned char *)&in->sin_addr);
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
			(const struct sockaddr_in6 *)sa;

		return cidr_list_match_raw(
			l, AF_INET6, (const unsigned char *)&in6->sin6_addr);
	}
	return false;
}

/* cidr_list_match_text - the same for an address in text form */
bool
cidr_list_match_text(const struct cidr_list *l, const char *addr)
{
	unsigned char raw[16];

	if (inet_pton(AF_INET, addr, raw) == 1)
		return cidr_list_match_raw(l, AF_INET, raw);
	if (inet_pton(AF_INET6, addr, raw) == 1)
		return cidr_list_match_raw(l, AF_INET6, raw);
	return false;
}
