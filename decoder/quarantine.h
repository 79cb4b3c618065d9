/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The quarantine: M1 entries the center rejected for good (a final
 * reason, proto_up_reason_final: unknown card, bad signature, cannot
 * decrypt, malformed, wrong kind, revoked).  Sending such a block again
 * can never succeed, so it leaves M1 (making room, and no longer sent)
 * for this file beside M1, "M1.quarantine", where the operator reads it
 * (decoderctl quarantine).  Nothing in it is ever sent or trusted.
 *
 * The file is text, one header line and one line per entry:
 *
 *   ptv-quarantine 1
 *   UA SEQ REASON QUARANTINED_AT STORED_AT BLOCK
 *
 * (UA and BLOCK in hex, REASON the center's reason byte in hex, the
 * times Unix seconds), replaced atomically and durably as a whole.  It
 * holds at most DEC_QUAR_MAX entries; when full the oldest goes.
 * Crash safety: the quarantine is written before M1 loses the entry, so
 * a crash between the two leaves the entry in both, and the next final
 * rejection finds it quarantined already (same UA and sequence).
 */
#ifndef DECODER_QUARANTINE_H
#define DECODER_QUARANTINE_H

#include <stddef.h>
#include <stdint.h>

#include "m1.h"

#define DEC_QUAR_MAX 32
#define DEC_QUAR_LINE_MAX (96 + 2 * PROTO_BLOCK_MAX)
#define DEC_QUAR_FILE_MAX (32 + DEC_QUAR_MAX * (DEC_QUAR_LINE_MAX + 1))

struct dec_quar_entry {
	uint8_t ua[PROTO_UA_LEN];
	uint32_t seq;
	uint8_t reason;          /* the center's, PROTO_UP_* */
	uint64_t quarantined_at; /* Unix seconds */
	uint64_t stored_at;      /* when it entered M1 */
	uint16_t len;
	uint8_t block[PROTO_BLOCK_MAX];
};

struct dec_quar {
	size_t n; /* oldest first */
	struct dec_quar_entry e[DEC_QUAR_MAX];
	unsigned long dropped; /* since start: pushed out when full */
};

/* Load; an absent file is an empty quarantine. */
int dec_quar_load(const char *path, struct dec_quar *q);
int dec_quar_save(const char *path, const struct dec_quar *q);
/* The file image (for tests): encode into out (cap bytes), decode. */
int
dec_quar_encode(const struct dec_quar *q, char *out, size_t cap, size_t *len);
int dec_quar_decode(const char *buf, size_t len, struct dec_quar *q);
/*
 * Add M1 entry e, rejected with reason at now.  0 added; PROTO_ERR_EXISTS
 * when the quarantine holds that block already (same UA and sequence):
 * nothing changes.  Full: the oldest entry goes (q->dropped counts it).
 */
int dec_quar_add(struct dec_quar *q, const struct dec_m1_entry *e,
    uint8_t reason, uint64_t now);
/* The path of the quarantine beside M1 into out (cap bytes). */
int dec_quar_path(const char *m1, char *out, size_t cap);

#endif
