/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * decoderd's configuration: a file of "key = value" lines (# starts a
 * comment), then command-line flags over it.
 *
 *   reader           reader name, or a part of it; empty: the first reader
 *                    holding our applet
 *   m1               the M1 file         (/var/lib/ptv/decoder/m1)
 *   key              the decoder key     (/var/lib/ptv/decoder/decoder.key)
 *   socket           the control socket  (/run/decoderd/decoderd.sock)
 *   export_interval  time between periodic exports, 0 = never (1h)
 *   ecm_dir          where CHANNEL.ecm files are (/var/lib/ptv/ecm)
 *   emm_dir          where the broadcast's *.emm files are (/var/lib/ptv/emm)
 *   emm_interval     time between readings of emm_dir, 0 = only at a
 *                    card's insertion and when asked (30)
 *   log_level        error, warning, notice, info, debug (notice)
 *   center           the center's host:port     (localhost:7443), or
 *                    several, "host:port,host:port,...": instances of one
 *                    center on a shared database, tried in order, the
 *                    next when one fails (at most DEC_CENTERS_MAX)
 *   ca               the CA file the center's certificate must chain to
 *                                               (/etc/ptv/ca.crt)
 *   issuer           the operator's issuer public key, issuer.pub of its
 *                    key directory: only blocks of cards it certified
 *                    enter M1                   (/etc/ptv/issuer.pub)
 *   uplink_interval  time between scheduled uplinks, 0 = never (0)
 *   uplink_deadline  time an uplink session may last, all of it (60)
 *   metrics_file     where to keep the metrics for node_exporter's
 *                    textfile collector; empty: nowhere ()
 *   first_contact    yes: a transfer-locked card's insertion starts an
 *                    uplink at once, tried again while it fails (yes)
 *   usage_export_gap  seconds: a change of the card's usage data (ECMs,
 *                    control words, denials, power-ups) exports too, at
 *                    most one export per this many seconds; 0: usage
 *                    alone never exports (0)
 *   first_contact_max  time between those tries at most: 2 s after the
 *                    first failure, doubling up to this (60)
 * A time is a number and a unit (proto_parse_duration), whole seconds.
 */
#ifndef DECODER_CONFIG_H
#define DECODER_CONFIG_H

#include <limits.h>

#define DEC_CONFIG_MAX 16384
#define DEC_UPLINK_DEADLINE_MAX 3600 /* s */
#define DEC_CONTACT_MAX_MAX 86400    /* s, first_contact_max at most */
#define DEC_CENTERS_MAX 4

struct dec_center {
	char host[256];
	char port[16];
};

struct dec_config {
	char reader[256];
	char m1[PATH_MAX];
	char key[PATH_MAX];
	char socket[108];
	char ecm_dir[PATH_MAX];
	char emm_dir[PATH_MAX];
	char center_host[256]; /* the first center */
	char center_port[16];
	unsigned n_more; /* the centers tried after it, in order */
	struct dec_center more[DEC_CENTERS_MAX - 1];
	char ca[PATH_MAX];
	char metrics_file[PATH_MAX];
	char issuer[PATH_MAX];
	unsigned export_interval;
	unsigned usage_export_gap;
	unsigned emm_interval;
	unsigned uplink_interval;
	unsigned uplink_deadline;
	int first_contact;
	unsigned first_contact_max;
	int log_level;
};

void dec_config_defaults(struct dec_config *c);
/* Center i (0: the first) of the list: PROTO_ERR_NOTFOUND past its end. */
int dec_config_center(const struct dec_config *c, unsigned i, const char **host,
    const char **port);
/*
 * Read a configuration file over c.  On a bad line, *line gets its number
 * and the function fails (nothing partial is kept).
 */
int dec_config_load(const char *path, struct dec_config *c, int *line);
/* The same, and on a bad line why (cap bytes, DEC_CONFIG_WHY_MAX) says
 * what is wrong with it: no "=", an unknown key (named), or a bad value
 * (quoted) and what its key wants. */
#define DEC_CONFIG_WHY_MAX 512
int dec_config_load_why(const char *path, struct dec_config *c, int *line,
    char *why, size_t cap);
/* What key's value must be, in words; NULL for an unknown key. */
const char *dec_config_expects(const char *key);
/* Set one key; the same rules as a file line. */
int dec_config_set(struct dec_config *c, const char *key, const char *value);

#endif
