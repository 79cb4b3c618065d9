/* SPDX-License-Identifier: BSD-2-Clause */
#include <pthread.h>
#include <stdlib.h>

#include "../proto/log.h"
#include "../proto/proto.h"
#include "db_name.h"
#include "group.h"
#include "pool.h"
#include "store.h"

struct cgs_pool {
	const char *path;
	char name[CGS_DB_NAME_MAX]; /* path as the log names it */
	const struct cgs_keys *keys;
	struct cgs_group *group; /* SQLite's: the sessions' commits shared */
	pthread_mutex_t lock;
	struct cgs_slot *free; /* under lock */
};

int
cgs_pool_new(const char *path, const struct cgs_keys *keys,
    struct cgs_pool **out)
{
	struct cgs_pool *p;
	int rc;

	if (path == NULL || keys == NULL || out == NULL)
		return PROTO_ERR_ARG;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return PROTO_ERR_NOMEM;
	if (pthread_mutex_init(&p->lock, NULL) != 0) {
		free(p);
		return PROTO_ERR_IO;
	}
	cgs_db_name(path, p->name, sizeof(p->name));
	if (cgs_engine_for(path) == &cgs_engine_sqlite &&
	    (rc = cgs_group_new(path, &p->group)) != 0) {
		proto_log(PROTO_LOG_ERR, "%s: %s: %s", __func__, p->name,
		    proto_strerror(rc));
		pthread_mutex_destroy(&p->lock);
		free(p);
		return rc;
	}
	p->path = path;
	p->keys = keys;
	*out = p;
	return 0;
}

static void
slot_free(struct cgs_slot **slp)
{
	if (*slp == NULL)
		return;
	cgs_ctx_free(&(*slp)->ctx);
	cgs_db_close(&(*slp)->db);
	free(*slp);
	*slp = NULL;
}

struct cgs_slot *
cgs_pool_take(struct cgs_pool *p)
{
	struct cgs_slot *sl;
	int rc;

	pthread_mutex_lock(&p->lock);
	if ((sl = p->free) != NULL)
		p->free = sl->next;
	pthread_mutex_unlock(&p->lock);
	if (sl != NULL)
		return sl;
	if ((sl = calloc(1, sizeof(*sl))) == NULL) {
		proto_log(PROTO_LOG_ERR, "%s: out of memory", __func__);
		return NULL;
	}
	if ((rc = cgs_db_open(p->path, &sl->db)) != 0 ||
	    (rc = cgs_ctx_new(sl->db, p->keys, &sl->ctx)) != 0) {
		proto_log(PROTO_LOG_ERR, "%s: %s: %s", __func__, p->name,
		    proto_strerror(rc));
		slot_free(&sl);
	}
	if (sl != NULL && p->group != NULL)
		cgs_group_join(p->group, sl->db);
	return sl;
}

void
cgs_pool_give(struct cgs_pool *p, struct cgs_slot *sl)
{
	struct cgs_slot *idle;

	if (sl == NULL)
		return;
	if (!cgs_db_usable(sl->db)) {
		/* the server went away: the idle connections went with it,
		 * the next sessions open new ones */
		proto_log(PROTO_LOG_WARNING,
		    "%s: %s: the connection was lost; closing the idle ones",
		    __func__, cgs_db_engine(sl->db));
		slot_free(&sl);
		pthread_mutex_lock(&p->lock);
		idle = p->free;
		p->free = NULL;
		pthread_mutex_unlock(&p->lock);
		for (; idle != NULL; idle = sl) {
			sl = idle->next;
			slot_free(&idle);
		}
		return;
	}
	pthread_mutex_lock(&p->lock);
	sl->next = p->free;
	p->free = sl;
	pthread_mutex_unlock(&p->lock);
}

int
cgs_pool_failed(struct cgs_pool *p)
{
	return p->group != NULL ? cgs_group_failed(p->group) : 0;
}

void
cgs_pool_free(struct cgs_pool **pp)
{
	struct cgs_pool *p;
	struct cgs_slot *sl;

	if (pp == NULL || (p = *pp) == NULL)
		return;
	while ((sl = p->free) != NULL) {
		p->free = sl->next;
		slot_free(&sl);
	}
	if (p->group != NULL) {
		uint64_t batches, txns, passive, restarts;

		cgs_group_counts(p->group, &batches, &txns);
		cgs_group_checkpoints(p->group, &passive, &restarts);
		proto_log(PROTO_LOG_INFO,
		    "%s: %llu sessions committed in %llu commits; the WAL "
		    "checkpointed %llu times beside them, %llu between two",
		    __func__, (unsigned long long)txns,
		    (unsigned long long)batches, (unsigned long long)passive,
		    (unsigned long long)restarts);
		cgs_group_free(&p->group);
	}
	pthread_mutex_destroy(&p->lock);
	free(p);
	*pp = NULL;
}
