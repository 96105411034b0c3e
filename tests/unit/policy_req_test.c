/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * policy_req_test - the policy request reader: real Postfix requests,
 * pipelining, every protocol error of SMTPD_POLICY_README and
 * doc/failures.md rows P1-P7, and the limits.
 *
 * Each row is a byte stream and what the reader must make of it: the
 * requests it hands out (rendered "attr=value;..." in enum order), then
 * either "need more" (with the bytes still held) or an error naming the
 * problem.  Every row runs three ways that must agree: the stream in one
 * piece, one byte at a time, and split in two at every position.
 */
#include "policy_req.h"

#include <string.h>

#include "rg_test.h"
#include "strbuf.h"

#define OUT_MAX 65536

/* A real request of Postfix 3.7 at RCPT (as smtpd_check.c sends it). */
#define PF_RCPT                                                                \
	"request=smtpd_access_policy\n"                                        \
	"protocol_state=RCPT\n"                                                \
	"protocol_name=ESMTP\n"                                                \
	"client_address=192.0.2.7\n"                                           \
	"client_name=mx.example.net\n"                                         \
	"client_port=40522\n"                                                  \
	"reverse_client_name=mx.example.net\n"                                 \
	"server_address=127.0.0.1\n"                                           \
	"server_port=25\n"                                                     \
	"helo_name=mx.example.net\n"                                           \
	"sender=ann@example.com\n"                                             \
	"recipient=bo@example.org\n"                                           \
	"recipient_count=0\n"                                                  \
	"queue_id=\n"                                                          \
	"instance=2b44.6747a3c1.c7e4f.0\n"                                     \
	"size=1234\n"                                                          \
	"etrn_domain=\n"                                                       \
	"stress=\n"                                                            \
	"sasl_method=PLAIN\n"                                                  \
	"sasl_username=ann\n"                                                  \
	"sasl_sender=\n"                                                       \
	"ccert_subject=\n"                                                     \
	"ccert_issuer=\n"                                                      \
	"ccert_fingerprint=\n"                                                 \
	"ccert_pubkey_fingerprint=\n"                                          \
	"encryption_protocol=TLSv1.3\n"                                        \
	"encryption_cipher=TLS_AES_256_GCM_SHA384\n"                           \
	"encryption_keysize=256\n"                                             \
	"policy_context=\n"                                                    \
	"compatibility_level=3.6\n"                                            \
	"mail_version=3.7.11\n"                                                \
	"\n"

#define PF_RCPT_OUT                                                            \
	"request=smtpd_access_policy;protocol_state=RCPT;"                     \
	"protocol_name=ESMTP;helo_name=mx.example.net;queue_id=;"              \
	"sender=ann@example.com;recipient=bo@example.org;"                     \
	"recipient_count=0;client_address=192.0.2.7;"                          \
	"client_name=mx.example.net;instance=2b44.6747a3c1.c7e4f.0;"           \
	"sasl_username=ann;size=1234;|"

#define REQ "request=smtpd_access_policy\n"

static const struct policy_req_limits lim_default = {4096, 128, 32768};
static const struct policy_req_limits lim_small = {16, 4, 64};

struct row {
	const char *name;
	const char *in;
	size_t inlen;			/* 0: strlen(in) */
	const struct policy_req_limits *lim;
	const char *want_out;		/* requests, each ending in '|' */
	const char *want_error;		/* NULL: no error */
	size_t want_held;		/* bytes held after the last request */
};

