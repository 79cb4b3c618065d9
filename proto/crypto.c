#include <limits.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto.h"
#include "proto.h"

int
proto_sha256(const void *data, size_t len, uint8_t out[PROTO_SHA256_LEN])
{
	unsigned int n = 0;

	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 ||
	    n != PROTO_SHA256_LEN)
		return PROTO_ERR_CRYPTO;
	return 0;
}

int
proto_random(void *buf, size_t n)
{
	if (n > (size_t)INT_MAX)
		return PROTO_ERR_ARG;
	return RAND_bytes(buf, (int)n) == 1 ? 0 : PROTO_ERR_CRYPTO;
}

int
proto_memcmp_ct(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0 ? 0 : 1;
}

void
proto_cleanse(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
}
