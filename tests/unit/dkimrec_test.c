/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dkimrec_test - DKIM key records: the tag-list parser (rows of record
 * text in, fields or exact error out), strict base64, and building a
 * record for a key then matching it against the same and other keys.
 */
#include "dkimrec.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "rg_test.h"

/* --- parsing ------------------------------------------------------------- */

struct parse_row {
	const char *name;
	const char *txt;
	const char *err;	/* NULL: parses */
	const char *k;
	size_t plen;
	int revoked;
};

static const struct parse_row parse_rows[] = {
	{"plain_rsa_record", "v=DKIM1; k=rsa; p=QUJD", NULL, "rsa", 3, 0},
	{"key_type_defaults_to_rsa", "p=QUJD", NULL, "rsa", 3, 0},
	{"ed25519_key_type", "v=DKIM1; k=ed25519; p=QUJDRA==", NULL,
	 "ed25519", 4, 0},
	{"white_space_everywhere", " v = DKIM1 ;\tk=rsa ;\r\n p = QU JD ",
	 NULL, "rsa", 3, 0},
	{"trailing_semicolon_is_fine", "v=DKIM1; p=QUJD;", NULL, "rsa", 3, 0},
	{"unknown_tags_are_ignored", "v=DKIM1; x_new=1; n=notes; s=email; "
				     "p=QUI=", NULL, "rsa", 2, 0},
	{"empty_p_means_revoked", "v=DKIM1; p=", NULL, "rsa", 0, 1},
	{"flags_and_hashes_kept", "v=DKIM1; h=sha256; t=y:s; p=QUJD", NULL,
	 "rsa", 3, 0},
	{"missing_p_is_malformed", "v=DKIM1; k=rsa", "no p= tag", NULL, 0, 0},
	{"v_not_first_is_malformed", "k=rsa; v=DKIM1; p=QUJD",
	 "v= must be the first tag", NULL, 0, 0},
	{"other_version_is_malformed", "v=DKIM2; p=QUJD",
	 "v=DKIM2 is not DKIM1", NULL, 0, 0},
	{"duplicate_tag_is_malformed", "p=QUJD; p=QUJD",
	 "tag p appears twice", NULL, 0, 0},
	{"bad_base64_character", "p=QU*D", "p= is not valid base64", NULL, 0,
	 0},
	{"base64_without_padding", "p=QUI", "p= is not valid base64", NULL, 0,
	 0},
	{"base64_data_after_padding", "p=QQ==QUJD", "p= is not valid base64",
	 NULL, 0, 0},
	{"eight_bit_byte_in_value", "v=DKIM1; n=caf\xc3\xa9; p=QUJD",
	 "tag n: byte 0xc3 is not allowed", NULL, 0, 0},
	{"tag_without_equals", "v=DKIM1; p", "tag p has no '='", NULL, 0, 0},
	{"tag_starting_with_digit", "1p=QUJD",
	 "a tag name must start with a letter", NULL, 0, 0},
	{"html_record_is_malformed", "<html>", "a tag name must start with a "
					       "letter", NULL, 0, 0},
	{"spf_record_is_malformed", "v=spf1 -all", "v=spf1 -all is not DKIM1",
	 NULL, 0, 0},
};

/* test_parse - one row */
static void
test_parse(void **state)
{
	const struct parse_row *r = *state;
	struct dkimrec rec;
	struct err e;
	int rc = dkimrec_parse(r->txt, strlen(r->txt), &rec, &e);

	if (r->err != NULL) {
		assert_int_equal(rc, -1);
		assert_string_equal(e.text, r->err);
		assert_null(rec.p);
		return;
	}
	assert_int_equal(rc, 0);
	assert_string_equal(rec.k, r->k);
	assert_int_equal(rec.plen, r->plen);
	assert_int_equal(rec.revoked, r->revoked);
	dkimrec_free(&rec);
}

