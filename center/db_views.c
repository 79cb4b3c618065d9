/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The console's views (report.h): breakdowns by status, reason and time,
 * counts, and pages of the lists with their filters.  Read-only, through
 * db_rows.h like the reports.
 */
#include <string.h>

#include "../proto/proto.h"
#include "db_rows.h"

/* The rows of a breakdown: (status, n), (status, reason, n), (at, status,
 * n). */
#define COUNT(col, kind, m) RC(col, kind, struct cgs_count_row, m)
static const struct rep_col status_count_cols[] = {
	COUNT(0, RC_TEXT, status),
	COUNT(1, RC_U64, n),
};
static const struct rep_col reason_count_cols[] = {
	COUNT(0, RC_TEXT, status),
	COUNT(1, RC_TEXT, reason),
	COUNT(2, RC_U64, n),
};
static const struct rep_col time_count_cols[] = {
	COUNT(0, RC_I64, at),
	COUNT(1, RC_TEXT, status),
	COUNT(2, RC_U64, n),
};

/* The status a card is shown with: revoked over the others. */
#define CARD_STATUS \
	"CASE WHEN revoked_at IS NOT NULL THEN 'revoked' ELSE status END"

int
cgs_report_card_counts(struct cgs_db *db, cgs_count_cb cb, void *arg)
{
	struct rep_rows to =
	    REP_ROWS(REP_COUNT, count, status_count_cols, cb, arg);

	return rep_query(db,
	    "SELECT " CARD_STATUS ", COUNT(*) FROM cards GROUP BY 1 ORDER BY 1",
	    NULL, 0, &to);
}

int
cgs_report_block_counts(struct cgs_db *db, cgs_count_cb cb, void *arg)
{
	struct rep_rows to =
	    REP_ROWS(REP_COUNT, count, reason_count_cols, cb, arg);

	/* the sessions' counts (block_counts), never all the blocks */
	return rep_query(db,
	    "SELECT status, reason, SUM(n) FROM block_counts GROUP BY "
	    "status, reason ORDER BY status, reason",
	    NULL, 0, &to);
}

/* The sessions since ?2 in buckets of ?1 s: their blocks by status. */
#define BY_TIME "started_at - started_at % ?1 AS t"
#define SINCE " FROM sessions WHERE started_at >= ?2 GROUP BY 1"

int
cgs_report_ingest(struct cgs_db *db, int64_t since, int64_t bucket_s,
    cgs_count_cb cb, void *arg)
{
	struct rep_rows to =
	    REP_ROWS(REP_COUNT, count, time_count_cols, cb, arg);
	struct rep_param p[] = { INT_P(bucket_s), INT_P(since) };

	if (bucket_s <= 0)
		return PROTO_ERR_ARG;
	/* a block is received at its session's start: the sessions' counts
	 * by status, never the blocks (schema 8) */
	return rep_query(db,
	    "SELECT t, status, n FROM (SELECT " BY_TIME ", 'accepted' AS "
	    "status, SUM(n_accepted) AS n" SINCE " UNION ALL SELECT " BY_TIME
	    ", 'duplicate', SUM(n_duplicate)" SINCE " UNION ALL SELECT " BY_TIME
	    ", 'rejected', SUM(n_rejected)" SINCE ") x WHERE n > 0 "
	    "ORDER BY 1, 2",
	    p, 2, &to);
}

int
cgs_report_session_count(struct cgs_db *db, int64_t since, uint64_t *n)
{
	struct rep_param p[] = { INT_P(since) };

	return rep_scalar(db,
	    "SELECT COUNT(*) FROM sessions WHERE started_at >= ?1", p, 1, n);
}

int
cgs_report_flag_count(struct cgs_db *db, uint64_t *n)
{
	return rep_scalar(db, "SELECT COUNT(*) FROM flags", NULL, 0, n);
}

/*
 * A page: its count (count_sql) and its rows (sql), with ?1 the page's
 * UA, ?2 the filter, ?3 and ?4 its limit and offset (the count takes the
 * first two).
 */
static int
page(struct cgs_db *db, const struct cgs_page *pg, const char *filter,
    const char *count_sql, const char *sql, const struct rep_rows *to,
    uint64_t *total)
{
	struct rep_param p[] = { UA_P(pg->ua), TEXT_P(filter), INT_P(pg->limit),
		INT_P(pg->offset) };
	int rc;

	if ((rc = rep_scalar(db, count_sql, p, 2, total)) != 0)
		return rc;
	return rep_query(db, sql, p, 4, to);
}

#define CARDS_WHERE                                                           \
	" WHERE (CAST(?1 AS TEXT) IS NULL OR ua = ?1) AND (CAST(?2 AS TEXT) " \
	"IS NULL OR " CARD_STATUS " = ?2)"
#define PAGE_RANGE " LIMIT ?3 OFFSET ?4"

int
cgs_report_cards_page(struct cgs_db *db, const struct cgs_page *pg,
    cgs_card_cb cb, void *arg, uint64_t *total)
{
	struct rep_rows to = rep_cards(cb, arg);

	return page(db, pg, pg->status,
	    "SELECT COUNT(*) FROM cards" CARDS_WHERE,
	    CARD_SELECT CARDS_WHERE " ORDER BY ua" PAGE_RANGE, &to, total);
}

#define PURCHASES_WHERE                                                       \
	" WHERE (CAST(?1 AS TEXT) IS NULL OR ua = ?1) AND (CAST(?2 AS TEXT) " \
	"IS NULL OR origin = ?2)"

int
cgs_report_purchases_page(struct cgs_db *db, const struct cgs_page *pg,
    cgs_purchase_cb cb, void *arg, uint64_t *total)
{
	struct rep_rows to = rep_purchases(cb, arg);

	return page(db, pg, pg->origin,
	    "SELECT COUNT(*) FROM purchases" PURCHASES_WHERE,
	    PURCHASE_SELECT PURCHASES_WHERE
	    " ORDER BY recorded_at DESC, ua, seq DESC" PAGE_RANGE,
	    &to, total);
}
/* text as a LIKE pattern "%text%", its own % _ and \ escaped by \. */
static int
like_pattern(const char *text, char *buf, size_t cap)
{
	size_t n = 0, len = strlen(text);

	if (len > CGS_PAGE_TEXT_MAX || cap < 2 * len + 3)
		return PROTO_ERR_TOOBIG;
	buf[n++] = '%';
	for (; *text != '\0'; text++) {
		if (*text == '%' || *text == '_' || *text == '\\')
			buf[n++] = '\\';
		buf[n++] = *text;
	}
	buf[n++] = '%';
	buf[n] = '\0';
	return 0;
}

#define FLAGS_WHERE                                         \
	" WHERE (CAST(?1 AS TEXT) IS NULL OR ua = ?1) AND " \
	"(CAST(?2 AS TEXT) IS NULL OR what LIKE ?2 ESCAPE '\\')"

int
cgs_report_flags_page(struct cgs_db *db, const struct cgs_page *pg,
    cgs_flag_cb cb, void *arg, uint64_t *total)
{
	struct rep_rows to = rep_flags(cb, arg);
	char pat[2 * CGS_PAGE_TEXT_MAX + 3];
	int rc;

	if (pg->text != NULL &&
	    (rc = like_pattern(pg->text, pat, sizeof(pat))) != 0)
		return rc;
	return page(db, pg, pg->text != NULL ? pat : NULL,
	    "SELECT COUNT(*) FROM flags" FLAGS_WHERE,
	    FLAG_SELECT FLAGS_WHERE " ORDER BY id DESC" PAGE_RANGE, &to, total);
}
