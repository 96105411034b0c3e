/* SPDX-License-Identifier: BSD-2-Clause */
#include "limitmap.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "addr.h"
#include "cidr.h"
#include "str.h"
#include "xalloc.h"

#define MAP_LINE_MAX 8192
#define MAP_FILE_MAX (64UL << 20)
#define MAP_WORDS_MAX 64
#define MAP_VALUE_MAX 320	/* a login, sender (256) or domain (255) */

/* An exact-match entry: login, sender or domain -> plan or customer. */
struct map_entry {
	char *key;
	size_t target;		/* plan index, or customer index */
	char *plan_name;	/* assignments: resolved after parsing */
	unsigned line;
};

struct map_entries {
	struct map_entry *items;
	size_t count;
};

/* A network entry: ip or net assignments. */
struct map_net {
	struct cidr net;
	size_t plan;
	char *plan_name;
	unsigned line;
};

struct map_nets {
	struct map_net *items;
	size_t count;
};

struct limitmap {
	struct limit_plan *plans;
	size_t nplans;
	struct limitmap_customer *customers;
	char **customer_plan;		/* plan names, resolved at the end */
	unsigned *customer_line;
	size_t ncustomers;
	struct map_entries assign[3];	/* login, sender, domain */
	struct map_entries members[2];	/* login, domain -> customer */
	struct map_nets nets[2];	/* ip, net */
	char *default_name[LIMIT_KIND_COUNT];
	unsigned default_line[LIMIT_KIND_COUNT];
	const struct limit_plan *defaults[LIMIT_KIND_COUNT];
	size_t nassign;
};

/* What the indented lines below a header belong to. */
enum map_block {
	MAP_BLOCK_NONE,
	MAP_BLOCK_PLAN,
	MAP_BLOCK_CUSTOMER,
};

struct map_parse {
	struct limitmap *m;
	const char *path;
	unsigned line;
	enum map_block block;
	struct err *e;
};

static const char *const limit_kind_names[LIMIT_KIND_COUNT] = {
	"login", "sender", "domain", "customer", "ip", "net",
};

/* limit_kind_name - "login", "sender", ... */
const char *
limit_kind_name(enum limit_kind k)
{
	return (unsigned)k < LIMIT_KIND_COUNT ? limit_kind_names[k] : "?";
}

/* limit_kind_parse - the kind named by name; -1 when none */
int
limit_kind_parse(const char *name, enum limit_kind *out)
{
	size_t i;

	for (i = 0; i < LIMIT_KIND_COUNT; i++) {
		if (strcmp(name, limit_kind_names[i]) == 0) {
			*out = (enum limit_kind)i;
			return 0;
		}
	}
	return -1;
}

/* limit_counter_name - as written in the map file */
const char *
limit_counter_name(enum limit_counter c)
{
	switch (c) {
	case LIMIT_MESSAGES:
		return "messages";
	case LIMIT_RECIPIENTS:
		return "recipients";
	case LIMIT_BYTES:
		return "bytes";
	case LIMIT_PER_MESSAGE:
		return "recipients_per_message";
	}
	return "?";
}

/* limit_period_text - "1h", "1d", "90s", "1500ms": the shortest exact form */
void
limit_period_text(uint64_t ms, char *buf, size_t size)
{
	static const struct {
		uint64_t ms;
		const char *unit;
	} u[] = {{7 * 86400000ULL, "w"}, {86400000ULL, "d"},
		 {3600000ULL, "h"},	  {60000ULL, "m"},
		 {1000ULL, "s"}};
	size_t i;

	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		if (ms != 0 && ms % u[i].ms == 0) {
			(void)str_format(buf, size, "%llu%s",
					 (unsigned long long)(ms / u[i].ms),
					 u[i].unit);
			return;
		}
	}
	(void)str_format(buf, size, "%llums", (unsigned long long)ms);
}

/* limit_def_set - counter, amount and period, with the time quantum that
 * keeps amount * (period / quantum) below 2^50, so that every counter sum
 * stays an exact integer in Redis's Lua numbers (doubles, 53 bits) */
