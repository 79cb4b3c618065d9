/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * loadgen's decoders: one event loop (epoll, non-blocking sockets and
 * OpenSSL) per thread, each driving its share of the decoders through
 * real uplink sessions.  A decoder calls in, runs HELLO .. END and reads
 * the answer; the card takes the commands, M1 drops what was
 * acknowledged; between sessions the card buys films, or is swapped for
 * a new one (the old one exporting into M1 first).  A decoder refused
 * (busy, an error, a timeout) tries again after a while.  Some sessions
 * lose their answer (the decoder reads it but dies before keeping any of
 * it: the next session sends the same M1 blocks again), some resend a
 * block (twice in one session, or one the center acknowledged before).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "../../proto/proto.h"
#include "../../proto/tls.h"
#include "loadgen.h"

#define FRAME_MAX (PROTO_UPLINK_HDR_LEN + PROTO_UPLINK_MAX_BODY)
#define TICK_MS 5
#define EVENTS 256
#define BACKOFF_MS 200      /* a refused decoder waits about this long, */
#define BACKOFF_MAX 30000   /* doubling up to this, as decoders do */
#define SRC_NET 0x7f100000u /* decoders' own addresses: 127.16.0.0 up */

enum cstate { C_CONNECT, C_HANDSHAKE, C_SEND, C_READ };
/* O_REFUSED: the center said ERROR (not busy); O_ERROR: anything else */
enum outcome { O_OK, O_CUT, O_BUSY, O_REFUSED, O_ERROR, O_TIMEOUT };

struct loop;

/* One session of one decoder, from connect to DONE. */
struct conn {
	struct loop *l;
	struct lg_dec *d;
	int fd;
	SSL *ssl;
	enum cstate st;
	int answering; /* HELLO sent and CHALLENGE read: blocks, answer */
	uint32_t events;
	uint8_t *out;
	size_t out_len, out_off;
	uint8_t in[FRAME_MAX];
	size_t in_len, frame_len;
	double t0;
	int cut, dup;
	size_t nblocks, nrec;
	uint32_t pmax[PROTO_UPLINK_MAX_BLOCKS]; /* each block's purchases */
	int used;
	struct proto_up_answer ans;
};

struct center {
	struct sockaddr_storage sa;
	socklen_t len;
};

struct loop {
	struct lg_world *w;
	SSL_CTX *tls;
	const char *verify_name;
	const struct center *centers;
	int id, ep;
	uint32_t *decs; /* the decoders this loop drives */
	size_t n_decs, left, scan;
	struct conn *conns; /* cap of them, n_active used */
	uint32_t *unused;   /* the indices of those not used */
	size_t cap, n_unused, n_active;
	unsigned seed;
	int64_t give_up_at; /* the run's end: decoders not through give up */
	struct lg_stats st;
	int rc;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double
now_exact_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
pct(struct loop *l, int p)
{
	return (int)((unsigned)rand_r(&l->seed) % 100) < p;
}

static int
lat_add(struct lg_stats *st, double ms)
{
	double *n;

	if ((n = lg_grow(st->lat_ms, st->n_lat, &st->cap_lat, sizeof(*n),
		 1024)) == NULL)
		return PROTO_ERR_NOMEM;
	st->lat_ms = n;
	st->lat_ms[st->n_lat++] = ms;
	return 0;
}

static void
want(struct conn *c, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };

	if (c->events == ev)
		return;
	(void)epoll_ctl(c->l->ep, EPOLL_CTL_MOD, c->fd, &e);
	c->events = ev;
}

/* --- the decoder between sessions -------------------------------------- */

/* When a decoder refused for the attempt-th time calls again. */
static int64_t
backoff(struct loop *l, int attempt)
{
	int64_t ms = BACKOFF_MS;

	for (int i = 1; i < attempt && ms < BACKOFF_MAX; i++)
		ms *= 2;
	if (ms > BACKOFF_MAX)
		ms = BACKOFF_MAX;
	return now_ms() + ms / 2 +
	    (int64_t)((unsigned)rand_r(&l->seed) % (unsigned)ms);
}

