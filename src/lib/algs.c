/*
 * algs.c - owns the algorithms of the invoice path, fetched from the
 * provider once. EVP_aes_256_cbc() and EVP_sha256() are looked up again by
 * every EVP_CipherInit_ex() and EVP_Digest() (an "implicit fetch", with
 * its locks), which a server verifying thousands of invoices a second pays
 * on each. Should a fetch fail, the implicit one still works.
 */
#include <pthread.h>
#include <openssl/evp.h>
#include "internal.h"

static pthread_once_t algs_once = PTHREAD_ONCE_INIT;
static EVP_CIPHER *aes_256_cbc;
static EVP_MD *sha256;

static void algs_fetch(void)
{
	aes_256_cbc = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
	sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

const EVP_CIPHER *ksef__aes_256_cbc(void)
{
	pthread_once(&algs_once, algs_fetch);
	return aes_256_cbc ? aes_256_cbc : EVP_aes_256_cbc();
}

const EVP_MD *ksef__sha256(void)
{
	pthread_once(&algs_once, algs_fetch);
	return sha256 ? sha256 : EVP_sha256();
}

void ksef__algs_free(void)
{
	/* Later calls fall back to implicit fetches. */
	EVP_CIPHER_free(aes_256_cbc);
	EVP_MD_free(sha256);
	aes_256_cbc = NULL;
	sha256 = NULL;
}