int
limit_def_set(struct limit_def *d, enum limit_counter c, uint64_t amount,
	      uint64_t period_ms, struct err *e)
{
	static const uint64_t quanta[] = {1,	  10,	  100,	   1000,
					  10000,  60000,  100000,  1000000,
					  3600000, 86400000};
	size_t i;

	if (amount > LIMIT_AMOUNT_MAX) {
		err_set(e, "amount %llu is larger than %llu",
			(unsigned long long)amount,
			(unsigned long long)LIMIT_AMOUNT_MAX);
		return -1;
	}
	d->counter = c;
	d->amount = amount;
	d->period_ms = c == LIMIT_PER_MESSAGE ? 0 : period_ms;
	d->unit_ms = 1;
	if (c == LIMIT_PER_MESSAGE)
		return 0;
	if (period_ms < 1000 || period_ms > LIMIT_PERIOD_MAX) {
		err_set(e, "period must be from 1s to 366d");
		return -1;
	}
	d->unit_ms = period_ms;	/* always exact: amount <= 2^40 */
	for (i = 0; i < sizeof(quanta) / sizeof(quanta[0]); i++) {
		uint64_t q = quanta[i];

		if (period_ms % q == 0 && amount <= (1ULL << 50) /
						    (period_ms / q)) {
			d->unit_ms = q;
			break;
		}
	}
	return 0;
}

/* map_fail - "FILE:LINE: text" into the parse's error */
static int
map_fail(struct map_parse *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
map_fail(struct map_parse *p, const char *fmt, ...)
{
	char text[ERR_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	err_set(p->e, "%s:%u: %s", p->path, p->line, text);
	return -1;
}

/* map_name_ok - plan, customer and limit names: [A-Za-z0-9_.-], short */
static bool
map_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < LIMIT_NAME_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789_.-") == n;
}

/* map_parse_amount - "200", or for bytes "500M", "10k", "2G" (1024) */
static int
map_parse_amount(const char *s, bool sizes, uint64_t *out)
{
	char num[32];
	size_t len = strlen(s);
	uint64_t mult = 1;
	unsigned long n;

	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, s, len + 1);
	if (sizes) {
		switch (num[len - 1]) {
		case 'k': case 'K':
			mult = 1024;
			break;
		case 'm': case 'M':
			mult = 1024ULL * 1024;
			break;
		case 'g': case 'G':
			mult = 1024ULL * 1024 * 1024;
			break;
		default:
			break;
		}
		if (mult != 1)
			num[len - 1] = '\0';
	}
	if (str_to_ulong(num, 10, LIMIT_AMOUNT_MAX / mult, &n) < 0)
		return -1;
	*out = (uint64_t)n * mult;
	return 0;
}

/* map_parse_period - "1h", "30m", "90s", "2d", "1w" or a word such as
 * "hour"; a bare unit means one of it */
static int
map_parse_period(const char *s, uint64_t *out)
{
	static const struct {
		const char *name;
		uint64_t ms;
	} words[] = {
		{"s", 1000},	     {"sec", 1000},	   {"second", 1000},
		{"m", 60000},	     {"min", 60000},	   {"minute", 60000},
		{"h", 3600000},	     {"hour", 3600000},	   {"d", 86400000},
		{"day", 86400000},   {"w", 604800000},	   {"week", 604800000},
	};
	char num[24];
	size_t nd = strspn(s, "0123456789");
	unsigned long n = 1;
	size_t i;

	if (nd >= sizeof(num))
		return -1;
	if (nd > 0) {
		memcpy(num, s, nd);
		num[nd] = '\0';
		if (str_to_ulong(num, 10, 1000000, &n) < 0 || n == 0)
			return -1;
	}
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strcmp(s + nd, words[i].name) == 0) {
			*out = (uint64_t)n * words[i].ms;
			return 0;
		}
	}
	return -1;
}

/* map_counter_parse - counter word of a limit line */
static int
map_counter_parse(const char *w, enum limit_counter *out)
{
	if (strcmp(w, "messages") == 0)
		*out = LIMIT_MESSAGES;
	else if (strcmp(w, "recipients") == 0)
		*out = LIMIT_RECIPIENTS;
	else if (strcmp(w, "bytes") == 0)
		*out = LIMIT_BYTES;
	else if (strcmp(w, "recipients_per_message") == 0)
		*out = LIMIT_PER_MESSAGE;
	else
		return -1;
	return 0;
}

