/* SPDX-License-Identifier: BSD-2-Clause */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../proto/crypto.h"
#include "../proto/log.h"
#include "../proto/proto.h"
#include "upjob.h"

/* Sent to the job's thread to break it out of a blocking call. */
#define WAKE_SIGNAL SIGUSR2

struct dec_upjob {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int pipe_r, pipe_w; /* the thread's news, a byte each */
	/* what goes out, owned */
	SSL_CTX *tls;
	char host[256], port[16];
	struct dec_uplink_in in;
	struct dec_m1_entry recs[DEC_M1_MAX_ENTRIES];
	/* the present card's block, under lock */
	int need_block, given, cancelled, done;
	uint8_t challenge[PROTO_CHALLENGE_LEN];
	uint8_t block[PROTO_BLOCK_MAX];
	size_t block_len; /* 0: none */
	/* what came back, under lock once done */
	int rc;
	struct dec_uplink_out out;
};

static void
on_wake(int sig)
{
	(void)sig; /* only to end the blocked call with EINTR */
}

static int
install_wake(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_wake;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART */
	return sigaction(WAKE_SIGNAL, &sa, NULL) == 0 ? 0 : PROTO_ERR_IO;
}

static void
tell(struct dec_upjob *j)
{
	char b = 1;

	if (write(j->pipe_w, &b, 1) != 1)
		proto_log(PROTO_LOG_ERR, "%s: %s", __func__, strerror(errno));
}

/* On the thread: ask the loop for the block, and wait for it. */
static int
present(void *arg, const uint8_t challenge[PROTO_CHALLENGE_LEN],
    const uint8_t **block, size_t *len)
{
	struct dec_upjob *j = arg;
	int rc = 0;

	pthread_mutex_lock(&j->lock);
	memcpy(j->challenge, challenge, PROTO_CHALLENGE_LEN);
	j->need_block = 1;
	pthread_mutex_unlock(&j->lock);
	tell(j);
	pthread_mutex_lock(&j->lock);
	while (!j->given && !j->cancelled)
		pthread_cond_wait(&j->cond, &j->lock);
	if (j->cancelled)
		rc = PROTO_ERR_IO;
	*block = j->block_len > 0 ? j->block : NULL;
	*len = j->block_len;
	pthread_mutex_unlock(&j->lock);
	return rc;
}

static void *
run(void *arg)
{
	struct dec_upjob *j = arg;
	int rc;

	/* j->out is the loop's to read only once done is set */
	rc = dec_uplink_run(j->tls, j->host, j->port, &j->in, &j->out);
	pthread_mutex_lock(&j->lock);
	j->rc = rc;
	j->done = 1;
	pthread_mutex_unlock(&j->lock);
	tell(j);
	return NULL;
}

static void
job_free(struct dec_upjob *j)
{
	if (j == NULL)
		return;
	pthread_cond_destroy(&j->cond);
	pthread_mutex_destroy(&j->lock);
	if (j->pipe_r >= 0)
		close(j->pipe_r);
	if (j->pipe_w >= 0)
		close(j->pipe_w);
	SSL_CTX_free(j->tls);
	proto_cleanse(j, sizeof(*j));
	free(j);
}

/* The job's copy of what goes out. */
static int
copy_in(struct dec_upjob *j, const struct dec_upjob_in *in)
{
	if (strlen(in->host) >= sizeof(j->host) ||
	    strlen(in->port) >= sizeof(j->port) ||
	    in->n_rec > DEC_M1_MAX_ENTRIES)
		return PROTO_ERR_TOOBIG;
	snprintf(j->host, sizeof(j->host), "%s", in->host);
	snprintf(j->port, sizeof(j->port), "%s", in->port);
	j->in.hello = in->hello;
	j->in.present = in->present ? present : NULL;
	j->in.present_arg = j;
	j->in.cut_after = in->cut_after;
	for (size_t i = 0; i < in->n_rec; i++) {
		j->recs[i] = *in->rec[i];
		j->in.rec[i] = &j->recs[i];
	}
	j->in.n_rec = in->n_rec;
	if (SSL_CTX_up_ref(in->tls) != 1)
		return PROTO_ERR_CRYPTO;
	j->tls = in->tls;
	return 0;
}

int
dec_upjob_start(const struct dec_upjob_in *in, struct dec_upjob **out)
{
	struct dec_upjob *j;
	int p[2], rc;

	if ((rc = install_wake()) != 0)
		return rc;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return PROTO_ERR_NOMEM;
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->cond, NULL);
	j->pipe_r = j->pipe_w = -1;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
		rc = PROTO_ERR_IO;
		goto fail;
	}
	j->pipe_r = p[0];
	j->pipe_w = p[1];
	if ((rc = copy_in(j, in)) != 0)
		goto fail;
	if (pthread_create(&j->thread, NULL, run, j) != 0) {
		rc = PROTO_ERR_NOMEM;
		goto fail;
	}
	*out = j;
	return 0;
fail:
	job_free(j);
	return rc;
}

int
dec_upjob_fd(const struct dec_upjob *j)
{
	return j->pipe_r;
}

enum dec_upjob_event
dec_upjob_poll(struct dec_upjob *j, uint8_t challenge[PROTO_CHALLENGE_LEN])
{
	enum dec_upjob_event ev = DEC_UPJOB_NOTHING;
	char sink[64];

	while (read(j->pipe_r, sink, sizeof(sink)) > 0)
		;
	pthread_mutex_lock(&j->lock);
	if (j->done) {
		ev = DEC_UPJOB_DONE;
	} else if (j->need_block && !j->given) {
		memcpy(challenge, j->challenge, PROTO_CHALLENGE_LEN);
		ev = DEC_UPJOB_NEED_BLOCK;
	}
	pthread_mutex_unlock(&j->lock);
	return ev;
}

void
dec_upjob_give(struct dec_upjob *j, const uint8_t *block, size_t len)
{
	pthread_mutex_lock(&j->lock);
	if (block != NULL && len > 0 && len <= sizeof(j->block)) {
		memcpy(j->block, block, len);
		j->block_len = len;
	}
	j->given = 1;
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->lock);
}

void
dec_upjob_cancel(struct dec_upjob *j)
{
	int done;

	pthread_mutex_lock(&j->lock);
	j->cancelled = 1;
	done = j->done;
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->lock);
	if (!done)
		(void)pthread_kill(j->thread, WAKE_SIGNAL);
}

int
dec_upjob_finish(struct dec_upjob **jp, struct dec_uplink_out *out)
{
	struct dec_upjob *j = *jp;
	int rc;

	pthread_join(j->thread, NULL);
	rc = j->rc;
	*out = j->out; /* an ERROR frame's reason too */
	job_free(j);
	*jp = NULL;
	return rc;
}
