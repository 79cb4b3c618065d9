/*
 * Crypto wrappers over OpenSSL 3 EVP.  Nothing else in the project calls
 * OpenSSL's crypto directly.
 */
#ifndef PROTO_CRYPTO_H
#define PROTO_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_SHA256_LEN 32

int proto_sha256(const void *data, size_t len,
    uint8_t out[PROTO_SHA256_LEN]);
/* Fill buf with n bytes from the system's CSPRNG. */
int proto_random(void *buf, size_t n);
/* Constant-time comparison: 0 when equal. */
int proto_memcmp_ct(const void *a, const void *b, size_t n);
/* Wipe a secret so the compiler cannot drop it. */
void proto_cleanse(void *p, size_t n);

#endif