/* map_limit_line - "NAME COUNTER AMOUNT/PERIOD [dry-run] [hard]" */
static int
map_limit_line(struct map_parse *p, char **w, size_t n)
{
	struct limit_plan *plan = &p->m->plans[p->m->nplans - 1];
	struct limit_def d;
	enum limit_counter c;
	uint64_t amount;
	uint64_t period = 0;
	char *slash;
	struct err e;
	size_t i;

	memset(&d, 0, sizeof(d));
	if (n < 3)
		return map_fail(p, "a limit needs a name, what it counts and "
			"an amount (example: hour messages 200/1h)");
	if (!map_name_ok(w[0]))
		return map_fail(p, "\"%.40s\" is not a limit name (letters, "
			"digits, '_', '-', '.'; at most %d)", w[0],
			LIMIT_NAME_MAX - 1);
	for (i = 0; i < plan->count; i++)
		if (strcmp(plan->defs[i].name, w[0]) == 0)
			return map_fail(p, "plan %s has two limits named %s",
					plan->name, w[0]);
	if (plan->count == LIMIT_PLAN_MAX)
		return map_fail(p, "plan %s has more than %d limits",
				plan->name, LIMIT_PLAN_MAX);
	if (map_counter_parse(w[1], &c) < 0)
		return map_fail(p, "\"%.40s\" is not something a limit counts "
			"(messages, recipients, bytes, recipients_per_message)",
			w[1]);
	slash = strchr(w[2], '/');
	if (c == LIMIT_PER_MESSAGE) {
		if (slash != NULL || map_parse_amount(w[2], false, &amount) < 0)
			return map_fail(p, "\"%.40s\": recipients_per_message "
				"takes a number (example: rcpts "
				"recipients_per_message 100)", w[2]);
	} else {
		if (slash == NULL)
			return map_fail(p, "\"%.40s\" has no period (examples: "
				"200/1h, 1000/day, 500M/1d)", w[2]);
		*slash = '\0';
		if (map_parse_amount(w[2], c == LIMIT_BYTES, &amount) < 0)
			return map_fail(p, "\"%.40s\" is not an amount "
				"(examples: 200, 0; bytes also 500M, 2G)",
				w[2]);
		if (map_parse_period(slash + 1, &period) < 0)
			return map_fail(p, "\"%.40s\" is not a period "
				"(examples: 1h, 30m, 1d, hour, day)", slash + 1);
	}
	if (str_copy(d.name, sizeof(d.name), w[0]) < 0 ||
	    limit_def_set(&d, c, amount, period, &e) < 0)
		return map_fail(p, "limit %s: %s", w[0], e.text);
	for (i = 3; i < n; i++) {
		if (strcmp(w[i], "dry-run") == 0 || strcmp(w[i], "dry_run") == 0)
			d.dry_run = true;
		else if (strcmp(w[i], "hard") == 0)
			d.hard = true;
		else
			return map_fail(p, "\"%.40s\" is not a limit flag "
				"(dry-run, hard)", w[i]);
	}
	plan->defs[plan->count++] = d;
	return 0;
}

/* map_value - a login, sender or domain, lower-cased and checked */
static int
map_value(struct map_parse *p, enum limit_kind kind, const char *w,
	  char *out, size_t size)
{
	const char *at;

	if (str_copy(out, size, w) < 0)
		return map_fail(p, "\"%.40s...\" is too long", w);
	str_lower(out);
	switch (kind) {
	case LIMIT_KIND_SENDER:
		at = strrchr(out, '@');
		if (at == NULL || at == out || !addr_domain_is_valid(at + 1))
			return map_fail(p, "\"%.80s\" is not a sender address "
				"(example: news@example.com)", w);
		break;
	case LIMIT_KIND_DOMAIN:
		if (!addr_domain_is_valid(out))
			return map_fail(p, "\"%.80s\" is not a domain "
				"(example: example.com)", w);
		break;
	default:
		break;
	}
	return 0;
}

/* map_entry_add - append an exact-match entry */
static void
map_entry_add(struct map_entries *l, const char *key, size_t target,
	      const char *plan_name, unsigned line)
{
	struct map_entry *en;

	l->items = xreallocarray(l->items, l->count + 1, sizeof(*l->items));
	en = &l->items[l->count++];
	en->key = xstrdup(key);
	en->target = target;
	en->plan_name = plan_name ? xstrdup(plan_name) : NULL;
	en->line = line;
}

