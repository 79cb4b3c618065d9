/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
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

uint32_t
cgs_rule_ack_upto(const struct cgs_present *p, int64_t max_invoiced,
    uint32_t conflict)
{
	int64_t upto = max_invoiced;

	if (!p->seen)
		return 0;
	if (upto > (int64_t)p->purchase_seq)
		upto = p->purchase_seq;
	if (conflict > 0 && upto >= (int64_t)conflict)
		upto = (int64_t)conflict - 1;
	return upto > (int64_t)p->acked ? (uint32_t)upto : 0;
}

/* The next counter on path: past every one used or seen there. */
static uint32_t
next_counter(const struct cgs_card *card, uint8_t path)
{
	uint32_t used = path == PROTO_CMD_PATH_UPLINK ? card->cmd_counter :
							card->bcast_counter;
	uint32_t seen = path == PROTO_CMD_PATH_UPLINK ? card->cmd_ctr_seen :
							card->bcast_ctr_seen;

	return (used > seen ? used : seen) + 1;
}

/* Sign a command for ua with the card's next counter on path, store it. */
static int
new_command(struct cgs_db *db, const struct cgs_keys *k,
    const uint8_t ua[PROTO_UA_LEN], const struct proto_cmd *want,
    struct cgs_made *made)
{
	struct proto_cmd cmd = *want;
	struct cgs_card card;
	struct proto_wr w;
	int rc;

	if ((rc = cgs_card_get(db, ua, &card)) != 0)
		return rc;
	memcpy(cmd.ua, ua, PROTO_UA_LEN);
	if ((cmd.counter = next_counter(&card, cmd.path)) == 0)
		return PROTO_ERR_RANGE; /* the path's counters are used up */
	made->counter = cmd.counter;
	proto_wr_init(&w, made->wire, sizeof(made->wire));
	if ((rc = proto_cmd_sign(&cmd, k->center_priv, k->center_pub, &w)) !=
	    0) {
		proto_log(PROTO_LOG_ERR, "%s: %s", __func__,
		    proto_strerror(rc));
		return rc;
	}
	made->len = proto_wr_len(&w);
	return cgs_db_command_add(db, &cmd, made->wire, made->len,
	    (int64_t)time(NULL));
}

/* Queue an uplink command of this type unless one (arg1 >= arg1) waits. */
static int
queue_once(struct cgs_db *db, const struct cgs_keys *k,
    const uint8_t ua[PROTO_UA_LEN], uint8_t type, uint32_t arg1)
{
	struct proto_cmd want = { .type = type,
		.path = PROTO_CMD_PATH_UPLINK,
		.arg1 = arg1 };
	struct cgs_made made;
	int rc, found;

	if ((rc = cgs_db_command_pending(db, ua, type, arg1, &found)) != 0 ||
	    found)
		return rc;
	return new_command(db, k, ua, &want, &made);
}

int
cgs_commands_for_present(struct cgs_db *db, const struct cgs_keys *k,
    const struct cgs_stamp *at, const uint8_t ua[PROTO_UA_LEN],
    const struct cgs_present *p, struct proto_up_answer *ans)
{
	uint32_t ack, conflict = 0;
	int rc;

	if (!p->seen)
		return 0;
	/* a card never registered (no block of it could pass) is found
	 * missing only where a command of it is made: it gets none */
	if (cgs_rule_unlock_locked_present_card(p) &&
	    (rc = queue_once(db, k, ua, PROTO_CMD_UNLOCK, 0)) != 0)
		return rc == PROTO_ERR_NOTFOUND ? 0 : rc;
	/* never acknowledged past a conflict: not even by an ack made
	 * before it was seen, waiting still */
	if ((rc = cgs_db_conflict_min(db, ua, &conflict)) != 0 ||
	    (conflict > 0 &&
		(rc = cgs_db_acks_cancel_from(db, ua, conflict, at->now)) != 0))
		return rc;
	if ((ack = cgs_rule_ack_upto(p, p->invoiced, conflict)) != 0 &&
	    (rc = queue_once(db, k, ua, PROTO_CMD_ACK, ack)) != 0)
		return rc == PROTO_ERR_NOTFOUND ? 0 : rc;
	return cgs_db_commands_take(db, at, ua, ans->cmds, ans->cmd_len,
	    PROTO_UP_MAX_COMMANDS, &ans->n_cmds);
}

static const char *
path_name(uint8_t path)
{
	return path == PROTO_CMD_PATH_UPLINK ? "uplink" : "broadcast";
}

