/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * json - JSON text out (escaping wire text) and a small bounded reader.
 *
 * Writing: json_put_str() appends a quoted JSON string to a strbuf.  Bytes
 * from the wire are not trusted to be UTF-8, so the rule is:
 *   - '"' and '\' are escaped; \b \f \n \r \t use their short forms, other
 *     control bytes (0x00-0x1f) and DEL (0x7f) become \u00XX;
 *   - a well-formed UTF-8 sequence (RFC 3629: no overlong forms, no
 *     surrogates, nothing above U+10FFFF) is copied as it is, except
 *     U+2028 and U+2029, which are written \u2028 and \u2029 (JavaScript
 *     reads them as line ends);
 *   - every byte that does not start a well-formed sequence becomes
 *     \ufffd (U+FFFD, the replacement character), one per byte.
 * So the output is always valid UTF-8 and valid JSON, valid UTF-8 text
 * survives unchanged, and invalid bytes are visible but not recoverable.
 *
 * Reading: json_parse() reads one JSON text (RFC 8259) into a json_doc, a
 * flat array of nodes plus one buffer of decoded strings, both owned by
 * the doc.  Limits: nesting depth JSON_DEPTH_MAX; the input length bounds
 * everything else.  \u escapes are decoded to UTF-8; a lone surrogate
 * becomes U+FFFD; raw bytes inside strings are kept as they are.  Errors
 * name the byte offset.  No global state; thread-safe on distinct docs.
 */
#ifndef RG_JSON_H
#define RG_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "strbuf.h"

#define JSON_DEPTH_MAX 32

int json_put_str(struct strbuf *sb, const char *s, size_t len);
int json_put_cstr(struct strbuf *sb, const char *s);
size_t json_utf8_len(const unsigned char *s, size_t n);

enum json_type {
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

/* One value.  key is set for the members of an object; str (decoded,
 * NUL-terminated, may hold NUL bytes: use len) for strings and numbers
 * (the number's source text). */
struct json_node {
	enum json_type type;
	const char *key;
	size_t keylen;
	const char *str;
	size_t len;
	double num;
	size_t child;		/* first element/member, JSON_NONE if none */
	size_t next;		/* next sibling, JSON_NONE if last */
};

#define JSON_NONE ((size_t)-1)

struct json_doc {
	struct json_node *nodes;	/* nodes[0] is the root */
	size_t count;
	size_t cap;
	char *strings;
	size_t used;
};

int json_parse(const char *text, size_t len, struct json_doc *doc,
	       struct err *e);
void json_doc_free(struct json_doc *doc);

const struct json_node *json_root(const struct json_doc *doc);
const struct json_node *json_child(const struct json_doc *doc,
				   const struct json_node *n);
const struct json_node *json_next(const struct json_doc *doc,
				  const struct json_node *n);
const struct json_node *json_get(const struct json_doc *doc,
				 const struct json_node *obj,
				 const char *key);
const char *json_get_str(const struct json_doc *doc,
			 const struct json_node *obj, const char *key);
double json_get_num(const struct json_doc *doc, const struct json_node *obj,
		    const char *key, double def);

#endif