/* map_member_line - "login VALUE..." or "domain VALUE..." in a customer */
static int
map_member_line(struct map_parse *p, char **w, size_t n)
{
	char v[MAP_VALUE_MAX];
	enum limit_kind kind;
	size_t i;

	if (strcmp(w[0], "login") == 0)
		kind = LIMIT_KIND_LOGIN;
	else if (strcmp(w[0], "domain") == 0)
		kind = LIMIT_KIND_DOMAIN;
	else
		return map_fail(p, "\"%.40s\": a customer's members are "
			"logins and domains (example: login alice@example.com)",
			w[0]);
	if (n < 2)
		return map_fail(p, "%s: no value (example: %s)", w[0],
				kind == LIMIT_KIND_LOGIN ? "login alice@example.com"
							 : "domain example.com");
	for (i = 1; i < n; i++) {
		if (map_value(p, kind, w[i], v, sizeof(v)) < 0)
			return -1;
		map_entry_add(&p->m->members[kind == LIMIT_KIND_DOMAIN], v,
			      p->m->ncustomers - 1, NULL, p->line);
	}
	return 0;
}

/* map_plan_header - "plan NAME" */
static int
map_plan_header(struct map_parse *p, char **w, size_t n)
{
	struct limitmap *m = p->m;
	struct limit_plan *plan;

	if (n != 2 || !map_name_ok(w[1]))
		return map_fail(p, "expected \"plan NAME\" with limits on the "
			"indented lines below (example: plan standard)");
	if (limitmap_plan(m, w[1]) != NULL)
		return map_fail(p, "plan %s is defined twice", w[1]);
	m->plans = xreallocarray(m->plans, m->nplans + 1, sizeof(*m->plans));
	plan = &m->plans[m->nplans++];
	memset(plan, 0, sizeof(*plan));
	(void)str_copy(plan->name, sizeof(plan->name), w[1]);
	p->block = MAP_BLOCK_PLAN;
	return 0;
}

/* map_customer_header - "customer NAME PLAN pooled|each" */
static int
map_customer_header(struct map_parse *p, char **w, size_t n)
{
	struct limitmap *m = p->m;
	struct limitmap_customer *c;
	size_t i;

	if (n != 4 || !map_name_ok(w[1]) || !map_name_ok(w[2]) ||
	    (strcmp(w[3], "pooled") != 0 && strcmp(w[3], "each") != 0))
		return map_fail(p, "expected \"customer NAME PLAN pooled|each\""
			" with members on the indented lines below (example: "
			"customer acme standard pooled)");
	for (i = 0; i < m->ncustomers; i++)
		if (strcmp(m->customers[i].name, w[1]) == 0)
			return map_fail(p, "customer %s is defined twice", w[1]);
	m->customers = xreallocarray(m->customers, m->ncustomers + 1,
				     sizeof(*m->customers));
	m->customer_plan = xreallocarray(m->customer_plan, m->ncustomers + 1,
					 sizeof(*m->customer_plan));
	m->customer_line = xreallocarray(m->customer_line, m->ncustomers + 1,
					 sizeof(*m->customer_line));
	c = &m->customers[m->ncustomers];
	memset(c, 0, sizeof(*c));
	(void)str_copy(c->name, sizeof(c->name), w[1]);
	c->pooled = strcmp(w[3], "pooled") == 0;
	m->customer_plan[m->ncustomers] = xstrdup(w[2]);
	m->customer_line[m->ncustomers] = p->line;
	m->ncustomers++;
	p->block = MAP_BLOCK_CUSTOMER;
	return 0;
}

/* map_assign_line - "KIND VALUE PLAN", VALUE "*" for every subject */
static int
map_assign_line(struct map_parse *p, enum limit_kind kind, char **w,
		size_t n)
{
	struct limitmap *m = p->m;
	char v[MAP_VALUE_MAX];
	struct map_nets *nets;
	struct cidr_list one;
	struct err e;

	p->block = MAP_BLOCK_NONE;
	if (n != 3 || !map_name_ok(w[2]))
		return map_fail(p, "expected \"%s VALUE PLAN\" (example: %s)",
				w[0],
				kind == LIMIT_KIND_IP ? "ip 192.0.2.0/24 standard" :
				kind == LIMIT_KIND_NET ? "net * standard" :
				"login alice@example.com standard");
	if (strcmp(w[1], "*") == 0) {
		if (m->default_name[kind] != NULL)
			return map_fail(p, "%s * is set twice (first at line "
				"%u)", w[0], m->default_line[kind]);
		m->default_name[kind] = xstrdup(w[2]);
		m->default_line[kind] = p->line;
		m->nassign++;
		return 0;
	}
	if (kind == LIMIT_KIND_IP || kind == LIMIT_KIND_NET) {
		cidr_list_init(&one);
		if (cidr_list_add(&one, w[1], &e) < 0)
			return map_fail(p, "%s: %s (examples: 192.0.2.7, "
				"198.51.100.0/24, 2001:db8::/48)", w[0], e.text);
		nets = &m->nets[kind == LIMIT_KIND_NET];
		nets->items = xreallocarray(nets->items, nets->count + 1,
					    sizeof(*nets->items));
		nets->items[nets->count].net = one.items[0];
		nets->items[nets->count].plan_name = xstrdup(w[2]);
		nets->items[nets->count].line = p->line;
		nets->count++;
		cidr_list_free(&one);
		m->nassign++;
		return 0;
	}
	if (map_value(p, kind, w[1], v, sizeof(v)) < 0)
		return -1;
	map_entry_add(&m->assign[kind], v, 0, w[2], p->line);
	m->nassign++;
	return 0;
}