/* test_nul_and_length_are_refused - binary and oversized records */
static void
test_nul_and_length_are_refused(void **state)
{
	static char big[DKIMREC_TXT_MAX + 2];
	struct dkimrec rec;
	struct err e;

	(void)state;
	assert_int_equal(dkimrec_parse("p=QU\0JD", 7, &rec, &e), -1);
	assert_string_equal(e.text, "record holds a NUL byte");
	memset(big, 'A', sizeof(big));
	memcpy(big, "p=", 2);
	assert_int_equal(dkimrec_parse(big, sizeof(big), &rec, &e), -1);
	assert_string_equal(e.text, "record longer than 4096 bytes");
}

struct b64_row {
	const char *name;
	const char *in;
	int rc;
	const char *out;
};

static const struct b64_row b64_rows[] = {
	{"b64_three_bytes", "QUJD", 0, "ABC"},
	{"b64_two_bytes_one_pad", "QUI=", 0, "AB"},
	{"b64_one_byte_two_pads", "QQ==", 0, "A"},
	{"b64_spaces_inside", " Q U\r\n\tJD ", 0, "ABC"},
	{"b64_empty_is_empty", "", 0, ""},
	{"b64_three_pads_refused", "Q===", -1, NULL},
	{"b64_short_group_refused", "QUJDR", -1, NULL},
	{"b64_url_alphabet_refused", "QU-_", -1, NULL},
};

/* test_b64 - one base64 row; the output bound is honoured */
static void
test_b64(void **state)
{
	const struct b64_row *r = *state;
	unsigned char out[16];
	size_t n = 99;

	assert_int_equal(dkimrec_base64_decode(r->in, strlen(r->in), out,
					       sizeof(out), &n), r->rc);
	if (r->rc == 0) {
		assert_int_equal(n, strlen(r->out));
		assert_memory_equal(out, r->out, n);
		if (n > 0)
			assert_int_equal(dkimrec_base64_decode(
				r->in, strlen(r->in), out, n - 1, &n), -1);
	}
}

/* --- build and match ----------------------------------------------------- */

/* keygen - a new key: EVP_PKEY_RSA (1024 bits, quick) or ED25519 */
static EVP_PKEY *
keygen(int type)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(type, NULL);
	EVP_PKEY *k = NULL;

	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
	if (type == EVP_PKEY_RSA)
		assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 1024),
				 1);
	assert_int_equal(EVP_PKEY_keygen(ctx, &k), 1);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

/* record_for - build, then parse, the record of key */
static void
record_for(EVP_PKEY *key, struct dkimrec *rec)
{
	struct strbuf sb;
	struct err e;

	strbuf_init(&sb, 8192);
	assert_int_equal(dkimrec_build(key, &sb, &e), 0);
	assert_int_equal(dkimrec_parse(sb.data, sb.len, rec, &e), 0);
	strbuf_free(&sb);
}

/* test_rsa_record_matches_its_key_only - own key 1, another key 0 */
static void
test_rsa_record_matches_its_key_only(void **state)
{
	EVP_PKEY *a = keygen(EVP_PKEY_RSA);
	EVP_PKEY *b = keygen(EVP_PKEY_RSA);
	struct dkimrec rec;
	struct err e;

	(void)state;
	record_for(a, &rec);
	assert_string_equal(rec.k, "rsa");
	assert_int_equal(dkimrec_matches(&rec, a, &e), 1);
	assert_int_equal(dkimrec_matches(&rec, b, &e), 0);
	assert_string_equal(e.text, "the published key is not the private "
				    "key's public half");
	dkimrec_free(&rec);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
}

/* test_ed25519_record_is_raw_32_bytes - RFC 8463 form */
static void
test_ed25519_record_is_raw_32_bytes(void **state)
{
	EVP_PKEY *a = keygen(EVP_PKEY_ED25519);
	EVP_PKEY *b = keygen(EVP_PKEY_ED25519);
	struct strbuf sb;
	struct dkimrec rec;
	struct err e;

	(void)state;
	strbuf_init(&sb, 8192);
	assert_int_equal(dkimrec_build(a, &sb, &e), 0);
	assert_int_equal(strncmp(sb.data, "v=DKIM1; k=ed25519; p=", 22), 0);
	assert_int_equal(sb.len, 22 + 44);	/* base64 of 32 bytes */
	record_for(a, &rec);
	assert_int_equal(rec.plen, 32);
	assert_int_equal(dkimrec_matches(&rec, a, &e), 1);
	assert_int_equal(dkimrec_matches(&rec, b, &e), 0);
	dkimrec_free(&rec);
	strbuf_free(&sb);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
}