/* One outcome of the card's ring, matched against the commands made. */
static int
learn_outcome(struct cgs_ledger *l, const uint8_t ua[PROTO_UA_LEN],
    const struct proto_outcome *o)
{
	char what[160];
	int rc, known, differs;

	if ((rc = cgs_db_command_outcome(l->db, &l->at, ua, o, &known,
		 &differs)) != 0 ||
	    !differs)
		return rc;
	snprintf(what, sizeof(what),
	    "the card reports command %u on the %s path as a %s; the center "
	    "made it of another type",
	    o->counter, path_name(o->path), proto_cmd_name(o->type));
	return cgs_ledger_flag(l, ua, what);
}

int
cgs_commands_learn(struct cgs_ledger *l, const uint8_t ua[PROTO_UA_LEN],
    const struct cgs_card *card, const struct proto_m2 *m)
{
	/* a counter is seen only together with the consuming of every
	 * command up to it, and commands are made past it: one not past
	 * the counter seen has nothing left to consume */
	int up = card == NULL || m->cmd_ctr > card->cmd_ctr_seen;
	int bc = card == NULL || m->bcast_ctr > card->bcast_ctr_seen;
	int rc;

	for (unsigned i = 0; i < m->n_outcomes && i < PROTO_M2_MAX_OUTCOMES;
	     i++)
		if ((rc = learn_outcome(l, ua, &m->outcomes[i])) != 0)
			return rc;
	if ((up &&
		(rc = cgs_db_commands_consumed(l->db, &l->at, ua,
		     PROTO_CMD_PATH_UPLINK, m->cmd_ctr)) != 0) ||
	    (bc &&
		(rc = cgs_db_commands_consumed(l->db, &l->at, ua,
		     PROTO_CMD_PATH_BROADCAST, m->bcast_ctr)) != 0))
		return rc;
	if (!up && !bc)
		return 0;
	return cgs_card_counters_seen(l->db, ua, m->cmd_ctr, m->bcast_ctr);
}

/* An operator's change, as a transaction of cgs_db_txn runs it. */
struct op {
	const struct cgs_keys *k;
	const uint8_t *ua;
	struct proto_cmd want; /* queue: what; cancel: path and counter */
	struct cgs_made m, *emm;
};

/* An operator's transaction first locks the card, as a session's does
 * (cgs_cards_lock): the two take turns on it. */
static int
lock_card(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN])
{
	return cgs_cards_lock(db, ua, 1);
}

static int
queue_txn(struct cgs_db *db, void *arg)
{
	struct op *o = arg;
	int rc;

	if ((rc = lock_card(db, o->ua)) != 0)
		return rc;
	return new_command(db, o->k, o->ua, &o->want, &o->m);
}

int
cgs_queue_command(struct cgs_db *db, const struct cgs_keys *k,
    const uint8_t ua[PROTO_UA_LEN], uint8_t path, uint8_t type, uint32_t arg1,
    uint32_t arg2, struct cgs_made *made)
{
	struct op o = { .k = k,
		.ua = ua,
		.want = { .type = type,
		    .path = path,
		    .arg1 = arg1,
		    .arg2 = arg2 } };
	int rc;

	if (path > PROTO_CMD_PATH_BROADCAST)
		return PROTO_ERR_ARG;
	if ((rc = cgs_db_txn(db, queue_txn, &o)) != 0)
		return rc;
	if (made != NULL)
		*made = o.m;
	return 0;
}

static int
cancel_txn(struct cgs_db *db, void *arg)
{
	const struct op *o = arg;
	int rc;

	if ((rc = lock_card(db, o->ua)) != 0)
		return rc;
	return cgs_db_command_cancel(db, o->ua, o->want.path, o->want.counter,
	    (int64_t)time(NULL));
}

int
cgs_cancel_command(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN],
    uint8_t path, uint32_t counter)
{
	struct op o = { .ua = ua,
		.want = { .path = path, .counter = counter } };

	return cgs_db_txn(db, cancel_txn, &o);
}

static int
revoke_txn(struct cgs_db *db, void *arg)
{
	struct op *o = arg;
	struct proto_cmd up = { .type = PROTO_CMD_DISABLE,
		.path = PROTO_CMD_PATH_UPLINK },
			 bc = { .type = PROTO_CMD_DISABLE,
				 .path = PROTO_CMD_PATH_BROADCAST };
	int rc;

	if ((rc = lock_card(db, o->ua)) != 0 ||
	    (rc = cgs_card_revoke(db, o->ua, (int64_t)time(NULL))) != 0 ||
	    (rc = new_command(db, o->k, o->ua, &up, &o->m)) != 0)
		return rc;
	return new_command(db, o->k, o->ua, &bc, o->emm);
}

int
cgs_revoke_card(struct cgs_db *db, const struct cgs_keys *k,
    const uint8_t ua[PROTO_UA_LEN], struct cgs_made *emm)
{
	struct op o = { .k = k, .ua = ua, .emm = emm };

	return cgs_db_txn(db, revoke_txn, &o);
}
