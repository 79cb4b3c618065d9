/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The operator's key directory, a format shared by the center (centerd)
 * and the command lines (centerctl, headend, cardctl):
 *   master.key  32 bytes  operator master secret (transmission keys)  0600
 *   ecm.key     32 bytes  AES-256 key protecting control words        0600
 *   center.key  97 bytes  the center's signing key: private (32),
 *                         then public (65)                            0600
 *   center.pub  65 bytes  the center's public key, for the cards      0644
 *   issuer.key  97 bytes  the issuer key that signs card certificates:
 *                         private (32), then public (65)              0600
 *   issuer.pub  65 bytes  the issuer's public key, for the decoders   0644
 * Each file holds its key and nothing else; a file of another size is an
 * error.  Secrets are read into the caller's structure only (no copy left
 * on the heap) and wiped on every failure path.
 */
#ifndef PROTO_KEYDIR_H
#define PROTO_KEYDIR_H

#include <stdint.h>

#include "crypto.h"
#include "block.h"

/* The files, as bits of a mask. */
#define PROTO_KEYDIR_MASTER 0x01u     /* master.key */
#define PROTO_KEYDIR_ECM 0x02u        /* ecm.key */
#define PROTO_KEYDIR_CENTER 0x04u     /* center.key */
#define PROTO_KEYDIR_CENTER_PUB 0x08u /* center.pub */
#define PROTO_KEYDIR_ISSUER 0x10u     /* issuer.key */
#define PROTO_KEYDIR_ISSUER_PUB 0x20u /* issuer.pub */
#define PROTO_KEYDIR_ALL 0x3fu

/* A key pair's file: private, then public. */
#define PROTO_KEYDIR_PAIR_LEN (PROTO_EC_PRIV_LEN + PROTO_EC_PUB_LEN)
#define PROTO_KEYDIR_CENTER_LEN PROTO_KEYDIR_PAIR_LEN

struct proto_keydir {
	uint8_t master[PROTO_MASTER_LEN];
	uint8_t ecm[PROTO_AES_KEY_LEN];
	uint8_t center_priv[PROTO_EC_PRIV_LEN];
	uint8_t center_pub[PROTO_EC_PUB_LEN];
	uint8_t issuer_priv[PROTO_EC_PRIV_LEN];
	uint8_t issuer_pub[PROTO_EC_PUB_LEN];
	unsigned have; /* PROTO_KEYDIR_* bits of the files loaded */
};

/*
 * Load from dir every file in need (each must be there) and those in want
 * that are there.  center_pub comes from center.pub when it is loaded,
 * otherwise from center.key's public half; issuer_pub likewise from
 * issuer.pub or issuer.key.  On success *k holds the keys
 * and k->have says which files were read.  On failure *k is untouched:
 * the keys are gathered in a local copy, wiped on every path, so no
 * half-loaded key reaches the caller or stays behind.  *file, when file
 * is not NULL, names the file that failed (a static string; NULL on
 * success): PROTO_ERR_NOTFOUND (a needed file is absent), PROTO_ERR_LENGTH
 * (a file of the wrong size), PROTO_ERR_TOOBIG (the path is too long),
 * a system call's error (proto_err_sys: it names its errno), PROTO_ERR_ARG.
 */
int proto_keydir_load(const char *dir, unsigned need, unsigned want,
    struct proto_keydir *k, const char **file);

/*
 * Make a new key directory with fresh keys: dir is created (0700) if
 * absent, then the six files are written durably.  Refuses with
 * PROTO_ERR_EXISTS (*file = "center.pub") if dir holds keys already.  On
 * failure *file, when file is not NULL, names the file that failed, or is
 * NULL when dir itself could not be created; a system call's error names
 * its errno (and errno is kept).  No key stays in memory on any path.
 */
int proto_keydir_create(const char *dir, const char **file);

/* Wipe every key in k (OPENSSL_cleanse). */
void proto_keydir_wipe(struct proto_keydir *k);

#endif