/* A session through: the decoder's next step, or its end. */
static int
dec_next(struct loop *l, struct lg_dec *d)
{
	const struct lg_conf *cf = l->w->conf;
	struct lg_card *c = &l->w->cards[d->card];

	d->done_sessions++;
	d->attempts = 0;
	if (d->done_sessions >= cf->sessions && d->n_m1 == 0) {
		d->finished = 1;
		return 0;
	}
	d->next_at_ms = now_ms() + (int64_t)((unsigned)rand_r(&l->seed) % 50);
	if (d->done_sessions == d->swap_at)
		return lg_dec_swap(l->w, d);
	lg_card_buy(c, (d->idx * 7 + (unsigned)d->done_sessions) % 3);
	return 0;
}

static void
dec_retry(struct loop *l, struct lg_dec *d)
{
	if (++d->attempts >= l->w->conf->max_attempts) {
		d->finished = d->gave_up = 1;
		return;
	}
	d->next_at_ms = backoff(l, d->attempts);
}

/* --- the session's frames ------------------------------------------------ */

static int
out_frame_hello(struct conn *c)
{
	struct lg_card *card = &c->l->w->cards[c->d->card];
	struct proto_up_hello h = { .has_card = 1 };
	struct proto_wr w;
	int rc;

	memcpy(h.decoder_id, c->d->id, PROTO_DECODER_ID_LEN);
	memcpy(h.ua, card->ua, PROTO_UA_LEN);
	if ((c->out = malloc(PROTO_UPLINK_HDR_LEN + 64)) == NULL)
		return PROTO_ERR_NOMEM;
	proto_wr_init(&w, c->out, PROTO_UPLINK_HDR_LEN + 64);
	if ((rc = proto_up_hello_encode(&h, &w)) != 0)
		return rc;
	c->out_len = proto_wr_len(&w);
	c->out_off = 0;
	return 0;
}

static int
out_recovered(struct conn *c, struct proto_wr *w, const struct lg_m1 *e)
{
	struct proto_up_recovered r = { .stored_at = e->stored_at,
		.block = e->block,
		.len = e->len };

	memcpy(r.decoder_id, c->d->id, PROTO_DECODER_ID_LEN);
	c->pmax[c->nblocks] = e->purchases;
	c->nrec++;
	c->nblocks++;
	return proto_up_recovered_encode(&r, w);
}

/*
 * The present card's block for this challenge (UPLINK BLOCKS), the M1
 * blocks of other cards, a resent one perhaps, END.
 */
static int
out_blocks(struct conn *c, const uint8_t nonce[PROTO_CHALLENGE_LEN])
{
	struct lg_world *w = c->l->w;
	struct lg_dec *d = c->d;
	const struct lg_m1 *again = NULL;
	uint8_t blk[PROTO_BLOCK_MAX];
	size_t len, n_m1 = d->m1 != NULL ? d->n_m1 : 0, cap;
	uint32_t seq;
	struct proto_wr wr;
	int rc;

	if (c->dup)
		again = d->has_acked ? &d->acked : n_m1 > 0 ? &d->m1[0] : NULL;
	if (n_m1 > PROTO_UPLINK_MAX_BLOCKS - 1 - (again != NULL))
		n_m1 = PROTO_UPLINK_MAX_BLOCKS - 1 - (again != NULL);
	cap = (n_m1 + 2) * FRAME_MAX + PROTO_UPLINK_HDR_LEN;
	free(c->out);
	if ((c->out = malloc(cap)) == NULL)
		return PROTO_ERR_NOMEM;
	proto_wr_init(&wr, c->out, cap);
	if ((rc = lg_card_block(w, &w->cards[d->card], PROTO_BLOCK_UPLINK,
		 nonce, blk, sizeof(blk), &len, &seq)) != 0 ||
	    (rc = proto_up_frame(&wr, PROTO_UP_BLOCK, len)) != 0 ||
	    (rc = proto_wr_bytes(&wr, blk, len)) != 0)
		return rc;
	c->nblocks = 1;
	c->pmax[0] = w->cards[d->card].purchase_seq;
	for (size_t i = 0; i < n_m1; i++)
		if ((rc = out_recovered(c, &wr, &d->m1[i])) != 0)
			return rc;
	if (again != NULL && (rc = out_recovered(c, &wr, again)) != 0)
		return rc;
	c->l->st.dup_sent += again != NULL;
	if ((rc = proto_up_frame(&wr, PROTO_UP_END, 0)) != 0)
		return rc;
	c->out_len = proto_wr_len(&wr);
	c->out_off = 0;
	return 0;
}

/* --- a session's end ------------------------------------------------------ */

