/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon's metrics in the Prometheus text format (version 0.0.4):
 * what happened since it started (st->n: exports, uplinks by outcome,
 * the center's verdicts on blocks, card events, ECMs, purchases) as
 * counters named ptv_decoder_*_total, and what is now (M1's entries, the
 * card, the times of the last export and uplink) as gauges, each with its
 * HELP and TYPE lines.  `decoderctl metrics` shows them (ctl.c); with
 * metrics_file set, decoderd also keeps them in a file for node_exporter's
 * textfile collector, replaced atomically (written beside, renamed).
 */
#ifndef DECODER_METRICS_H
#define DECODER_METRICS_H

#include <stddef.h>

#include "state.h"

#define DEC_METRICS_MAX 16384    /* the text at most */
#define DEC_METRICS_FILE_MS 1000 /* the file rewritten at most this often */

/*
 * The text into buf (cap bytes, NUL-terminated): its length, or 0 when it
 * does not fit.
 */
size_t dec_metrics_text(const struct dec_state *st, char *buf, size_t cap);

/* The textfile's writer: what it last wrote, and when it may again. */
struct dec_metrics_file {
	char last[DEC_METRICS_MAX];
	size_t last_len;
	long next_ms; /* dec_now_ms */
	int failing;  /* the last write failed (logged once) */
};

/*
 * Rewrite st->cfg.metrics_file if the text changed (at once when force,
 * else at most every DEC_METRICS_FILE_MS).  Returns the ms until it must
 * be called again for a change not yet written, -1 when none waits (or no
 * file is configured).
 */
int dec_metrics_file_tick(struct dec_metrics_file *mf,
    const struct dec_state *st, int force);

#endif