static const struct row rows[] = {
	{"real_postfix_rcpt_request", PF_RCPT, 0, &lim_default, PF_RCPT_OUT,
	 NULL, 0},
	{"pipelined_requests_in_order",
	 REQ "sender=a@x\n\n" REQ "sender=b@x\n\n", 0, &lim_default,
	 "request=smtpd_access_policy;sender=a@x;|"
	 "request=smtpd_access_policy;sender=b@x;|",
	 NULL, 0},
	{"partial_second_request_is_held",
	 REQ "sender=a@x\n\n" REQ "send", 0, &lim_default,
	 "request=smtpd_access_policy;sender=a@x;|", NULL,
	 sizeof(REQ "send") - 1},
	{"request_without_empty_line_waits", REQ "sender=a@x\n", 0,
	 &lim_default, "", NULL, sizeof(REQ "sender=a@x\n") - 1},
	{"unknown_attributes_ignored",
	 REQ "tls_sni=mx.test\nx-future=1\nsender=a@x\n\n", 0, &lim_default,
	 "request=smtpd_access_policy;sender=a@x;|", NULL, 0},
	{"duplicate_attribute_keeps_last",
	 REQ "sender=first@x\nsender=last@x\n\n", 0, &lim_default,
	 "request=smtpd_access_policy;sender=last@x;|", NULL, 0},
	{"value_may_hold_equals", REQ "sasl_username=a=b==\n\n", 0,
	 &lim_default, "request=smtpd_access_policy;sasl_username=a=b==;|",
	 NULL, 0},
	{"empty_value_is_null_sender", REQ "sender=\n\n", 0, &lim_default,
	 "request=smtpd_access_policy;sender=;|", NULL, 0},
	{"crlf_line_ends_accepted",
	 "request=smtpd_access_policy\r\nsender=a@x\r\n\r\n", 0,
	 &lim_default, "request=smtpd_access_policy;sender=a@x;|", NULL, 0},
	{"eight_bit_value_kept", REQ "sender=\xc3\xa9@x\n\n", 0, &lim_default,
	 "request=smtpd_access_policy;sender=\xc3\xa9@x;|", NULL, 0},
	{"empty_request_is_error", "\n", 0, &lim_default, "",
	 "without a request= attribute", 0},
	{"missing_request_attribute_is_error", "sender=a@x\n\n", 0,
	 &lim_default, "", "without a request= attribute", 0},
	{"other_request_type_is_error", "request=junk\nsender=a@x\n\n", 0,
	 &lim_default, "", "request=junk is not smtpd_access_policy", 0},
	{"line_without_equals_is_error", REQ "garbage\n\n", 0, &lim_default,
	 "", "attribute line 2 has no '=': \"garbage\"", 0},
	{"empty_name_is_error", REQ "=value\n\n", 0, &lim_default, "",
	 "attribute line 2 has an empty name", 0},
	{"nul_byte_is_error_at_once", REQ "sender=a\0", sizeof(REQ) + 8,
	 &lim_default, "", "NUL byte in attribute line 2", 0},
	{"binary_garbage_is_error", "\x01\x02\xff\xfe\n\n", 0, &lim_default,
	 "", "has no '=': \"\\x01\\x02\\xff\\xfe\"", 0},
	{"error_after_good_request",
	 REQ "sender=a@x\n\n" REQ "bad line\n\n", 0, &lim_default,
	 "request=smtpd_access_policy;sender=a@x;|", "has no '='", 0},
	{"line_at_limit_passes", "request=smtpd_access_policy\nsender=0123456789\n\n", 0,
	 &(const struct policy_req_limits){27, 8, 1024},
	 "request=smtpd_access_policy;sender=0123456789;|", NULL, 0},
	{"line_over_limit_is_error_before_newline",
	 "request=smtpd_access_policy", 0,
	 &(const struct policy_req_limits){26, 8, 1024}, "",
	 "attribute line 1 longer than 26 bytes", 0},
	{"attributes_at_limit_pass",
	 "request=smtpd_access_policy\na=1\nb=2\nc=3\n\n", 0,
	 &(const struct policy_req_limits){64, 4, 1024},
	 "request=smtpd_access_policy;|", NULL, 0},
	{"attributes_over_limit_are_error",
	 "request=smtpd_access_policy\na=1\nb=2\nc=3\nd=4\n", 0,
	 &(const struct policy_req_limits){64, 4, 1024}, "",
	 "more than 4 attributes in one request", 0},
	{"request_at_size_limit_passes", "request=smtpd_access_policy\n\n", 0,
	 &(const struct policy_req_limits){64, 4, 29},
	 "request=smtpd_access_policy;|", NULL, 0},
	{"request_over_size_limit_is_error",
	 "request=smtpd_access_policy\na=1\n", 0,
	 &(const struct policy_req_limits){64, 8, 30}, "",
	 "request larger than 30 bytes", 0},
	{"small_limits_one_line_too_long", "request=smtpd_access_policy\n\n",
	 0, &lim_small, "", "longer than 16 bytes", 0},
};

/* render - the request as "attr=value;..." in enum order, then '|' */
static void
render(const struct policy_req *req, struct strbuf *sb)
{
	int a;

	for (a = 0; a < POLICY_ATTR_COUNT; a++) {
		if (req->value[a] == NULL)
			continue;
		assert_int_equal(strlen(req->value[a]), req->len[a]);
		assert_int_equal(strbuf_printf(sb, "%s=%s;",
					       policy_req_attr_name(
						       (enum policy_attr)a),
					       req->value[a]),
				 0);
	}
	assert_int_equal(strbuf_append_str(sb, "|"), 0);
}

