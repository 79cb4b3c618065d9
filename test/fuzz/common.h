/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the fuzz targets share.  Each target test/fuzz/fuzz_NAME.c defines
 * only LLVMFuzzerTestOneInput(); it is linked with common.o and either
 * replay.o (a plain program that replays corpus files, built by
 * `make tests`) or libFuzzer (`make fuzz`, clang).
 *
 * A target returns 0 for every input.  A broken invariant (something the
 * code under test promised and did not keep) calls fuzz_fail(), which
 * names it on stderr and aborts: libFuzzer and the replayer both report
 * the abort as a failure with the input that caused it.
 *
 * The keys are fixed so the committed corpus (made by mkcorpus.c) holds
 * blocks, ECMs, commands and M1 files the targets can verify and open,
 * which lets the fuzzer reach the code behind the signature and tag.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "../../proto/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The card's signing key pair (blocks) and the center's (commands). */
extern const uint8_t fuzz_sign_priv[PROTO_EC_PRIV_LEN];
extern const uint8_t fuzz_sign_pub[PROTO_EC_PUB_LEN];
/* The transmission key, the ECM key and the decoder's M1 key. */
extern const uint8_t fuzz_kt[PROTO_AES_KEY_LEN];
extern const uint8_t fuzz_ecm_key[PROTO_AES_KEY_LEN];
extern const uint8_t fuzz_m1_key[PROTO_AES_KEY_LEN];
extern const uint8_t fuzz_decoder_id[8];

/* Report a broken invariant and abort. */
void fuzz_fail(const char *target, const char *what) __attribute__((noreturn));

/*
 * fuzz_fail() unless cond holds.  Inline, so the static analyzer sees that
 * nothing after a failed requirement runs.
 */
static inline void
fuzz_require(int cond, const char *target, const char *what)
{
	if (!cond)
		fuzz_fail(target, what);
}

#endif