static void
conn_close(struct conn *c)
{
	struct loop *l = c->l;

	if (c->ssl != NULL && c->st != C_CONNECT && c->st != C_HANDSHAKE)
		(void)SSL_shutdown(c->ssl);
	SSL_free(c->ssl);
	ERR_clear_error();
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	c->out = NULL;
	c->used = 0;
	l->unused[l->n_unused++] = (uint32_t)(c - l->conns);
	l->n_active--;
}

/* What the session's answer says of its blocks. */
static void
count_results(struct lg_stats *st, const struct proto_up_answer *a)
{
	for (size_t i = 0; i < a->n_res; i++) {
		const struct proto_up_result *r = &a->res[i];
		if (r->status == PROTO_UP_ACCEPTED &&
		    r->reason == PROTO_UP_STALE)
			st->stale++;
		else if (r->status == PROTO_UP_ACCEPTED)
			st->accepted++;
		else if (r->status == PROTO_UP_DUPLICATE)
			st->duplicate++;
		else if (proto_up_reason_final(r->reason))
			st->rejected_final++;
		else
			st->rejected++;
	}
}

/* The answer taken: commands to the card, ACKs to M1. */
static int
keep_answer(struct conn *c)
{
	struct lg_world *w = c->l->w;
	struct lg_stats *st = &c->l->st;
	struct lg_card *card = &w->cards[c->d->card];
	const struct proto_up_answer *a = &c->ans;
	int rc;

	for (size_t i = 0; i < a->n_cmds; i++) {
		if ((rc = lg_card_command(w, card, a->cmds[i],
			 a->cmd_len[i])) != 0) {
			if (st->errors++ < 5)
				fprintf(stderr,
				    "%s: the card refused a command: %s\n",
				    __func__, proto_strerror(rc));
			continue;
		}
		st->cmds_applied++;
	}
	for (size_t i = 0; i < a->n_acks; i++)
		lg_dec_acked(c->d, a->ack_ua[i], a->ack_seq[i], w);
	st->acks += a->n_acks;
	st->invoiced += a->invoiced;
	st->flagged += a->flagged;
	return 0;
}

/*
 * The answer's acknowledgements into the ack log (-L), in one write, as
 * soon as the answer is in: each block the center took (accepted, or a
 * duplicate of one it has), with the purchases its card had made, and
 * each ACK of an M1 block.  A power-cut test checks them against what
 * the center's database kept.
 */
static void
log_acks(const struct conn *c)
{
	const struct proto_up_answer *a = &c->ans;
	char buf[2 * PROTO_UPLINK_MAX_BLOCKS * 48], h[2 * PROTO_UA_LEN + 1];
	size_t n = 0;

	if (c->l->w->conf->ack_fd < 0)
		return;
	for (size_t i = 0; i < a->n_res; i++) {
		const struct proto_up_result *r = &a->res[i];
		if ((r->status != PROTO_UP_ACCEPTED &&
			r->status != PROTO_UP_DUPLICATE) ||
		    r->index >= c->nblocks)
			continue;
		proto_hex(r->ua, PROTO_UA_LEN, h);
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "b,%s,%u,%u\n",
		    h, r->seq, c->pmax[r->index]);
	}
	for (size_t i = 0; i < a->n_acks; i++) {
		proto_hex(a->ack_ua[i], PROTO_UA_LEN, h);
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "a,%s,%u,0\n",
		    h, a->ack_seq[i]);
	}
	if (n > 0 && write(c->l->w->conf->ack_fd, buf, n) != (ssize_t)n)
		fprintf(stderr, "%s: the ack log: a short write\n", __func__);
}

static void
conn_end(struct conn *c, enum outcome o)
{
	struct loop *l = c->l;
	struct lg_stats *st = &l->st;
	struct lg_dec *d = c->d;
	int present_ok =
	    c->ans.n_res > 0 && c->ans.res[0].status == PROTO_UP_ACCEPTED;

	st->attempts++;
	if (o == O_OK && !present_ok)
		o = O_ERROR; /* the center could not take the card's block */
	if (o == O_OK || o == O_CUT) {
		count_results(st, &c->ans);
		log_acks(c);
	}
	if (o == O_OK) {
		st->sessions++;
		st->blocks += c->nblocks;
		st->recovered += c->nrec;
		st->present++;
		if (lat_add(st, now_exact_ms() - c->t0) != 0 ||
		    keep_answer(c) != 0 || dec_next(l, d) != 0)
			l->rc = PROTO_ERR_NOMEM;
	} else if (o == O_CUT) {
		st->cut++;
		d->next_at_ms =
		    now_ms() + 20 + (int64_t)((unsigned)rand_r(&l->seed) % 100);
	} else {
		if (o == O_BUSY)
			st->busy++;
		else if (o == O_REFUSED)
			st->refused++;
		else if (o == O_TIMEOUT)
			st->timeouts++;
		else
			st->errors++;
		dec_retry(l, d);
	}
	if (d->finished)
		l->left--;
	conn_close(c);
}

