/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The card's persistent memory: one image file holding the card serial and
 * one region per installed applet, with Java Card-style transactions.
 *
 * Writes inside begin/commit go to memory and to an undo log; commit makes
 * the whole image durable with one atomic file replacement, so a crash at
 * any instant leaves the file at the state before the transaction or after
 * it.  abort (or a failed commit) restores every byte written since begin.
 * A write outside a transaction is a transaction of its own.
 */
#ifndef CARD_STORE_H
#define CARD_STORE_H

#include <stddef.h>
#include <stdint.h>

#define CARD_SERIAL_LEN 8
#define CARD_AID_MIN 5
#define CARD_AID_MAX 16
#define CARD_MAX_APPLETS 8
/* The EEPROM: all regions together. */
#define CARD_STORE_MAX 65536
/* Bytes a single transaction may change (Java Card's commit capacity). */
#define CARD_TX_CAPACITY 16384
/* The image file: header, regions and checksum. */
#define CARD_IMAGE_MAX (CARD_STORE_MAX + 1024)

struct card_store;

/* Create a new image file at path (fails if it exists), serial given. */
int card_store_create(const char *path, const uint8_t serial[CARD_SERIAL_LEN],
    struct card_store **out);
/* Load an image; a corrupt or foreign file is PROTO_ERR_FORMAT/AUTH. */
int card_store_open(const char *path, struct card_store **out);
/*
 * A store in memory only, for tests and fuzzing: the same transactions,
 * and a commit writes nothing anywhere.  card_store_new_mem starts empty;
 * card_store_decode loads an image (card_store_encode's output) with the
 * checks of card_store_open.
 */
int card_store_new_mem(const uint8_t serial[CARD_SERIAL_LEN],
    struct card_store **out);
int card_store_decode(const uint8_t *buf, size_t len, struct card_store **out);
void card_store_free(struct card_store **s);

/* Borrowed: valid as long as the store.  The path is NULL in memory. */
const uint8_t *card_store_serial(const struct card_store *s);
const char *card_store_path(const struct card_store *s);

/*
 * Find the region of an applet by AID; *id names it in read/write.  Returns
 * PROTO_ERR_NOTFOUND when the applet is not installed on this card.
 */
int card_store_region(const struct card_store *s, const uint8_t *aid,
    size_t aidlen, int *id, size_t *size);
/* Install: add a zeroed region for an AID (inside a transaction). */
int card_store_add_region(struct card_store *s, const uint8_t *aid,
    size_t aidlen, size_t size, int *id);

int card_store_read(const struct card_store *s, int id, size_t off, void *dst,
    size_t n);
/* Borrow a read-only view of a whole region; valid until the next write. */
int card_store_view(const struct card_store *s, int id, const uint8_t **p,
    size_t *n);
int card_store_write(struct card_store *s, int id, size_t off, const void *src,
    size_t n);

int card_store_begin(struct card_store *s);
int card_store_commit(struct card_store *s);
void card_store_abort(struct card_store *s);
int card_store_in_tx(const struct card_store *s);
/* Transactions committed since the store was opened. */
unsigned long card_store_commits(const struct card_store *s);

/* Serialize the current committed image (for tests and tools). */
int card_store_encode(const struct card_store *s, uint8_t **out, size_t *len);

#endif
