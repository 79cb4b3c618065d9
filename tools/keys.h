/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The command lines' view of the operator's key directory (its format and
 * its reading live in proto/keydir.h, shared with centerd), with errors
 * printed naming the file.  And a card's registration record:
 *   ptv-registration 1
 *   ua HEX16
 *   public-key HEX130
 *   versions HEX8
 *   certificate HEX284     (the card certificate; optional)
 */
#ifndef TOOLS_KEYS_H
#define TOOLS_KEYS_H

#include <stdint.h>

#include "../proto/crypto.h"
#include "../proto/sm.h"

struct op_keys {
	uint8_t master[PROTO_MASTER_LEN];
	uint8_t ecm[PROTO_AES_KEY_LEN];
	uint8_t center_priv[PROTO_EC_PRIV_LEN];
	uint8_t center_pub[PROTO_EC_PUB_LEN];
	uint8_t issuer_priv[PROTO_EC_PRIV_LEN];
	uint8_t issuer_pub[PROTO_EC_PUB_LEN];
	int has_master, has_ecm, has_center_priv, has_issuer;
};

struct registration {
	uint8_t ua[PROTO_UA_LEN];
	uint8_t pub[PROTO_EC_PUB_LEN];
	uint8_t versions[PROTO_VERSIONS_LEN];
	int has_cert; /* cert: the card certificate, naming the fields above */
	uint8_t cert[PROTO_CERT_LEN];
};

/* Create a new key directory (fails if dir holds keys already). */
int keys_init(const char *dir);
/*
 * Load what dir holds; center.pub is required, the secrets and the issuer
 * key pair are loaded when present (flags say which).  Prints an error naming the file; on
 * failure *k is untouched and no half-loaded key is left anywhere.
 */
int keys_load(const char *dir, struct op_keys *k);
void keys_wipe(struct op_keys *k);

int reg_write(const char *path, const struct registration *r);
/* Parse a registration record (hostile input); prints what was wrong. */
int reg_read(const char *path, struct registration *r);
int reg_parse(const uint8_t *buf, size_t len, struct registration *r);

#endif
