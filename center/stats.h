/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The center's counters, all in one struct: connections the limits
 * refused or cut, and the sessions that were counted instead of recorded
 * (no valid block: nothing of them is kept in the database).  Every
 * thread adds to them (atomics); one thread reports them, at most once
 * per interval, so that a flood of refusals or junk makes a few log lines
 * and not one per connection.
 */
#ifndef CENTER_STATS_H
#define CENTER_STATS_H

#include <stdatomic.h>

#include "../proto/uplink.h"

#define CGS_STATS_INTERVAL_S 60 /* a summary at most this often */
#define CGS_STATS_REASONS (PROTO_UP_DEADLINE + 1)  /* RESULT reasons */
#define CGS_STATS_STATUSES (PROTO_UP_REJECTED + 1) /* RESULT statuses */

/*
 * A latency histogram, as Prometheus reads one: counts per bucket (not
 * cumulative here; the last bucket is +Inf), their number and their sum.
 * The bounds are cgs_hist_bounds_us.
 */
#define CGS_HIST_BUCKETS 12
extern const unsigned long cgs_hist_bounds_us[CGS_HIST_BUCKETS - 1];
struct cgs_hist {
	atomic_ulong bucket[CGS_HIST_BUCKETS];
	atomic_ulong count;
	atomic_ullong sum_us;
};

enum cgs_event {
	CGS_EV_REFUSED_FULL,   /* refused: the center served its cap */
	CGS_EV_REFUSED_ADDR,   /* refused: the address served its cap */
	CGS_EV_REFUSED_SILENT, /* refused without an answer: too many
				  refusals under way already */
	CGS_EV_CUT_HANDSHAKE,  /* cut: the TLS handshake not done in time */
	CGS_EV_CUT_FRAME,      /* cut: a frame not complete in the idle time */
	CGS_EV_CUT_SESSION,    /* cut: the session's deadline passed */
	CGS_EV_HANDSHAKE_FAILED, /* the TLS handshake failed otherwise */
	CGS_EV_DROPPED,          /* a session not readable: protocol error */
	CGS_EV_NOT_RECORDED,     /* a session the database did not take */
	CGS_EV_JUNK,             /* a session with no valid block: counted */
	CGS_EV_REFUSED_REVOKED,  /* refused: its HELLO names a revoked card */
	CGS_EV_RECORDED,         /* a session recorded */
	CGS_EV_REJECTED,         /* a block rejected, in any session */
	CGS_EV_N
};

struct cgs_stats {
	atomic_ulong ev[CGS_EV_N];
	/* the blocks of the junk sessions, by RESULT reason */
	atomic_ulong junk_blocks[CGS_STATS_REASONS];
	atomic_long logged_at[CGS_EV_N]; /* ms: an event last logged in full */
	/* the reporting thread's own: what its last summary covered */
	unsigned long seen[CGS_EV_N], seen_junk[CGS_STATS_REASONS];
	long report_at;
	/* every block answered (recorded sessions and junk ones), by its
	 * RESULT status and reason */
	atomic_ulong blocks[CGS_STATS_STATUSES][CGS_STATS_REASONS];
	struct cgs_hist ingest; /* a session's ingest, to its commit */
	struct cgs_hist commit; /* the database's commit of a session */
};

void cgs_stats_init(struct cgs_stats *s);
/*
 * Count an event.  Returns 1 when the caller should log this one in full
 * (the first of its kind in an interval), 0 when the summary will count
 * it: log it at PROTO_LOG_INFO then.
 */
int cgs_stats_note(struct cgs_stats *s, enum cgs_event e);
/* A session that had no valid block: counted, with its blocks' reasons. */
void cgs_stats_junk(struct cgs_stats *s, const struct proto_up_answer *a);
/* The blocks of an answered session, by status and reason. */
void cgs_stats_answered(struct cgs_stats *s, const struct proto_up_answer *a);
/* One observation of us microseconds. */
void cgs_hist_add(struct cgs_hist *h, unsigned long long us);
/* CLOCK_MONOTONIC in microseconds, for the histograms. */
long long cgs_now_us(void);
/* The calling thread's CPU time in microseconds. */
long long cgs_cpu_us(void);
/*
 * From one thread, as often as it likes: once an interval has passed, a
 * line of what changed in it (if anything but recorded sessions did).
 * final: a line of the totals since the start, now.
 */
void cgs_stats_report(struct cgs_stats *s, int final);

#endif