/* map_line - one line split into words */
static int
map_line(struct map_parse *p, char **w, size_t n, bool indented)
{
	enum limit_kind kind;

	if (indented) {
		if (p->block == MAP_BLOCK_PLAN)
			return map_limit_line(p, w, n);
		if (p->block == MAP_BLOCK_CUSTOMER)
			return map_member_line(p, w, n);
		return map_fail(p, "indented line outside a plan or customer "
			"(lines below \"plan NAME\" or \"customer NAME PLAN "
			"pooled|each\" start with blanks; others do not)");
	}
	if (strcmp(w[0], "plan") == 0)
		return map_plan_header(p, w, n);
	if (strcmp(w[0], "customer") == 0)
		return map_customer_header(p, w, n);
	if (limit_kind_parse(w[0], &kind) == 0 && kind != LIMIT_KIND_CUSTOMER)
		return map_assign_line(p, kind, w, n);
	return map_fail(p, "\"%.40s\": unknown entry (plan, customer, login, "
		"sender, domain, ip, net)", w[0]);
}

/* map_split - words of a line, in place */
static size_t
map_split(char *s, char **w, size_t max)
{
	size_t n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || n == max)
			return n;
		w[n++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		if (*s)
			*s++ = '\0';
	}
}

/* map_entry_cmp - qsort/bsearch order of exact-match entries */
static int
map_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct map_entry *)a)->key,
		      ((const struct map_entry *)b)->key);
}

/* map_sort - sort entries; a key given twice is an error */
static int
map_sort(struct map_parse *p, struct map_entries *l, const char *what)
{
	size_t i;

	if (l->count > 1)
		qsort(l->items, l->count, sizeof(*l->items), map_entry_cmp);
	for (i = 1; i < l->count; i++) {
		if (strcmp(l->items[i - 1].key, l->items[i].key) == 0) {
			unsigned a = l->items[i - 1].line;
			unsigned b = l->items[i].line;

			p->line = a > b ? a : b;
			return map_fail(p, "%s %.200s is listed twice (also at "
				"line %u)", what, l->items[i].key, a > b ? b : a);
		}
	}
	return 0;
}

/* map_plan_index - index of a named plan, or fail naming the line */
static int
map_plan_index(struct map_parse *p, const char *name, unsigned line,
	       size_t *out)
{
	const struct limit_plan *plan = limitmap_plan(p->m, name);

	if (plan == NULL) {
		p->line = line;
		return map_fail(p, "no plan named %s (define it with \"plan "
			"%s\" and limits below)", name, name);
	}
	*out = (size_t)(plan - p->m->plans);
	return 0;
}

