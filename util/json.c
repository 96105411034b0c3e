/* SPDX-License-Identifier: BSD-2-Clause */
#include "json.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "str.h"
#include "xalloc.h"

/* json_utf8_len - length of the well-formed UTF-8 sequence at s (RFC 3629
 * section 4), 0 when the bytes there are not one */
size_t
json_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80;
	unsigned char hi = 0xbf;
	size_t need;
	size_t i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;	/* no overlong forms */
		else if (s[0] == 0xed)
			hi = 0x9f;	/* no surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;	/* nothing above U+10FFFF */
	} else {
		return 0;
	}
	if (n < need || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need;
}

/* json_put_str - append s (len bytes, any content) as a JSON string */
int
json_put_str(struct strbuf *sb, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t start;
	size_t i = 0;
	char esc[8];

	if (strbuf_append(sb, "\"", 1) < 0)
		return -1;
	while (i < len) {
		size_t n;

		/* copy the longest run that needs no escape in one go */
		start = i;
		while (i < len && p[i] >= 0x20 && p[i] < 0x7f &&
		       p[i] != '"' && p[i] != '\\')
			i++;
		if (i > start && strbuf_append(sb, s + start, i - start) < 0)
			return -1;
		if (i == len)
			break;
		if (p[i] >= 0x80) {
			n = json_utf8_len(p + i, len - i);
			if (n == 3 && p[i] == 0xe2 && p[i + 1] == 0x80 &&
			    (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
				if (strbuf_append_str(sb, p[i + 2] == 0xa8 ?
						      "\\u2028" : "\\u2029") < 0)
					return -1;
			} else if (n > 0) {
				if (strbuf_append(sb, s + i, n) < 0)
					return -1;
			} else {
				n = 1;
				if (strbuf_append_str(sb, "\\ufffd") < 0)
					return -1;
			}
			i += n;
			continue;
		}
		switch (p[i]) {
		case '"':
			memcpy(esc, "\\\"", 3);
			break;
		case '\\':
			memcpy(esc, "\\\\", 3);
			break;
		case '\b':
			memcpy(esc, "\\b", 3);
			break;
		case '\f':
			memcpy(esc, "\\f", 3);
			break;
		case '\n':
			memcpy(esc, "\\n", 3);
			break;
		case '\r':
			memcpy(esc, "\\r", 3);
			break;
		case '\t':
			memcpy(esc, "\\t", 3);
			break;
		default:	/* other controls and DEL */
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[p[i] >> 4];
			esc[5] = hex[p[i] & 15];
			esc[6] = '\0';
			break;
		}
		if (strbuf_append_str(sb, esc) < 0)
			return -1;
		i++;
	}
	return strbuf_append(sb, "\"", 1);
}

/* json_put_cstr - append a C string as a JSON string */
int
json_put_cstr(struct strbuf *sb, const char *s)
{
	return json_put_str(sb, s, strlen(s));
}

/* --- reader -------------------------------------------------------------- */

struct json_parser {
	const char *p;
	const char *end;
	const char *start;
	struct json_doc *doc;
	struct err *e;
};

/* json_fail - record a parse error at the current offset */
static int
json_fail(struct json_parser *jp, const char *what)
{
	err_set(jp->e, "JSON: %s at byte %zu", what,
		(size_t)(jp->p - jp->start));
	return -1;
}

/* json_ws - skip white space (RFC 8259: space, tab, LF, CR) */
static void
json_ws(struct json_parser *jp)
{
	while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' ||
				   *jp->p == '\n' || *jp->p == '\r'))
		jp->p++;
}

/* json_new_node - append a node; its index */
static size_t
json_new_node(struct json_doc *doc, enum json_type t)
{
	struct json_node *n;

	if (doc->count == doc->cap) {
		doc->cap = doc->cap ? doc->cap * 2 : 16;
		doc->nodes = xreallocarray(doc->nodes, doc->cap,
					   sizeof(*doc->nodes));
	}
	n = &doc->nodes[doc->count];
	memset(n, 0, sizeof(*n));
	n->type = t;
	n->child = JSON_NONE;
	n->next = JSON_NONE;
	return doc->count++;
}

