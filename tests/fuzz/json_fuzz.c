/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * json_fuzz - libFuzzer target for json.c, both directions.
 *
 * 1. json_parse() on the input: no crash, and on success every node is
 *    consistent (string lengths within the strings buffer, children and
 *    siblings in range, nesting bounded).  The document is written back
 *    with json_put_str() and parsed again: same shape; written a second
 *    time, the text no longer changes.
 * 2. json_put_str() on the input as raw wire text: the output is valid
 *    UTF-8, parses as one JSON string, and gives back the input itself
 *    whenever the input is well-formed UTF-8 (otherwise the same text with
 *    U+FFFD for each bad byte).
 */
#include "json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check - abort (a libFuzzer crash) when an invariant does not hold */
static void
check(int ok)
{
	if (!ok)
		abort();
}

/* write_node - serialize a parsed value */
static void
write_node(const struct json_doc *d, const struct json_node *n,
	   struct strbuf *sb, int depth)
{
	const struct json_node *k;

	check(depth <= JSON_DEPTH_MAX + 1);
	switch (n->type) {
	case JSON_NULL:
		check(strbuf_append_str(sb, "null") == 0);
		break;
	case JSON_TRUE:
		check(strbuf_append_str(sb, "true") == 0);
		break;
	case JSON_FALSE:
		check(strbuf_append_str(sb, "false") == 0);
		break;
	case JSON_NUMBER:
		check(n->len > 0);
		check(strbuf_append(sb, n->str, n->len) == 0);
		break;
	case JSON_STRING:
		check(n->str >= d->strings && n->str + n->len < d->strings +
		      d->used + 1);
		check(json_put_str(sb, n->str, n->len) == 0);
		break;
	case JSON_ARRAY:
	case JSON_OBJECT:
		check(strbuf_append_str(sb, n->type == JSON_ARRAY ? "[" : "{")
		      == 0);
		for (k = json_child(d, n); k != NULL; k = json_next(d, k)) {
			check(k > d->nodes && k < d->nodes + d->count);
			if (k != json_child(d, n))
				check(strbuf_append_str(sb, ",") == 0);
			if (n->type == JSON_OBJECT) {
				check(k->key != NULL);
				check(json_put_str(sb, k->key, k->keylen) == 0);
				check(strbuf_append_str(sb, ":") == 0);
			}
			write_node(d, k, sb, depth + 1);
		}
		check(strbuf_append_str(sb, n->type == JSON_ARRAY ? "]" : "}")
		      == 0);
		break;
	}
}

/* valid_utf8 - is the whole buffer well-formed UTF-8? */
static int
valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t k = json_utf8_len(s + i, n - i);

		if (k == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* rewrite - parse text and write it back into out; the node count */
static size_t
rewrite(const char *text, size_t len, struct strbuf *out)
{
	struct json_doc d;
	struct err e;
	size_t n;

	check(json_parse(text, len, &d, &e) == 0);
	strbuf_init(out, 1 << 24);
	write_node(&d, json_root(&d), out, 0);
	n = d.count;
	json_doc_free(&d);
	return n;
}

/* round_trip - parse, write, parse again: the same shape each time, and
 * from the second writing on the same text (the first writing replaces
 * bad UTF-8 with the escape \ufffd, which reads back as U+FFFD and is
 * then written as those three bytes) */
static void
round_trip(const uint8_t *data, size_t size)
{
	struct json_doc a;
	struct strbuf sa;
	struct strbuf sb;
	struct strbuf sc;
	struct err e;

	if (json_parse((const char *)data, size, &a, &e) < 0) {
		check(a.nodes == NULL && e.text[0] != '\0');
		return;
	}
	strbuf_init(&sa, 1 << 24);
	write_node(&a, json_root(&a), &sa, 0);
	check(valid_utf8((const unsigned char *)sa.data, sa.len));
	check(rewrite(sa.data, sa.len, &sb) == a.count);
	check(rewrite(sb.data, sb.len, &sc) == a.count);
	check(sb.len == sc.len && memcmp(sb.data, sc.data, sb.len) == 0);
	json_doc_free(&a);
	strbuf_free(&sa);
	strbuf_free(&sb);
	strbuf_free(&sc);
}

/* escape - the wire-text direction */
static void
escape(const uint8_t *data, size_t size)
{
	struct strbuf sb;
	struct json_doc d;
	struct err e;
	const struct json_node *n;

	strbuf_init(&sb, 1 << 24);
	check(json_put_str(&sb, (const char *)data, size) == 0);
	check(valid_utf8((const unsigned char *)sb.data, sb.len));
	check(memchr(sb.data, '\n', sb.len) == NULL);
	check(json_parse(sb.data, sb.len, &d, &e) == 0);
	n = json_root(&d);
	check(n->type == JSON_STRING);
	if (valid_utf8(data, size))
		check(n->len == size && memcmp(n->str, data, size) == 0);
	else
		check(valid_utf8((const unsigned char *)n->str, n->len));
	json_doc_free(&d);
	strbuf_free(&sb);
}

/* LLVMFuzzerTestOneInput - one input, both directions */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	round_trip(data, size);
	escape(data, size);
	return 0;
}
