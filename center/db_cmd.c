/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The cards' commands in the database: made (queued), handed to a
 * decoder (sent), and what the card's blocks later say of them (applied,
 * refused, consumed), or cancelled by the operator.  Keyed by (UA, path,
 * counter): each path has its own counter on the card.
 */
#include <stdio.h>
#include <string.h>

#include "../proto/log.h"
#include "../proto/proto.h"
#include "../proto/apdu.h"
#include "db.h"
#include "store.h"

/* A command still waiting for the card: queued or sent. */
#define WAITING "state IN ('" CGS_CMD_QUEUED "', '" CGS_CMD_SENT "')"

int
cgs_db_command_add(struct cgs_db *db, const struct proto_cmd *c,
    const uint8_t *wire, size_t len, int64_t now)
{
	struct cgs_stmt *st;
	int rc;

	if (len > PROTO_CMD_MAX_LEN || c->path > PROTO_CMD_PATH_BROADCAST)
		return PROTO_ERR_ARG;
	st = c->path == PROTO_CMD_PATH_UPLINK ?
	    cgs_stmt(db, "UPDATE cards SET cmd_counter = ? WHERE ua = ?") :
	    cgs_stmt(db, "UPDATE cards SET bcast_counter = ? WHERE ua = ?");
	if (st == NULL)
		return PROTO_ERR_IO;
	cgs_bind_i64(st, 1, c->counter);
	cgs_db_bind_ua(st, 2, c->ua);
	if ((rc = cgs_step_done(st)) != 0)
		return rc;
	if ((st = cgs_stmt(db,
		 "INSERT INTO commands (ua, path, counter, type, arg1, arg2, "
		 "signed, created_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
		 "'" CGS_CMD_QUEUED "')")) == NULL)
		return PROTO_ERR_IO;
	cgs_db_bind_ua(st, 1, c->ua);
	cgs_bind_i64(st, 2, c->path);
	cgs_bind_i64(st, 3, c->counter);
	cgs_bind_text(st, 4, proto_cmd_name(c->type));
	cgs_bind_i64(st, 5, c->arg1);
	cgs_bind_i64(st, 6, c->arg2);
	cgs_bind_blob(st, 7, wire, len);
	cgs_bind_i64(st, 8, now);
	return cgs_step_done(st);
}

int
cgs_db_command_pending(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    uint8_t type, int64_t min, int *found)
{
	struct cgs_stmt *st = cgs_stmt(db,
	    "SELECT 1 FROM commands WHERE ua = ? AND path = 0 AND type = ? "
	    "AND " WAITING " AND arg1 >= ?");

	if (st == NULL)
		return PROTO_ERR_IO;
	cgs_db_bind_ua(st, 1, ua);
	cgs_bind_text(st, 2, proto_cmd_name(type));
	cgs_bind_i64(st, 3, min);
	return cgs_step_exists(st, found);
}

/* Copy up to max waiting uplink commands; *last: the last one's counter. */
static int
waiting(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    uint8_t (*cmds)[PROTO_CMD_MAX_LEN], size_t *lens, size_t max, size_t *n,
    int64_t *last)
{
	struct cgs_stmt *st = cgs_stmt(db,
	    "SELECT signed, counter FROM commands WHERE ua = ? AND path = 0 "
	    "AND " WAITING " ORDER BY counter");
	size_t got = 0;
	int rc = 0;

	if (st == NULL)
		return PROTO_ERR_IO;
	cgs_db_bind_ua(st, 1, ua);
	while (got < max && (rc = cgs_step(st)) == 1) {
		size_t len;
		const uint8_t *p = cgs_col_blob(st, 0, &len);

		if (len == 0 || len > PROTO_CMD_MAX_LEN || p == NULL) {
			proto_log(PROTO_LOG_ERR, "%s: a command row is damaged",
			    __func__);
			continue;
		}
		memcpy(cmds[got], p, len);
		lens[got++] = len;
		*last = cgs_col_i64(st, 1);
	}
	cgs_reset(st);
	if (rc < 0)
		return rc;
	*n = got;
	return 0;
}

int
cgs_db_commands_take(struct cgs_db *db, const struct cgs_stamp *at,
    const uint8_t ua[PROTO_UA_LEN], uint8_t (*cmds)[PROTO_CMD_MAX_LEN],
    size_t *lens, size_t max, size_t *n)
{
	struct cgs_stmt *st;
	int64_t last = 0;
	int rc;

	if ((rc = waiting(db, ua, cmds, lens, max, n, &last)) != 0 || *n == 0)
		return rc;
	if ((st = cgs_stmt(db,
		 "UPDATE commands SET state = '" CGS_CMD_SENT "', sends = "
		 "sends + 1, sent_at = ? WHERE ua = ? AND path = 0 AND "
		 "counter <= ? AND " WAITING)) == NULL)
		return PROTO_ERR_IO;
	cgs_bind_i64(st, 1, at->now);
	cgs_db_bind_ua(st, 2, ua);
	cgs_bind_i64(st, 3, last);
	return cgs_step_done(st);
}