/* drain - hand out every complete request; rc of the last next() */
static int
drain(struct policy_req_reader *r, struct strbuf *out, struct err *e)
{
	struct policy_req req;
	int rc;

	while ((rc = policy_req_next(r, &req, e)) == 1)
		render(&req, out);
	return rc;
}

/* run_split - feed in as pieces [0,a) [a,b) [b,len) ... by step bytes
 * after the first cut at first; the output and the final rc */
static int
run_split(const struct row *row, size_t first, size_t step,
	  struct strbuf *out, struct err *e, size_t *held)
{
	struct policy_req_reader r;
	size_t len = row->inlen ? row->inlen : strlen(row->in);
	size_t off = 0;
	int rc = 0;

	policy_req_reader_init(&r, row->lim);
	while (off < len) {
		size_t n = off == 0 ? first : step;

		if (n == 0 || n > len - off)
			n = len - off;
		/* a failed reader may refuse bytes: that is fine */
		(void)policy_req_feed(&r, row->in + off, n);
		off += n;
		rc = drain(&r, out, e);
		if (rc < 0)
			break;
	}
	if (len == 0)
		rc = drain(&r, out, e);
	*held = policy_req_buffered(&r);
	assert_true(r.cap <= row->lim->max_request);
	policy_req_reader_free(&r);
	return rc;
}

/* check_result - one way of feeding gave what the row wants */
static void
check_result(const struct row *row, const char *how, int rc,
	     const struct strbuf *out, const struct err *e, size_t held)
{
	const char *got = out->data ? out->data : "";

	if (strcmp(got, row->want_out) != 0)
		fail_msg("%s: requests\n got  %s\n want %s", how, got,
			 row->want_out);
	if (row->want_error != NULL) {
		if (rc != -1)
			fail_msg("%s: rc %d, want error", how, rc);
		assert_true(rg_has(e->text, row->want_error));
	} else {
		if (rc != 0)
			fail_msg("%s: rc %d (%s), want 0", how, rc,
				 rc < 0 ? e->text : "");
		assert_int_equal(held, row->want_held);
	}
}

/* test_row - the stream whole, byte by byte, and cut in two anywhere */
static void
test_row(void **state)
{
	const struct row *row = *state;
	size_t len = row->inlen ? row->inlen : strlen(row->in);
	struct strbuf out;
	struct err e;
	size_t held;
	size_t cut;
	int rc;
	char how[64];

	strbuf_init(&out, OUT_MAX);
	rc = run_split(row, len, len, &out, &e, &held);
	check_result(row, "whole", rc, &out, &e, held);
	strbuf_reset(&out);
	rc = run_split(row, 1, 1, &out, &e, &held);
	check_result(row, "byte by byte", rc, &out, &e, held);
	for (cut = 1; cut < len; cut++) {
		strbuf_reset(&out);
		rc = run_split(row, cut, len, &out, &e, &held);
		snprintf(how, sizeof(how), "cut at %zu", cut);
		check_result(row, how, rc, &out, &e, held);
	}
	strbuf_free(&out);
}

/* test_many_attributes_bounded - 100,000 attributes (P4): error at the
 * limit, and the buffer never grows past max_request */
static void
test_many_attributes_bounded(void **state)
{
	struct policy_req_reader r;
	struct policy_req req;
	struct err e;
	size_t i;
	int rc = 0;

	(void)state;
	policy_req_reader_init(&r, &lim_default);
	(void)policy_req_feed(&r, REQ, strlen(REQ));
	for (i = 0; i < 100000 && rc == 0; i++) {
		(void)policy_req_feed(&r, "x=1\n", 4);
		rc = policy_req_next(&r, &req, &e);
		assert_true(r.cap <= lim_default.max_request);
	}
	assert_int_equal(rc, -1);
	assert_true(rg_has(e.text, "more than 128 attributes"));
	assert_int_equal(i, 128);	/* found at once, not at the end */
	policy_req_reader_free(&r);
}

/* test_endless_line_bounded - bytes with no newline at all (garbage, a
 * slow client): error once max_line is passed, memory bounded */
