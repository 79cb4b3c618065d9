/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon's files: the operator's issuer key (required: without it no
 * card could be authenticated), the quarantine beside M1, and the
 * decoder key and M1, each held with an
 * exclusive lock (proto_file_lock: "FILE.lock" beside it) for as long as
 * the daemon runs, so that a second decoderd given the same M1 or the
 * same key refuses to start instead of racing the first; and M1 loaded.
 *
 * M1 is moved aside (never overwritten) only when its content is proven
 * bad: it fails authentication, or it does not parse.  An M1 that cannot
 * be read for any other reason (permissions, an I/O error, no memory) is
 * left as it is and the daemon does not start: starting with an empty M1
 * would overwrite it at the first export.
 */
#ifndef DECODER_FILES_H
#define DECODER_FILES_H

#include "state.h"

enum dec_m1_verdict {
	DEC_M1_LOADED = 0, /* read (or absent: empty) */
	DEC_M1_BAD,        /* proven bad: moved aside, start empty */
	DEC_M1_UNREADABLE, /* anything else: leave it, do not start */
};

/* What dec_m1_load's result means for the file. */
enum dec_m1_verdict dec_files_verdict(int rc);
/*
 * Read the issuer key, check that the key, M1 and the quarantine can be
 * read if they are there, lock the key and M1, load (or create) the key,
 * load M1.  On failure why (DEC_WHY_MAX) says what, for stderr; nothing
 * is moved or written (a failure the checks find: not even the lock
 * files).
 */
int dec_files_open(struct dec_state *st, char *why);
/* Release the locks (the key itself is wiped by dec_state_clear). */
void dec_files_close(struct dec_state *st);

#endif