/* test_key_type_mismatch_is_a_mismatch - k=rsa record, Ed25519 key */
static void
test_key_type_mismatch_is_a_mismatch(void **state)
{
	EVP_PKEY *rsa = keygen(EVP_PKEY_RSA);
	EVP_PKEY *ed = keygen(EVP_PKEY_ED25519);
	struct dkimrec rec;
	struct err e;

	(void)state;
	record_for(rsa, &rec);
	assert_int_equal(dkimrec_matches(&rec, ed, &e), 0);
	assert_string_equal(e.text, "the record says k=rsa, the private key "
				    "is ed25519");
	dkimrec_free(&rec);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
}

/* test_pkcs1_rsa_form_matches - p= as a bare RSAPublicKey */
static void
test_pkcs1_rsa_form_matches(void **state)
{
	EVP_PKEY *a = keygen(EVP_PKEY_RSA);
	unsigned char *der = NULL;
	unsigned char b64[2048];
	char txt[2100];
	struct dkimrec rec;
	struct err e;
	int n;

	(void)state;
	n = i2d_PublicKey(a, &der);
	assert_true(n > 0);
	n = EVP_EncodeBlock(b64, der, n);
	snprintf(txt, sizeof(txt), "v=DKIM1; p=%s", (char *)b64);
	assert_int_equal(dkimrec_parse(txt, strlen(txt), &rec, &e), 0);
	assert_int_equal(dkimrec_matches(&rec, a, &e), 1);
	dkimrec_free(&rec);
	OPENSSL_free(der);
	EVP_PKEY_free(a);
}

struct bad_row {
	const char *name;
	const char *txt;
	int ed;			/* compare with an Ed25519 key */
	int rc;
	const char *err;
};

static const struct bad_row bad_rows[] = {
	{"revoked_key_is_a_mismatch", "v=DKIM1; p=", 0, 0,
	 "the key was revoked (empty p=)"},
	{"unknown_key_type_is_unusable", "v=DKIM1; k=dsa; p=QUJD", 0, -1,
	 "unknown key type k=dsa"},
	{"junk_rsa_key_is_unusable", "v=DKIM1; p=QUJD", 0, -1,
	 "p= is not an RSA public key"},
	{"short_ed25519_key_is_unusable", "v=DKIM1; k=ed25519; p=QUJD", 1, -1,
	 "p= holds 3 bytes; an Ed25519 key is 32"},
};

/* test_bad - records that cannot match */
static void
test_bad(void **state)
{
	const struct bad_row *r = *state;
	EVP_PKEY *k = keygen(r->ed ? EVP_PKEY_ED25519 : EVP_PKEY_RSA);
	struct dkimrec rec;
	struct err e;

	assert_int_equal(dkimrec_parse(r->txt, strlen(r->txt), &rec, &e), 0);
	assert_int_equal(dkimrec_matches(&rec, k, &e), r->rc);
	assert_string_equal(e.text, r->err);
	dkimrec_free(&rec);
	EVP_PKEY_free(k);
}

int
main(void)
{
	static struct rg_cases c;

	RG_ADD_ROWS(&c, parse_rows, test_parse);
	rg_case_add(&c, "nul_and_length_are_refused",
		    test_nul_and_length_are_refused, NULL);
	RG_ADD_ROWS(&c, b64_rows, test_b64);
	rg_case_add(&c, "rsa_record_matches_its_key_only",
		    test_rsa_record_matches_its_key_only, NULL);
	rg_case_add(&c, "ed25519_record_is_raw_32_bytes",
		    test_ed25519_record_is_raw_32_bytes, NULL);
	rg_case_add(&c, "key_type_mismatch_is_a_mismatch",
		    test_key_type_mismatch_is_a_mismatch, NULL);
	rg_case_add(&c, "pkcs1_rsa_form_matches", test_pkcs1_rsa_form_matches,
		    NULL);
	RG_ADD_ROWS(&c, bad_rows, test_bad);
	return rg_cases_run(&c, "dkimrec", NULL, NULL);
}