static void
test_endless_line_bounded(void **state)
{
	struct policy_req_reader r;
	struct policy_req req;
	struct err e;
	char chunk[1000];
	size_t total = 0;
	int rc = 0;

	(void)state;
	memset(chunk, 'a', sizeof(chunk));
	policy_req_reader_init(&r, &lim_default);
	while (rc == 0 && total < 1000000) {
		total += policy_req_feed(&r, chunk, sizeof(chunk));
		rc = policy_req_next(&r, &req, &e);
	}
	assert_int_equal(rc, -1);
	assert_true(rg_has(e.text, "longer than 4096 bytes"));
	assert_true(total <= 5000);
	assert_true(r.cap <= lim_default.max_request);
	policy_req_reader_free(&r);
}

/* test_error_is_sticky - after an error the reader gives no request */
static void
test_error_is_sticky(void **state)
{
	struct policy_req_reader r;
	struct policy_req req;
	struct err e;

	(void)state;
	policy_req_reader_init(&r, &lim_default);
	(void)policy_req_feed(&r, "junk\n", 5);
	assert_int_equal(policy_req_next(&r, &req, &e), -1);
	(void)policy_req_feed(&r, REQ "\n", strlen(REQ) + 1);
	assert_int_equal(policy_req_next(&r, &req, &e), -1);
	policy_req_reader_free(&r);
}

/* test_values_stay_until_next - a handed-out request's values are
 * intact while more bytes wait unread in the buffer */
static void
test_values_stay_until_next(void **state)
{
	struct policy_req_reader r;
	struct policy_req req;
	struct err e;
	const char two[] = REQ "sender=a@x\n\n" REQ "sender=b@x\n\n";

	(void)state;
	policy_req_reader_init(&r, &lim_default);
	assert_int_equal(policy_req_feed(&r, two, strlen(two)), strlen(two));
	assert_int_equal(policy_req_next(&r, &req, &e), 1);
	assert_string_equal(req.value[POLICY_ATTR_SENDER], "a@x");
	assert_int_equal(req.size, strlen(REQ "sender=a@x\n\n"));
	assert_int_equal(policy_req_buffered(&r), req.size);
	assert_int_equal(policy_req_next(&r, &req, &e), 1);
	assert_string_equal(req.value[POLICY_ATTR_SENDER], "b@x");
	assert_int_equal(policy_req_next(&r, &req, &e), 0);
	assert_int_equal(policy_req_buffered(&r), 0);
	policy_req_reader_free(&r);
}

/* test_trim_gives_back_big_buffer - an idle connection keeps at most the
 * first allocation */
static void
test_trim_gives_back_big_buffer(void **state)
{
	struct policy_req_reader r;
	struct policy_req req;
	struct err e;
	char big[6000];

	(void)state;
	memset(big, 'v', sizeof(big));
	policy_req_reader_init(&r, &(const struct policy_req_limits){
					   8000, 8, 16384});
	(void)policy_req_feed(&r, REQ "x=", strlen(REQ) + 2);
	(void)policy_req_feed(&r, big, sizeof(big));
	(void)policy_req_feed(&r, "\n\n", 2);
	assert_int_equal(policy_req_next(&r, &req, &e), 1);
	assert_true(r.cap > 6000);
	policy_req_trim(&r);
	assert_null(r.buf);
	assert_int_equal(r.cap, 0);
	/* a small buffer is kept: no allocation per request */
	(void)policy_req_feed(&r, REQ "\n", strlen(REQ) + 1);
	assert_int_equal(policy_req_next(&r, &req, &e), 1);
	policy_req_trim(&r);
	assert_non_null(r.buf);
	policy_req_reader_free(&r);
}

/* test_attr_names - names as Postfix spells them; out of range is "?" */
static void
test_attr_names(void **state)
{
	(void)state;
	assert_string_equal(policy_req_attr_name(POLICY_ATTR_SASL_USERNAME),
			    "sasl_username");
	assert_string_equal(policy_req_attr_name(POLICY_ATTR_COUNT), "?");
}

int
main(void)
{
	static struct rg_cases c;

	RG_ADD_ROWS(&c, rows, test_row);
	rg_case_add(&c, "many_attributes_bounded",
		    test_many_attributes_bounded, NULL);
	rg_case_add(&c, "endless_line_bounded", test_endless_line_bounded,
		    NULL);
	rg_case_add(&c, "error_is_sticky", test_error_is_sticky, NULL);
	rg_case_add(&c, "values_stay_until_next", test_values_stay_until_next,
		    NULL);
	rg_case_add(&c, "trim_gives_back_big_buffer",
		    test_trim_gives_back_big_buffer, NULL);
	rg_case_add(&c, "attr_names", test_attr_names, NULL);
	return rg_cases_run(&c, "policy_req", NULL, NULL);
}
