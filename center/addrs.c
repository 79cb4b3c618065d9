/* SPDX-License-Identifier: BSD-2-Clause */
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/proto.h"
#include "addrs.h"

struct entry {
	struct cgs_addr_key key;
	int n; /* 0: the entry is free */
};

/* cap entries: a free one exists whenever the total is under the cap. */
struct cgs_addrs {
	pthread_mutex_t lock; /* over all of the below */
	int cap, per, total;
	struct entry *e;
};

void
cgs_addr_key(const struct sockaddr_storage *sa, struct cgs_addr_key *k)
{
	const struct in6_addr *a6;

	memset(k, 0, sizeof(*k));
	if (sa->ss_family == AF_INET) {
		memcpy(k->b, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		k->len = 4;
	} else if (sa->ss_family == AF_INET6) {
		a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			memcpy(k->b, a6->s6_addr + 12, 4);
			k->len = 4;
		} else {
			memcpy(k->b, a6->s6_addr, 8);
			k->len = 8;
		}
	}
}

int
cgs_addrs_new(int cap, int per, struct cgs_addrs **out)
{
	struct cgs_addrs *t;

	if (cap < 1 || per < 1 || out == NULL)
		return PROTO_ERR_ARG;
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->e = calloc((size_t)cap, sizeof(*t->e))) == NULL) {
		free(t);
		return PROTO_ERR_NOMEM;
	}
	if (pthread_mutex_init(&t->lock, NULL) != 0) {
		free(t->e);
		free(t);
		return PROTO_ERR_IO;
	}
	t->cap = cap;
	t->per = per;
	*out = t;
	return 0;
}

/* k's entry, or a free one (NULL if none). */
static struct entry *
find(struct cgs_addrs *t, const struct cgs_addr_key *k)
{
	struct entry *free_one = NULL;

	for (int i = 0; i < t->cap; i++) {
		if (t->e[i].n > 0 && memcmp(&t->e[i].key, k, sizeof(*k)) == 0)
			return &t->e[i];
		if (t->e[i].n == 0 && free_one == NULL)
			free_one = &t->e[i];
	}
	return free_one;
}

enum cgs_addrs_take
cgs_addrs_take(struct cgs_addrs *t, const struct cgs_addr_key *k)
{
	enum cgs_addrs_take r = CGS_ADDRS_TAKEN;
	struct entry *e;

	pthread_mutex_lock(&t->lock);
	if (t->total >= t->cap || (e = find(t, k)) == NULL) {
		r = CGS_ADDRS_FULL;
	} else if (e->n >= t->per) {
		r = CGS_ADDRS_ADDR_FULL;
	} else {
		e->key = *k;
		e->n++;
		t->total++;
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

void
cgs_addrs_put(struct cgs_addrs *t, const struct cgs_addr_key *k)
{
	struct entry *e;

	pthread_mutex_lock(&t->lock);
	if ((e = find(t, k)) != NULL && e->n > 0) {
		e->n--;
		t->total--;
	}
	pthread_mutex_unlock(&t->lock);
}

int
cgs_addrs_total(struct cgs_addrs *t)
{
	int n;

	pthread_mutex_lock(&t->lock);
	n = t->total;
	pthread_mutex_unlock(&t->lock);
	return n;
}

void
cgs_addrs_free(struct cgs_addrs **tp)
{
	if (tp == NULL || *tp == NULL)
		return;
	pthread_mutex_destroy(&(*tp)->lock);
	free((*tp)->e);
	free(*tp);
	*tp = NULL;
}