/* --- the session as a state machine ----------------------------------- */

/*
 * One whole frame in c->in.  Returns 1 when the session goes on, 0 when
 * it ended (c is gone).
 */
static int
take_frame(struct conn *c, uint8_t type, const uint8_t *body, size_t n)
{
	uint8_t nonce[PROTO_CHALLENGE_LEN];
	int rc, done = 0;

	if (!c->answering) {
		if (type == PROTO_UP_ERROR) {
			conn_end(c,
			    n > 0 && body[0] == PROTO_UP_BUSY ? O_BUSY :
								O_ERROR);
			return 0;
		}
		if (type != PROTO_UP_CHALLENGE ||
		    proto_up_challenge_decode(body, n, nonce) != 0 ||
		    out_blocks(c, nonce) != 0) {
			conn_end(c, O_ERROR);
			return 0;
		}
		c->answering = 1;
		c->st = C_SEND;
		return 1;
	}
	rc = proto_up_answer_take(&c->ans, type, body, n, &done);
	if (rc == PROTO_ERR_STATE) {
		conn_end(c, c->ans.error == PROTO_UP_BUSY ? O_BUSY : O_REFUSED);
		return 0;
	}
	if (rc != 0) {
		conn_end(c, O_ERROR);
		return 0;
	}
	if (done) {
		conn_end(c, c->cut ? O_CUT : O_OK);
		return 0;
	}
	return 1;
}

/* SSL's wish after a call that did not complete: wait for it, or fail. */
static int
ssl_wait(struct conn *c, int r)
{
	int e = SSL_get_error(c->ssl, r);

	if (e == SSL_ERROR_WANT_READ) {
		want(c, EPOLLIN);
		return 0;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		want(c, EPOLLOUT);
		return 0;
	}
	ERR_clear_error();
	conn_end(c, O_ERROR);
	return 0;
}

/* Read what is there of the current frame; 1 while the session goes on. */
static int
read_some(struct conn *c)
{
	size_t need, got;
	uint8_t type;
	int r;

	need = c->in_len < PROTO_UPLINK_HDR_LEN ? PROTO_UPLINK_HDR_LEN :
						  c->frame_len;
	if ((r = SSL_read_ex(c->ssl, c->in + c->in_len, need - c->in_len,
		 &got)) != 1)
		return ssl_wait(c, r);
	c->in_len += got;
	if (c->in_len == PROTO_UPLINK_HDR_LEN) {
		if (proto_up_header(c->in, &type, &need) != 0) {
			conn_end(c, O_ERROR);
			return 0;
		}
		c->frame_len = PROTO_UPLINK_HDR_LEN + need;
	}
	if (c->in_len < PROTO_UPLINK_HDR_LEN || c->in_len < c->frame_len)
		return 1;
	c->in_len = 0;
	return take_frame(c, c->in[0], c->in + PROTO_UPLINK_HDR_LEN,
	    c->frame_len - PROTO_UPLINK_HDR_LEN);
}

static void
step(struct conn *c)
{
	int r, err;
	socklen_t el = sizeof(err);
	size_t put;

	for (;;) {
		switch (c->st) {
		case C_CONNECT:
			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err,
				&el) != 0 ||
			    err != 0) {
				conn_end(c, O_ERROR);
				return;
			}
			c->st = C_HANDSHAKE;
			break;
		case C_HANDSHAKE:
			if ((r = SSL_connect(c->ssl)) != 1) {
				(void)ssl_wait(c, r);
				return;
			}
			if (out_frame_hello(c) != 0) {
				conn_end(c, O_ERROR);
				return;
			}
			c->st = C_SEND;
			break;
		case C_SEND:
			while (c->out_off < c->out_len) {
				if ((r = SSL_write_ex(c->ssl,
					 c->out + c->out_off,
					 c->out_len - c->out_off, &put)) != 1) {
					(void)ssl_wait(c, r);
					return;
				}
				c->out_off += put;
			}
			free(c->out);
			c->out = NULL;
			c->st = C_READ;
			c->in_len = 0;
			want(c, EPOLLIN);
			break;
		case C_READ:
			if (read_some(c) == 0)
				return;
			break;
		}
	}
}

