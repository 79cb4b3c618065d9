/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * centerctl emm UA TYPE [ARGS] [-o FILE]: an EMM, a center command on the
 * broadcast path (card/APDU.md, "EMM"), signed with the card's next
 * broadcast counter and recorded as queued there, so the outcome the
 * card later reports in a block is matched like any command's.  The EMM
 * is one line of hex, printed or appended to FILE (the broadcast's
 * .emm files of emm_dir take one per line).  The command is recorded
 * before the line is written; if the line cannot be written the command
 * is cancelled again, so no EMM the center does not know of can exist.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../proto/buf.h"
#include "../proto/cmd.h"
#include "../proto/proto.h"
#include "centerctl.h"

/* The EMM types and what their arguments are called, and their maxima. */
static const struct emm_type {
	const char *name;
	uint8_t type;
	const char *arg[2]; /* NULL: no such argument */
	uint32_t max[2];
} emm_types[] = {
	{ "unlock", PROTO_CMD_UNLOCK, { NULL, NULL }, { 0, 0 } },
	{ "ack", PROTO_CMD_ACK, { "SEQ", NULL }, { UINT32_MAX, 0 } },
	{ "reload", PROTO_CMD_RELOAD, { "AMOUNT", NULL }, { UINT32_MAX, 0 } },
	{ "grant", PROTO_CMD_GRANT, { "CHANNEL", "EXPIRY" },
	    { 0xffff, UINT32_MAX } },
	{ "revoke", PROTO_CMD_REVOKE, { "CHANNEL", NULL }, { 0xffff, 0 } },
	{ "export", PROTO_CMD_EXPORT, { NULL, NULL }, { 0, 0 } },
	{ "disable", PROTO_CMD_DISABLE, { NULL, NULL }, { 0, 0 } },
};

static const struct emm_type *
emm_type(const char *name)
{
	for (size_t i = 0; i < sizeof(emm_types) / sizeof(emm_types[0]); i++)
		if (strcmp(name, emm_types[i].name) == 0)
			return &emm_types[i];
	return NULL;
}

/* The EMM as a line of hex, to stdout or appended to path (durably). */
static int
write_line(const char *path, const struct cgs_made *m)
{
	char line[2 * PROTO_CMD_MAX_LEN + 2];
	size_t n;
	ssize_t w;
	int fd;

	for (n = 0; n < m->len; n++)
		snprintf(line + 2 * n, 3, "%02X", m->wire[n]);
	line[2 * n] = '\n';
	n = 2 * n + 1;
	if (path == NULL)
		return fwrite(line, 1, n, stdout) == n && fflush(stdout) == 0 ?
		    0 :
		    -1;
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) <
	    0)
		return -1;
	w = write(fd, line, n);
	if (w != (ssize_t)n || fsync(fd) != 0) {
		(void)close(fd);
		return -1;
	}
	return close(fd);
}

/* Write the EMM out; on failure cancel it again and say so. */
int
ctl_emm_out(const struct opts *o, const uint8_t ua[PROTO_UA_LEN],
    const struct cgs_made *m)
{
	struct cgs_db *db = NULL;
	int err, rc;

	if (write_line(o->out, m) == 0)
		return 0;
	err = errno;
	rc = ctl_open_db(o, &db) == 0 ?
	    cgs_cancel_command(db, ua, PROTO_CMD_PATH_BROADCAST, m->counter) :
	    PROTO_ERR_IO;
	cgs_db_close(&db);
	fprintf(stderr, "%s: %s: %s; broadcast command %u %s\n", o->who,
	    o->out != NULL ? o->out : "standard output", strerror(err),
	    m->counter,
	    rc == 0 ? "cancelled again" :
		      "is queued but was not written: cancel it");
	util_out_said(); /* even EPIPE: the command's fate must be known */
	return UTIL_EXIT_FAIL;
}

int
ctl_cmd_emm(const struct opts *o)
{
	const struct emm_type *t;
	uint8_t ua[PROTO_UA_LEN];
	uint32_t a[2] = { 0, 0 };
	struct cgs_made m;
	int want = 3;

	if (o->npos < 3)
		ctl_usage(o);
	if ((t = emm_type(o->pos[2])) == NULL) {
		fprintf(stderr, "%s: no EMM type %s\n", o->who, o->pos[2]);
		return UTIL_EXIT_USAGE;
	}
	for (int i = 0; i < 2; i++)
		want += t->arg[i] != NULL;
	if (ctl_ua_arg(o, want, ua) != 0)
		return UTIL_EXIT_USAGE;
	for (int i = 0; i < 2 && t->arg[i] != NULL; i++)
		if (util_arg_u32(o->who, t->arg[i], o->pos[3 + i], 0, t->max[i],
			&a[i]) != 0)
			return UTIL_EXIT_USAGE;
	if (ctl_queue(o, ua, PROTO_CMD_PATH_BROADCAST, t->type, a[0], a[1],
		&m) != 0)
		return UTIL_EXIT_FAIL;
	return ctl_emm_out(o, ua, &m);
}

int
ctl_cmd_revoke(const struct opts *o)
{
	uint8_t ua[PROTO_UA_LEN];
	struct cgs_db *db = NULL;
	struct cgs_keys ck;
	struct cgs_made m;
	int rc = UTIL_EXIT_FAIL, r;

	if (ctl_ua_arg(o, 2, ua) != 0)
		return UTIL_EXIT_USAGE;
	memset(&ck, 0, sizeof(ck));
	if (ctl_load_center_key(o, &ck) != 0 || ctl_open_db(o, &db) != 0)
		goto out;
	if ((r = cgs_revoke_card(db, &ck, ua, &m)) != 0) {
		fprintf(stderr, "%s: card %s %s\n", o->who, o->pos[1],
		    r == PROTO_ERR_NOTFOUND ?
			"is not registered" :
			r == PROTO_ERR_EXISTS ?
			"is revoked already (centerctl emm UA "
			"disable makes another EMM)" :
			proto_strerror(r));
		goto out;
	}
	cgs_db_close(&db);
	rc = ctl_emm_out(o, ua, &m);
out:
	cgs_db_close(&db);
	proto_cleanse(&ck, sizeof(ck));
	return rc;
}
