/* SPDX-License-Identifier: BSD-2-Clause */
/* The console's page of one card (page.h). */
#include <stdio.h>

#include "page.h"
#include "view.h"

void
cgs_page_card(const json_t *v, struct cgs_sb *sb)
{
	const json_t *card = json_object_get(v, "card"),
		     *data = json_object_get(v, "data");
	static const struct cgs_col rec_cols[] = {
		{ "UA", "ua", CGS_COL_TEXT },
		{ "status", "status", CGS_COL_STATE },
		{ "transfer-locked", "locked", CGS_COL_BOOL },
		{ "registered", "registered_at", CGS_COL_TIME },
		{ "first seen", "first_seen", CGS_COL_TIME },
		{ "last seen", "seen_at", CGS_COL_TIME },
		{ "last seen as", "seen_as", CGS_COL_TEXT },
		{ "last seen by decoder", "seen_via", CGS_COL_TEXT },
		{ "retired and recovered", "recovered_at", CGS_COL_TIME },
		{ "revoked", "revoked_at", CGS_COL_TIME },
		{ "newest block", "last_block_seq", CGS_COL_TEXT },
		{ "invoices", "invoiced", CGS_COL_TEXT },
	};
	static const struct cgs_col data_cols[] = {
		{ "from block", "block_seq", CGS_COL_TEXT },
		{ "as", "origin", CGS_COL_TEXT },
		{ "received", "received_at", CGS_COL_TIME },
		{ "credit", "credit", CGS_COL_TEXT },
		{ "last purchase", "purchase_seq", CGS_COL_TEXT },
		{ "acknowledged up to", "acked_seq", CGS_COL_TEXT },
		{ "control words", "cws", CGS_COL_TEXT },
		{ "access denials", "denials", CGS_COL_TEXT },
		{ "power-ups", "powerups", CGS_COL_TEXT },
		{ "change counter", "change_ctr", CGS_COL_TEXT },
		{ "command counter", "cmd_ctr", CGS_COL_TEXT },
		{ "broadcast counter", "bcast_ctr", CGS_COL_TEXT },
		{ "card clock", "clock", CGS_COL_TIME },
		{ "versions", "versions", CGS_COL_TEXT },
	};
	static const struct cgs_col ecm_cols[] = {
		{ "channel", "channel", CGS_COL_TEXT },
		{ "ECMs", "ecms", CGS_COL_TEXT },
	};
	static const struct cgs_col right_cols[] = {
		{ "channel", "channel", CGS_COL_TEXT },
		{ "until", "expiry", CGS_COL_TIME },
	};
	static const struct cgs_col recd_cols[] = {
		{ "block", "seq", CGS_COL_TEXT },
		{ "session", "session", CGS_COL_TEXT },
		{ "through the session of", "via", CGS_COL_UA },
		{ "decoder", "decoder", CGS_COL_TEXT },
		{ "received", "received_at", CGS_COL_TIME },
		{ "outcome", "status", CGS_COL_STATE },
		{ "reason", "reason", CGS_COL_TEXT },
		{ "invoiced", "invoiced", CGS_COL_TEXT },
	};
	static const struct cgs_col sess_cols[] = {
		{ "session", "id", CGS_COL_TEXT },
		{ "started", "started_at", CGS_COL_TIME },
		{ "decoder", "decoder", CGS_COL_TEXT },
		{ "present card", "present", CGS_COL_UA },
		{ "blocks", "blocks", CGS_COL_TEXT },
		{ "invoiced", "invoiced", CGS_COL_TEXT },
		{ "flagged", "flagged", CGS_COL_TEXT },
	};
	static const struct cgs_col block_cols[] = {
		{ "session", "session", CGS_COL_TEXT },
		{ "received", "received_at", CGS_COL_TIME },
		{ "seq", "seq", CGS_COL_TEXT },
		{ "as", "origin", CGS_COL_TEXT },
		{ "outcome", "status", CGS_COL_STATE },
		{ "reason", "reason", CGS_COL_TEXT },
	};
	static const struct cgs_col cmd_cols[] = {
		{ "path", "path", CGS_COL_TEXT },
		{ "counter", "counter", CGS_COL_TEXT },
		{ "type", "type", CGS_COL_TEXT },
		{ "arg", "arg1", CGS_COL_TEXT },
		{ "state", "state", CGS_COL_STATE },
		{ "SW", "sw", CGS_COL_TEXT },
		{ "sends", "sends", CGS_COL_TEXT },
		{ "made", "created_at", CGS_COL_TIME },
		{ "outcome", "outcome_at", CGS_COL_TIME },
	};
	static const struct cgs_col flag_cols[] = {
		{ "at", "at", CGS_COL_TIME },
		{ "session", "session", CGS_COL_TEXT },
		{ "what", "what", CGS_COL_TEXT },
	};
	char title[64];
	const char *ua = json_string_value(json_object_get(card, "ua"));

	snprintf(title, sizeof(title), "Card %s", ua != NULL ? ua : "?");
	cgs_page_head(sb, title);
	CGS_PAGE_FIELDS(sb, "record", card, rec_cols);
	cgs_sb_raw(sb, "<h2>What was recovered, through whose session</h2>\n");
	CGS_PAGE_TABLE(sb, "recovered", json_object_get(v, "recovered"),
	    recd_cols);
	cgs_sb_raw(sb, "<h2>Invoices</h2>\n");
	cgs_page_invoices_table(sb, "invoices", json_object_get(v, "invoices"));
	cgs_sb_raw(sb, "<h2>Usage, as its newest block said</h2>\n");
	if (json_is_object(data)) {
		CGS_PAGE_FIELDS(sb, "usage", data, data_cols);
		CGS_PAGE_TABLE(sb, "ecms", json_object_get(data, "ecms"),
		    ecm_cols);
		CGS_PAGE_TABLE(sb, "rights", json_object_get(data, "rights"),
		    right_cols);
	} else {
		cgs_sb_raw(sb, "<p>No block of this card accepted yet.</p>\n");
	}
	cgs_sb_raw(sb, "<h2>Commands</h2>\n");
	CGS_PAGE_TABLE(sb, "commands", json_object_get(v, "commands"),
	    cmd_cols);
	cgs_sb_raw(sb, "<h2>Sessions</h2>\n");
	CGS_PAGE_TABLE(sb, "sessions", json_object_get(v, "sessions"),
	    sess_cols);
	cgs_sb_raw(sb, "<h2>Blocks</h2>\n");
	CGS_PAGE_TABLE(sb, "blocks", json_object_get(v, "blocks"), block_cols);
	cgs_sb_raw(sb, "<h2>Anomalies</h2>\n");
	CGS_PAGE_TABLE(sb, "anomalies", json_object_get(v, "anomalies"),
	    flag_cols);
	if (json_is_true(json_object_get(v, "truncated")))
		cgs_sb_printf(sb,
		    "<p>Lists cut at %d rows: the JSON API and centerctl "
		    "have them all.</p>\n",
		    CGS_VIEW_LIST_MAX);
	snprintf(title, sizeof(title), "/api/card/%s", ua != NULL ? ua : "");
	cgs_page_foot(sb, title);
}
