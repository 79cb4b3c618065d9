/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The operator console's content.  A view is the data of one page as a
 * JSON value (jansson), read through report.h: the console's JSON API
 * serves it as it is and the HTML page of the same name is rendered from
 * it (page.h), so the two never differ.  /metrics is the Prometheus text
 * of the counters (stats.h) and a few of the database's numbers.
 *
 * Views return 0 or a negative proto_err (PROTO_ERR_NOTFOUND: no such
 * card); *out is the caller's (json_decref).  Metrics append to sb (its
 * failure is reported by cgs_sb_take).
 */
#ifndef CENTER_VIEW_H
#define CENTER_VIEW_H

#include <jansson.h>
#include <stdint.h>

#include "../proto/ua.h"
#include "db.h"
#include "html.h"
#include "report.h"
#include "stats.h"

#define CGS_VIEW_LIST_MAX 200 /* rows of each list on a card's page */
#define CGS_VIEW_PAGE_MAX 500 /* rows of a list page */
#define CGS_VIEW_OVERVIEW_CARDS 20
#define CGS_VIEW_BUCKETS 60  /* the ingest chart: the last hour, */
#define CGS_VIEW_BUCKET_S 60 /* by minute */

/* Cards by status, sessions, blocks by outcome and reason, anomalies,
 * ingest over the last hour, the first cards; stats may be NULL. */
int cgs_view_overview(struct cgs_db *db, const struct cgs_stats *stats,
    int64_t now, json_t **out);
/* One card: its record, data, sessions, blocks, commands, invoices,
 * anomalies, and what of it was recovered through which card's session. */
int
cgs_view_card(struct cgs_db *db, const uint8_t ua[PROTO_UA_LEN], json_t **out);
int cgs_view_cards(struct cgs_db *db, const struct cgs_page *pg, json_t **out);
int
cgs_view_invoices(struct cgs_db *db, const struct cgs_page *pg, json_t **out);
int
cgs_view_anomalies(struct cgs_db *db, const struct cgs_page *pg, json_t **out);

/* The Prometheus text: the counters, and (db not NULL) cards by status
 * and anomalies. */
int cgs_metrics_text(struct cgs_db *db, const struct cgs_stats *stats,
    struct cgs_sb *sb);

#endif