/* The type and state of (ua, path, counter); *found 0 if none. */
static int
command_get(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN], uint8_t path,
    uint32_t counter, char type[16], char state[16], int *found)
{
	struct cgs_stmt *st = cgs_stmt(db,
	    "SELECT type, state FROM commands WHERE ua = ? AND path = ? AND "
	    "counter = ?");
	int rc;

	if (st == NULL)
		return PROTO_ERR_IO;
	cgs_db_bind_ua(st, 1, ua);
	cgs_bind_i64(st, 2, path);
	cgs_bind_i64(st, 3, counter);
	*found = 0;
	if ((rc = cgs_step(st)) == 1) {
		const char *t = cgs_col_text(st, 0);
		const char *s = cgs_col_text(st, 1);
		snprintf(type, 16, "%s", t != NULL ? t : "");
		snprintf(state, 16, "%s", s != NULL ? s : "");
		*found = 1;
	}
	cgs_reset(st);
	return rc < 0 ? rc : 0;
}

int
cgs_db_command_outcome(struct cgs_db *db, const struct cgs_stamp *at,
    const uint8_t ua[PROTO_UA_LEN], const struct proto_outcome *o, int *known,
    int *type_differs)
{
	char type[16], state[16];
	struct cgs_stmt *st;
	int rc;

	*type_differs = 0;
	if ((rc = command_get(db, ua, o->path, o->counter, type, state,
		 known)) != 0 ||
	    !*known)
		return rc;
	if (strcmp(type, proto_cmd_name(o->type)) != 0) {
		*type_differs = 1;
		return 0;
	}
	if (strcmp(state, CGS_CMD_APPLIED) == 0 ||
	    strcmp(state, CGS_CMD_REFUSED) == 0)
		return 0;
	if ((st = cgs_stmt(db,
		 "UPDATE commands SET state = ?, sw = ?, outcome_at = ?, "
		 "outcome_session = ? WHERE ua = ? AND path = ? AND "
		 "counter = ?")) == NULL)
		return PROTO_ERR_IO;
	cgs_bind_text(st, 1,
	    o->sw == PROTO_SW_OK ? CGS_CMD_APPLIED : CGS_CMD_REFUSED);
	cgs_bind_i64(st, 2, o->sw);
	cgs_bind_i64(st, 3, at->now);
	cgs_bind_opt(st, 4, at->session_id != 0, at->session_id);
	cgs_db_bind_ua(st, 5, ua);
	cgs_bind_i64(st, 6, o->path);
	cgs_bind_i64(st, 7, o->counter);
	return cgs_step_done(st);
}

int
cgs_db_commands_consumed(struct cgs_db *db, const struct cgs_stamp *at,
    const uint8_t ua[PROTO_UA_LEN], uint8_t path, uint32_t counter)
{
	struct cgs_stmt *st = cgs_stmt(db,
	    "UPDATE commands SET state = '" CGS_CMD_CONSUMED "', outcome_at = "
	    "?, outcome_session = ? WHERE ua = ? AND path = ? AND counter <= ? "
	    "AND " WAITING);

	if (st == NULL)
		return PROTO_ERR_IO;
	cgs_bind_i64(st, 1, at->now);
	cgs_bind_opt(st, 2, at->session_id != 0, at->session_id);
	cgs_db_bind_ua(st, 3, ua);
	cgs_bind_i64(st, 4, path);
	cgs_bind_i64(st, 5, counter);
	return cgs_step_done(st);
}

int
cgs_db_command_cancel(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    uint8_t path, uint32_t counter, int64_t now)
{
	char type[16], state[16];
	struct cgs_stmt *st;
	int rc, found;

	if ((rc = command_get(db, ua, path, counter, type, state, &found)) != 0)
		return rc;
	if (!found)
		return PROTO_ERR_NOTFOUND;
	if (strcmp(state, CGS_CMD_QUEUED) != 0 &&
	    strcmp(state, CGS_CMD_SENT) != 0)
		return PROTO_ERR_STATE;
	if ((st = cgs_stmt(db,
		 "UPDATE commands SET state = '" CGS_CMD_CANCELLED "', "
		 "cancelled_at = ? WHERE ua = ? AND path = ? AND "
		 "counter = ?")) == NULL)
		return PROTO_ERR_IO;
	cgs_bind_i64(st, 1, now);
	cgs_db_bind_ua(st, 2, ua);
	cgs_bind_i64(st, 3, path);
	cgs_bind_i64(st, 4, counter);
	return cgs_step_done(st);
}

int
cgs_db_acks_cancel_from(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    uint32_t seq, int64_t now)
{
	struct cgs_stmt *st = cgs_stmt(db,
	    "UPDATE commands SET state = '" CGS_CMD_CANCELLED "', "
	    "cancelled_at = ? WHERE ua = ? AND type = 'ack' AND arg1 >= ? "
	    "AND " WAITING);

	if (st == NULL)
		return PROTO_ERR_IO;
	cgs_bind_i64(st, 1, now);
	cgs_db_bind_ua(st, 2, ua);
	cgs_bind_i64(st, 3, seq);
	return cgs_step_done(st);
}
