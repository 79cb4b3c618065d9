/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What decoderd checks before it serves, so that a mistake in the
 * configuration is said at start and not found hours later:
 *   - M1's directory and the decoder key's directory exist (decoderd
 *     makes the files, never their directories: systemd's
 *     StateDirectory= does, or the operator);
 *   - the CA file can be read: without it no uplink can verify the
 *     center, so with a scheduled uplink (uplink_interval) decoderd
 *     cannot do its job and does not start; without one it is said and
 *     decoderd serves the rest;
 *   - the ECM and EMM directories exist (said, not fatal: only tune
 *     and the broadcast's EMMs need them);
 *   - pcscd answers (said, not fatal: decoderd waits for it, as it does
 *     when pcscd restarts).
 * Uses config and proto only.
 */
#ifndef DECODER_PREFLIGHT_H
#define DECODER_PREFLIGHT_H

#include <limits.h>
#include <stddef.h>

#include "config.h"

#define DEC_PREFLIGHT_WHY_MAX (2 * PATH_MAX + 512) /* two paths and words */

/*
 * Check c.  A problem decoderd cannot work with: a negative error and its
 * sentence in why (naming the file and the errno).  Problems it can
 * work around are logged as warnings (one line each, naming the check)
 * and 0 is returned.  pcsc: 0 skips the pcscd check (unit tests).
 */
int dec_preflight(const struct dec_config *c, int pcsc,
    char why[DEC_PREFLIGHT_WHY_MAX]);

#endif