/* map_finish - resolve plan names, sort the tables */
static int
map_finish(struct map_parse *p)
{
	struct limitmap *m = p->m;
	size_t i;
	size_t j;
	size_t idx;

	for (i = 0; i < m->nplans; i++) {
		if (m->plans[i].count == 0) {
			p->line = 0;
			err_set(p->e, "%s: plan %s has no limits (add indented "
				"lines such as \"hour messages 200/1h\")",
				p->path, m->plans[i].name);
			return -1;
		}
	}
	for (i = 0; i < m->ncustomers; i++) {
		if (map_plan_index(p, m->customer_plan[i],
				   m->customer_line[i], &idx) < 0)
			return -1;
		m->customers[i].plan = &m->plans[idx];
	}
	for (i = 0; i < 3; i++)
		for (j = 0; j < m->assign[i].count; j++)
			if (map_plan_index(p, m->assign[i].items[j].plan_name,
					   m->assign[i].items[j].line,
					   &m->assign[i].items[j].target) < 0)
				return -1;
	for (i = 0; i < 2; i++)
		for (j = 0; j < m->nets[i].count; j++)
			if (map_plan_index(p, m->nets[i].items[j].plan_name,
					   m->nets[i].items[j].line,
					   &m->nets[i].items[j].plan) < 0)
				return -1;
	for (i = 0; i < LIMIT_KIND_COUNT; i++) {
		if (m->default_name[i] == NULL)
			continue;
		if (map_plan_index(p, m->default_name[i], m->default_line[i],
				   &idx) < 0)
			return -1;
		m->defaults[i] = &m->plans[idx];
	}
	if (map_sort(p, &m->assign[0], "login") < 0 ||
	    map_sort(p, &m->assign[1], "sender") < 0 ||
	    map_sort(p, &m->assign[2], "domain") < 0 ||
	    map_sort(p, &m->members[0], "customer member login") < 0 ||
	    map_sort(p, &m->members[1], "customer member domain") < 0)
		return -1;
	return 0;
}

/* limitmap_parse - a map from text (len bytes, need not end in NUL) */
int
limitmap_parse(const char *text, size_t len, const char *path,
	       struct limitmap **out, struct err *e)
{
	struct map_parse p;
	char line[MAP_LINE_MAX];
	char *w[MAP_WORDS_MAX];
	size_t pos = 0;
	size_t n;

	memset(&p, 0, sizeof(p));
	p.m = xcalloc(1, sizeof(*p.m));
	p.path = path;
	p.e = e;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (text + pos)) : len - pos;
		bool indented;

		p.line++;
		if (ll > 0 && text[pos + ll - 1] == '\r')
			ll--;
		if (ll >= sizeof(line)) {
			map_fail(&p, "line longer than %d bytes",
				 MAP_LINE_MAX - 1);
			goto fail;
		}
		memcpy(line, text + pos, ll);
		line[ll] = '\0';
		pos += (nl ? (size_t)(nl - (text + pos)) + 1 : len - pos);
		if (memchr(line, '\0', ll) != NULL ||
		    strpbrk(line, "\r\v\f") != NULL) {
			map_fail(&p, "control character in the line");
			goto fail;
		}
		indented = line[0] == ' ' || line[0] == '\t';
		n = map_split(line, w, MAP_WORDS_MAX);
		if (n == 0 || w[0][0] == '#')
			continue;
		if (n == MAP_WORDS_MAX) {
			map_fail(&p, "more than %d words on one line (split "
				 "members over several lines)",
				 MAP_WORDS_MAX - 1);
			goto fail;
		}
		if (map_line(&p, w, n, indented) < 0)
			goto fail;
	}
	if (map_finish(&p) < 0)
		goto fail;
	*out = p.m;
	return 0;
fail:
	limitmap_free(p.m);
	return -1;
}

/* limitmap_load - read and parse a map file */
int
limitmap_load(const char *path, struct limitmap **out, struct err *e)
{
	FILE *fp = fopen(path, "r");
	struct stat st;
	char *text;
	size_t got;
	int rc;

	if (fp == NULL) {
		err_set(e, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(fp), &st) < 0 || !S_ISREG(st.st_mode) ||
	    (unsigned long long)st.st_size > MAP_FILE_MAX) {
		err_set(e, "%s: not a regular file of at most %lu bytes", path,
			MAP_FILE_MAX);
		(void)fclose(fp);
		return -1;
	}
	text = xmalloc((size_t)st.st_size + 1);
	got = fread(text, 1, (size_t)st.st_size, fp);
	if (ferror(fp)) {
		err_set(e, "%s: read error", path);
		(void)fclose(fp);
		free(text);
		return -1;
	}
	(void)fclose(fp);	/* read-only: nothing to lose */
	rc = limitmap_parse(text, got, path, out, e);
	free(text);
	return rc;
}

/* map_entries_free - release an entry table */
static void
map_entries_free(struct map_entries *l)
{
	size_t i;

	for (i = 0; i < l->count; i++) {
		free(l->items[i].key);
		free(l->items[i].plan_name);
	}
	free(l->items);
}

