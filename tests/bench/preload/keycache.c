/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keycache.so - LD_PRELOAD experiment for tests/bench/bench.sh: what would
 * the filter gain if the RSA key were parsed once, not per message?
 *
 * libopendkim 2.11 keeps the private key as text and parses it in every
 * dkim_eom() (dkim_privkey_load -> PEM_read_bio_PrivateKey).  With OpenSSL
 * 3.0 that decode (OSSL_DECODER) and the RSA blinding set-up a fresh key
 * needs cost more than the RSA signature itself.  This wrapper returns a
 * cached EVP_PKEY (one more reference) for key text it has seen, so the
 * key is decoded once and its blinding is reused, as a signer holding an
 * EVP_PKEY from startup would do.  Thread-safe; at most 8 keys.
 *
 * BENCH_PRELOAD=keycache builds it and preloads it into the filter.  Not
 * part of relayguard.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

typedef EVP_PKEY *pem_fn(BIO *, EVP_PKEY **, pem_password_cb *, void *);

static pthread_mutex_t kc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char *text;
	long len;
	EVP_PKEY *key;
} kc[8];
static int kc_n;

/* kc_find - a new reference to the cached key for TEXT, or NULL */
static EVP_PKEY *
kc_find(const char *text, long len)
{
	EVP_PKEY *k = NULL;
	int i;

	pthread_mutex_lock(&kc_lock);
	for (i = 0; i < kc_n; i++)
		if (kc[i].len == len && memcmp(kc[i].text, text, len) == 0) {
			if (EVP_PKEY_up_ref(kc[i].key) == 1)
				k = kc[i].key;
			break;
		}
	pthread_mutex_unlock(&kc_lock);
	return k;
}

EVP_PKEY *
PEM_read_bio_PrivateKey(BIO *bp, EVP_PKEY **x, pem_password_cb *cb, void *u)
{
	static pem_fn *real;
	char *text = NULL;
	long len;
	EVP_PKEY *k;

	if (real == NULL)
		real = (pem_fn *)dlsym(RTLD_NEXT, "PEM_read_bio_PrivateKey");
	len = BIO_get_mem_data(bp, &text);
	if (x != NULL || len <= 0 || text == NULL)
		return real(bp, x, cb, u);
	if ((k = kc_find(text, len)) != NULL)
		return k;
	k = real(bp, NULL, cb, u);
	if (k == NULL)
		return NULL;
	pthread_mutex_lock(&kc_lock);
	if (kc_n < 8 && EVP_PKEY_up_ref(k) == 1) {
		if ((kc[kc_n].text = malloc((size_t)len)) == NULL) {
			EVP_PKEY_free(k);	/* the extra reference */
		} else {
			memcpy(kc[kc_n].text, text, (size_t)len);
			kc[kc_n].len = len;
			kc[kc_n].key = k;
			kc_n++;
		}
	}
	pthread_mutex_unlock(&kc_lock);
	return k;
}