/* --- starting sessions ------------------------------------------------- */

static int
conn_socket(struct loop *l, struct lg_dec *d, const struct center *ce)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	int fd, one = 1;

	if ((fd = socket(ce->sa.ss_family,
		 SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (l->w->conf->own_addrs && ce->sa.ss_family == AF_INET) {
		src.sin_addr.s_addr = htonl(SRC_NET + d->idx + 1);
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0) {
			close(fd);
			return -1;
		}
	}
	if (connect(fd, (const struct sockaddr *)&ce->sa, ce->len) != 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A connection of the loop's pool, cleared; NULL when all are used. */
static struct conn *
conn_take(struct loop *l)
{
	struct conn *c;

	if (l->n_unused == 0)
		return NULL;
	c = &l->conns[l->unused[--l->n_unused]];
	memset(c, 0, sizeof(*c));
	c->l = l;
	c->fd = -1;
	c->used = 1;
	l->n_active++;
	return c;
}

/* Decoder d calls in: a connection to its center for this attempt. */
static void
start(struct loop *l, struct lg_dec *d)
{
	const struct lg_conf *cf = l->w->conf;
	const struct center *ce = &l->centers[(d->idx + (uint32_t)d->attempts +
						  (uint32_t)d->done_sessions) %
	    (uint32_t)cf->n_centers];
	struct epoll_event e;
	struct conn *c;

	if ((c = conn_take(l)) == NULL)
		return;
	c->d = d;
	c->t0 = now_exact_ms();
	c->cut = pct(l, cf->cut_pct);
	c->dup = pct(l, cf->dup_pct);
	d->next_at_ms = INT64_MAX; /* busy until it ends */
	if ((c->fd = conn_socket(l, d, ce)) < 0) {
		conn_end(c, O_ERROR);
		return;
	}
	e = (struct epoll_event){ .events = EPOLLOUT, .data.ptr = c };
	c->events = EPOLLOUT;
	if ((c->ssl = SSL_new(l->tls)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1 ||
	    SSL_set_tlsext_host_name(c->ssl, l->verify_name) != 1 ||
	    SSL_set1_host(c->ssl, l->verify_name) != 1 ||
	    epoll_ctl(l->ep, EPOLL_CTL_ADD, c->fd, &e) != 0) {
		conn_end(c, O_ERROR);
		return;
	}
}

/* Start the decoders whose time came, within the connection cap; cut
 * the sessions past their time. */
static void
tick(struct loop *l)
{
	int64_t now = now_ms(), limit = l->w->conf->timeout_ms;

	for (size_t i = 0; i < l->cap; i++)
		if (l->conns[i].used &&
		    (double)now - l->conns[i].t0 > (double)limit)
			conn_end(&l->conns[i], O_TIMEOUT);
	if (now > l->give_up_at)
		for (size_t k = 0; k < l->n_decs; k++) {
			struct lg_dec *d = &l->w->decs[l->decs[k]];
			if (!d->finished && d->next_at_ms != INT64_MAX) {
				d->finished = d->gave_up = 1;
				l->left--;
			}
		}
	for (size_t k = 0; k < l->n_decs && l->n_unused > 0; k++) {
		struct lg_dec *d =
		    &l->w->decs[l->decs[(l->scan + k) % l->n_decs]];
		if (!d->finished && d->next_at_ms <= now)
			start(l, d);
	}
	l->scan = (l->scan + 1) % (l->n_decs ? l->n_decs : 1);
}

static void *
loop_run(void *arg)
{
	struct loop *l = arg;
	struct epoll_event ev[EVENTS];
	int64_t last = 0;
	int n;

	while (l->left > 0 && l->rc == 0) {
		if (now_ms() - last >= TICK_MS) {
			tick(l);
			last = now_ms();
		}
		if ((n = epoll_wait(l->ep, ev, EVENTS, TICK_MS)) < 0 &&
		    errno != EINTR) {
			l->rc = PROTO_ERR_IO;
			break;
		}
		for (int i = 0; i < n; i++)
			step(ev[i].data.ptr);
	}
	for (size_t i = 0; i < l->cap; i++)
		if (l->conns[i].used)
			conn_close(&l->conns[i]);
	return NULL;
}

/* --- the run ------------------------------------------------------------- */

static int
resolve(const struct lg_conf *cf, struct center *out)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;

	for (int i = 0; i < cf->n_centers; i++) {
		hints.ai_family = cf->own_addrs ? AF_INET : AF_UNSPEC;
		if (getaddrinfo(cf->host[i], cf->port[i], &hints, &res) != 0) {
			fprintf(stderr, "%s: cannot resolve %s:%s\n", __func__,
			    cf->host[i], cf->port[i]);
			return PROTO_ERR_NOTFOUND;
		}
		memcpy(&out[i].sa, res->ai_addr, res->ai_addrlen);
		out[i].len = res->ai_addrlen;
		freeaddrinfo(res);
	}
	return 0;
}

static int
stats_add(struct lg_stats *to, const struct lg_stats *from)
{
	unsigned long *t = &to->sessions;
	const unsigned long *f = &from->sessions;

	/* the counters, from sessions to flagged, in order */
	for (size_t i = 0; i < (size_t)(&to->flagged - &to->sessions) + 1; i++)
		t[i] += f[i];
	for (size_t i = 0; i < from->n_lat; i++)
		if (lat_add(to, from->lat_ms[i]) != 0)
			return PROTO_ERR_NOMEM;
	return 0;
}

static void
loops_free(struct loop *ls, int n)
{
	for (int i = 0; i < n; i++) {
		if (ls[i].ep >= 0)
			close(ls[i].ep);
		free(ls[i].decs);
		free(ls[i].conns);
		free(ls[i].unused);
		free(ls[i].st.lat_ms);
	}
	free(ls);
}

int
lg_drive(struct lg_world *w, struct lg_stats *st, double *secs)
{
	const struct lg_conf *cf = w->conf;
	struct center centers[LG_MAX_CENTERS];
	int nt = cf->threads, rc = 0;
	pthread_t t[64];
	int joined[64];
	struct loop *ls = NULL;
	SSL_CTX *tls = NULL;
	double t0;

	if (nt > 64)
		nt = 64;
	if (nt < 1)
		nt = 1;
	if ((rc = resolve(cf, centers)) != 0)
		return rc;
	if ((rc = proto_tls_client_ctx(cf->ca, &tls)) != 0) {
		fprintf(stderr, "%s: CA %s: %s\n", __func__, cf->ca,
		    proto_strerror(rc));
		return rc;
	}
	if ((ls = calloc((size_t)nt, sizeof(*ls))) == NULL) {
		rc = PROTO_ERR_NOMEM;
		goto out;
	}
	for (int i = 0; i < nt; i++) {
		struct loop *l = &ls[i];
		l->w = w;
		l->tls = tls;
		l->verify_name = "localhost";
		l->centers = centers;
		l->id = i;
		l->ep = -1;
		l->seed = cf->seed * 7919u + (unsigned)i;
		l->give_up_at = now_ms() + (int64_t)cf->run_secs * 1000;
		l->cap = (cf->inflight + (uint32_t)nt - 1) / (uint32_t)nt;
		if ((l->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
		    (l->decs = calloc(cf->n_decoders / (uint32_t)nt + 1,
			 sizeof(*l->decs))) == NULL ||
		    (l->conns = calloc(l->cap, sizeof(*l->conns))) == NULL ||
		    (l->unused = calloc(l->cap, sizeof(*l->unused))) == NULL) {
			rc = PROTO_ERR_NOMEM;
			goto out;
		}
		for (size_t k = 0; k < l->cap; k++)
			l->unused[l->n_unused++] = (uint32_t)(l->cap - 1 - k);
	}
	for (uint32_t d = 0; d < cf->n_decoders; d++) {
		struct loop *l = &ls[d % (uint32_t)nt];
		l->decs[l->n_decs++] = d;
		l->left++;
	}
	t0 = now_exact_ms();
	for (int i = 0; i < nt; i++)
		if ((joined[i] = pthread_create(&t[i], NULL, loop_run,
				     &ls[i]) == 0) == 0)
			loop_run(&ls[i]); /* no thread: on this one, then */
	for (int i = 0; i < nt; i++)
		if (joined[i])
			pthread_join(t[i], NULL);
	*secs = (now_exact_ms() - t0) / 1e3;
	for (int i = 0; i < nt && rc == 0; i++)
		if ((rc = ls[i].rc) == 0)
			rc = stats_add(st, &ls[i].st);
out:
	if (ls != NULL)
		loops_free(ls, nt);
	SSL_CTX_free(tls);
	return rc;
}