/* limitmap_free - release a map; NULL is fine */
void
limitmap_free(struct limitmap *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < 3; i++)
		map_entries_free(&m->assign[i]);
	for (i = 0; i < 2; i++) {
		size_t j;

		map_entries_free(&m->members[i]);
		for (j = 0; j < m->nets[i].count; j++)
			free(m->nets[i].items[j].plan_name);
		free(m->nets[i].items);
	}
	for (i = 0; i < m->ncustomers; i++)
		free(m->customer_plan[i]);
	for (i = 0; i < LIMIT_KIND_COUNT; i++)
		free(m->default_name[i]);
	free(m->customer_plan);
	free(m->customer_line);
	free(m->customers);
	free(m->plans);
	free(m);
}

/* limitmap_plan - a plan by name, NULL when there is none */
const struct limit_plan *
limitmap_plan(const struct limitmap *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nplans; i++)
		if (strcmp(m->plans[i].name, name) == 0)
			return &m->plans[i];
	return NULL;
}

/* map_find - exact lookup of a (lower-cased) value */
static const struct map_entry *
map_find(const struct map_entries *l, const char *value)
{
	char key[MAP_VALUE_MAX];
	struct map_entry k;

	if (l->count == 0 || str_copy(key, sizeof(key), value) < 0)
		return NULL;
	str_lower(key);
	k.key = key;
	return bsearch(&k, l->items, l->count, sizeof(*l->items),
		       map_entry_cmp);
}

/* limitmap_assigned - the plan assigned to this very subject (no default);
 * for ip and net the most specific network holding the address */
const struct limit_plan *
limitmap_assigned(const struct limitmap *m, enum limit_kind kind,
		  const char *value)
{
	const struct map_entry *en;
	const struct map_nets *nets;
	const struct map_net *best = NULL;
	struct cidr_list one;
	size_t i;

	switch (kind) {
	case LIMIT_KIND_LOGIN:
	case LIMIT_KIND_SENDER:
	case LIMIT_KIND_DOMAIN:
		en = map_find(&m->assign[kind], value);
		return en ? &m->plans[en->target] : NULL;
	case LIMIT_KIND_IP:
	case LIMIT_KIND_NET:
		nets = &m->nets[kind == LIMIT_KIND_NET];
		for (i = 0; i < nets->count; i++) {
			struct cidr c = nets->items[i].net;

			one.items = &c;
			one.count = 1;
			if (cidr_list_match_text(&one, value) &&
			    (best == NULL || c.prefix > best->net.prefix))
				best = &nets->items[i];
		}
		return best ? &m->plans[best->plan] : NULL;
	case LIMIT_KIND_CUSTOMER: {
		const struct limitmap_customer *c = limitmap_customer(m, value);

		return c ? c->plan : NULL;
	}
	default:
		return NULL;
	}
}

/* limitmap_default - the plan of "KIND *", NULL when none */
const struct limit_plan *
limitmap_default(const struct limitmap *m, enum limit_kind kind)
{
	return (unsigned)kind < LIMIT_KIND_COUNT ? m->defaults[kind] : NULL;
}

/* limitmap_customer - a customer by name */
const struct limitmap_customer *
limitmap_customer(const struct limitmap *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->ncustomers; i++)
		if (strcmp(m->customers[i].name, name) == 0)
			return &m->customers[i];
	return NULL;
}

/* limitmap_member_of - the customer a login or domain belongs to */
const struct limitmap_customer *
limitmap_member_of(const struct limitmap *m, enum limit_kind kind,
		   const char *value)
{
	const struct map_entry *en;

	if (kind != LIMIT_KIND_LOGIN && kind != LIMIT_KIND_DOMAIN)
		return NULL;
	en = map_find(&m->members[kind == LIMIT_KIND_DOMAIN], value);
	return en ? &m->customers[en->target] : NULL;
}

/* limitmap_plan_count - for the startup summary */
size_t
limitmap_plan_count(const struct limitmap *m)
{
	return m->nplans;
}

/* limitmap_plan_at - the i-th plan, in file order; NULL past the end */
const struct limit_plan *
limitmap_plan_at(const struct limitmap *m, size_t i)
{
	return i < m->nplans ? &m->plans[i] : NULL;
}

/* limitmap_assign_count - assignments and defaults, for the summary */
size_t
limitmap_assign_count(const struct limitmap *m)
{
	return m->nassign;
}