/* json_hex4 - four hex digits at p, -1 if not */
static long
json_hex4(const char *p)
{
	long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		int d = str_hexval(p[i]);

		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* json_put_utf8 - encode code point cp at out; bytes written */
static size_t
json_put_utf8(char *out, unsigned long cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* json_string - a string at jp->p (the opening quote), decoded into the
 * doc's string buffer; never longer than its source, so it fits */
static int
json_string(struct json_parser *jp, const char **out, size_t *outlen)
{
	struct json_doc *doc = jp->doc;
	char *dst = doc->strings + doc->used;
	size_t n = 0;

	jp->p++;
	for (;;) {
		unsigned char c;

		if (jp->p >= jp->end)
			return json_fail(jp, "unterminated string");
		c = (unsigned char)*jp->p;
		if (c == '"')
			break;
		if (c < 0x20)
			return json_fail(jp, "control byte in string");
		if (c != '\\') {
			dst[n++] = (char)c;
			jp->p++;
			continue;
		}
		if (jp->end - jp->p < 2)
			return json_fail(jp, "unterminated string");
		switch (jp->p[1]) {
		case '"': case '\\': case '/':
			dst[n++] = jp->p[1];
			break;
		case 'b':
			dst[n++] = '\b';
			break;
		case 'f':
			dst[n++] = '\f';
			break;
		case 'n':
			dst[n++] = '\n';
			break;
		case 'r':
			dst[n++] = '\r';
			break;
		case 't':
			dst[n++] = '\t';
			break;
		case 'u': {
			long hi;
			long lo;
			unsigned long cp;

			if (jp->end - jp->p < 6 ||
			    (hi = json_hex4(jp->p + 2)) < 0)
				return json_fail(jp, "bad \\u escape");
			cp = (unsigned long)hi;
			if (hi >= 0xd800 && hi <= 0xdbff &&
			    jp->end - jp->p >= 12 && jp->p[6] == '\\' &&
			    jp->p[7] == 'u' &&
			    (lo = json_hex4(jp->p + 8)) >= 0xdc00 &&
			    lo <= 0xdfff) {
				cp = 0x10000 + (((unsigned long)hi - 0xd800)
						<< 10) +
				     ((unsigned long)lo - 0xdc00);
				jp->p += 6;
			} else if (hi >= 0xd800 && hi <= 0xdfff) {
				cp = 0xfffd;	/* lone surrogate */
			}
			n += json_put_utf8(dst + n, cp);
			jp->p += 6;
			continue;
		}
		default:
			return json_fail(jp, "bad escape");
		}
		jp->p += 2;
	}
	jp->p++;
	dst[n] = '\0';
	*out = dst;
	*outlen = n;
	doc->used += n + 1;
	return 0;
}

/* json_number - RFC 8259 section 6 grammar, then strtod */
static int
json_number(struct json_parser *jp, struct json_node *node)
{
	const char *s = jp->p;
	char tmp[64];
	size_t len;
	char *end;

	if (jp->p < jp->end && *jp->p == '-')
		jp->p++;
	if (jp->p < jp->end && *jp->p == '0') {
		jp->p++;
	} else if (jp->p < jp->end && *jp->p >= '1' && *jp->p <= '9') {
		while (jp->p < jp->end && *jp->p >= '0' && *jp->p <= '9')
			jp->p++;
	} else {
		return json_fail(jp, "bad number");
	}
	if (jp->p < jp->end && *jp->p == '.') {
		jp->p++;
		if (jp->p >= jp->end || *jp->p < '0' || *jp->p > '9')
			return json_fail(jp, "bad number");
		while (jp->p < jp->end && *jp->p >= '0' && *jp->p <= '9')
			jp->p++;
	}
	if (jp->p < jp->end && (*jp->p == 'e' || *jp->p == 'E')) {
		jp->p++;
		if (jp->p < jp->end && (*jp->p == '+' || *jp->p == '-'))
			jp->p++;
		if (jp->p >= jp->end || *jp->p < '0' || *jp->p > '9')
			return json_fail(jp, "bad number");
		while (jp->p < jp->end && *jp->p >= '0' && *jp->p <= '9')
			jp->p++;
	}
	len = (size_t)(jp->p - s);
	if (len >= sizeof(tmp))
		return json_fail(jp, "number too long");
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	errno = 0;
	node->num = strtod(tmp, &end);	/* the grammar was checked above */
	/* the source text, for callers that want an exact integer */
	memcpy(jp->doc->strings + jp->doc->used, tmp, len + 1);
	node->str = jp->doc->strings + jp->doc->used;
	node->len = len;
	jp->doc->used += len + 1;
	return 0;
}

/* json_literal - true, false or null */
static int
json_literal(struct json_parser *jp, const char *word, enum json_type t,
	     size_t idx)
{
	size_t len = strlen(word);

	if ((size_t)(jp->end - jp->p) < len || memcmp(jp->p, word, len) != 0)
		return json_fail(jp, "unexpected character");
	jp->p += len;
	jp->doc->nodes[idx].type = t;
	return 0;
}

static int json_value(struct json_parser *jp, size_t idx, int depth);

/* json_members - the elements of an array or members of an object */
static int
json_members(struct json_parser *jp, size_t idx, int depth, bool object)
{
	size_t prev = JSON_NONE;
	char close = object ? '}' : ']';

	jp->p++;
	json_ws(jp);
	if (jp->p < jp->end && *jp->p == close) {
		jp->p++;
		return 0;
	}
	for (;;) {
		const char *key = NULL;
		size_t keylen = 0;
		size_t kid;

		json_ws(jp);
		if (object) {
			if (jp->p >= jp->end || *jp->p != '"')
				return json_fail(jp, "expected a member name");
			if (json_string(jp, &key, &keylen) < 0)
				return -1;
			json_ws(jp);
			if (jp->p >= jp->end || *jp->p != ':')
				return json_fail(jp, "expected ':'");
			jp->p++;
		}
		kid = json_new_node(jp->doc, JSON_NULL);
		jp->doc->nodes[kid].key = key;
		jp->doc->nodes[kid].keylen = keylen;
		if (prev == JSON_NONE)
			jp->doc->nodes[idx].child = kid;
		else
			jp->doc->nodes[prev].next = kid;
		prev = kid;
		if (json_value(jp, kid, depth + 1) < 0)
			return -1;
		json_ws(jp);
		if (jp->p < jp->end && *jp->p == ',') {
			jp->p++;
			continue;
		}
		if (jp->p < jp->end && *jp->p == close) {
			jp->p++;
			return 0;
		}
		return json_fail(jp, object ? "expected ',' or '}'"
					    : "expected ',' or ']'");
	}
}

/* json_value - one value into node idx */
static int
json_value(struct json_parser *jp, size_t idx, int depth)
{
	json_ws(jp);
	if (jp->p >= jp->end)
		return json_fail(jp, "unexpected end");
	/* depth counts the arrays and objects around this value */
	if ((*jp->p == '{' || *jp->p == '[') && depth >= JSON_DEPTH_MAX)
		return json_fail(jp, "nested too deep");
	switch (*jp->p) {
	case '{':
		jp->doc->nodes[idx].type = JSON_OBJECT;
		return json_members(jp, idx, depth, true);
	case '[':
		jp->doc->nodes[idx].type = JSON_ARRAY;
		return json_members(jp, idx, depth, false);
	case '"': {
		const char *s;
		size_t len;

		if (json_string(jp, &s, &len) < 0)
			return -1;
		jp->doc->nodes[idx].type = JSON_STRING;
		jp->doc->nodes[idx].str = s;
		jp->doc->nodes[idx].len = len;
		return 0;
	}
	case 't':
		return json_literal(jp, "true", JSON_TRUE, idx);
	case 'f':
		return json_literal(jp, "false", JSON_FALSE, idx);
	case 'n':
		return json_literal(jp, "null", JSON_NULL, idx);
	default:
		if (*jp->p != '-' && (*jp->p < '0' || *jp->p > '9'))
			return json_fail(jp, "unexpected character");
		jp->doc->nodes[idx].type = JSON_NUMBER;
		return json_number(jp, &jp->doc->nodes[idx]);
	}
}

/* json_parse - one JSON text, nothing but white space after it */
int
json_parse(const char *text, size_t len, struct json_doc *doc, struct err *e)
{
	struct json_parser jp;

	memset(doc, 0, sizeof(*doc));
	if (len > SIZE_MAX / 2)
		len = SIZE_MAX / 2;
	/* decoded strings and number texts never need more than the
	 * input: every string has two quotes for its NUL, and a number is
	 * followed by a byte or the end (hence the + 1) */
	doc->strings = xmalloc(len + 1);
	jp.p = text;
	jp.start = text;
	jp.end = text + len;
	jp.doc = doc;
	jp.e = e;
	(void)json_new_node(doc, JSON_NULL);
	if (json_value(&jp, 0, 0) < 0)
		goto bad;
	json_ws(&jp);
	if (jp.p != jp.end) {
		(void)json_fail(&jp, "trailing data");
		goto bad;
	}
	return 0;
bad:
	json_doc_free(doc);
	return -1;
}

/* json_doc_free - release a parsed document */
void
json_doc_free(struct json_doc *doc)
{
	free(doc->nodes);
	free(doc->strings);
	memset(doc, 0, sizeof(*doc));
}

/* json_root - the top value */
const struct json_node *
json_root(const struct json_doc *doc)
{
	return doc->count > 0 ? &doc->nodes[0] : NULL;
}

/* json_child - first element or member of an array or object */
const struct json_node *
json_child(const struct json_doc *doc, const struct json_node *n)
{
	if (n == NULL || n->child == JSON_NONE)
		return NULL;
	return &doc->nodes[n->child];
}

/* json_next - the following sibling */
const struct json_node *
json_next(const struct json_doc *doc, const struct json_node *n)
{
	if (n == NULL || n->next == JSON_NONE)
		return NULL;
	return &doc->nodes[n->next];
}

/* json_get - member key of an object (the last one if repeated) */
const struct json_node *
json_get(const struct json_doc *doc, const struct json_node *obj,
	 const char *key)
{
	const struct json_node *found = NULL;
	const struct json_node *m;
	size_t klen = strlen(key);

	if (obj == NULL || obj->type != JSON_OBJECT)
		return NULL;
	for (m = json_child(doc, obj); m != NULL; m = json_next(doc, m))
		if (m->keylen == klen && memcmp(m->key, key, klen) == 0)
			found = m;
	return found;
}

/* json_get_str - string member, or "" when absent or not a string */
const char *
json_get_str(const struct json_doc *doc, const struct json_node *obj,
	     const char *key)
{
	const struct json_node *m = json_get(doc, obj, key);

	return m != NULL && m->type == JSON_STRING ? m->str : "";
}

/* json_get_num - number member, or def */
double
json_get_num(const struct json_doc *doc, const struct json_node *obj,
	     const char *key, double def)
{
	const struct json_node *m = json_get(doc, obj, key);

	return m != NULL && m->type == JSON_NUMBER ? m->num : def;
}
