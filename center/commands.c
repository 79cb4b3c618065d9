/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>
#include <time.h>

#include "../proto/buf.h"
#include "../proto/log.h"
#include "../proto/proto.h"
#include "commands.h"

int
cgs_rule_unlock_locked_present_card(const struct cgs_present *p)
{
	return p->seen && p->locked == 1;
}

int
cgs_rule_ack_invoiced_purchases(const struct cgs_present *p,
    int64_t max_invoiced)
{
	return p->seen && max_invoiced > (int64_t)p->acked;
}

/* Sign a command for ua with the card's next counter, and store it. */
static int
new_command(struct cgs_db *db, const struct cgs_keys *k,
    const uint8_t ua[PROTO_UA_LEN], uint8_t type, uint32_t arg1, uint32_t arg2)
{
	struct proto_cmd cmd = { .type = type,
		.path = PROTO_CMD_PATH_UPLINK,
		.arg1 = arg1,
		.arg2 = arg2 };
	uint8_t buf[PROTO_CMD_MAX_LEN];
	struct cgs_card card;
	struct proto_wr w;
	int rc;

	if ((rc = cgs_card_get(db, ua, &card)) != 0)
		return rc;
	memcpy(cmd.ua, ua, PROTO_UA_LEN);
	cmd.counter = card.cmd_counter + 1;
	proto_wr_init(&w, buf, sizeof(buf));
	if ((rc = proto_cmd_sign(&cmd, k->center_priv, k->center_pub, &w)) !=
	    0) {
		proto_log(PROTO_LOG_ERR, "%s: %s", __func__,
		    proto_strerror(rc));
		return rc;
	}
	return cgs_db_command_add(db, &cmd, buf, proto_wr_len(&w),
	    (int64_t)time(NULL));
}

/* Queue a command of this type unless one (with arg1 >= arg1) waits. */
static int
queue_once(struct cgs_db *db, const struct cgs_keys *k,
    const uint8_t ua[PROTO_UA_LEN], uint8_t type, uint32_t arg1)
{
	int rc, found;

	if ((rc = cgs_db_command_pending(db, ua, type, arg1, &found)) != 0 ||
	    found)
		return rc;
	return new_command(db, k, ua, type, arg1, 0);
}

int
cgs_commands_for_present(struct cgs_db *db, const struct cgs_keys *k,
    const uint8_t ua[PROTO_UA_LEN], const struct cgs_present *p,
    struct proto_up_answer *ans)
{
	struct cgs_card card;
	int rc;

	if ((rc = cgs_card_get(db, ua, &card)) != 0)
		return rc == PROTO_ERR_NOTFOUND ? 0 : rc;
	if ((rc = cgs_db_commands_done(db, ua, card.cmd_ctr_seen)) != 0)
		return rc;
	if (cgs_rule_unlock_locked_present_card(p) &&
	    (rc = queue_once(db, k, ua, PROTO_CMD_UNLOCK, 0)) != 0)
		return rc;
	if (cgs_rule_ack_invoiced_purchases(p, card.max_invoiced) &&
	    (rc = queue_once(db, k, ua, PROTO_CMD_ACK,
		 (uint32_t)card.max_invoiced)) != 0)
		return rc;
	return cgs_db_commands_queued(db, ua, ans->cmds, ans->cmd_len,
	    PROTO_UP_MAX_COMMANDS, &ans->n_cmds);
}

int
cgs_queue_command(struct cgs_db *db, const struct cgs_keys *k,
    const uint8_t ua[PROTO_UA_LEN], uint8_t type, uint32_t arg1, uint32_t arg2)
{
	int rc;

	if ((rc = cgs_db_begin(db)) != 0)
		return rc;
	if ((rc = new_command(db, k, ua, type, arg1, arg2)) != 0) {
		cgs_db_rollback(db);
		return rc;
	}
	return cgs_db_commit(db);
}
