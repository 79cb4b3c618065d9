/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Personalization of the security-module applet, and the decoded view of
 * a card the tools print: both outside the APDU path, straight on the
 * store.
 */
#include <string.h>

#include "../proto/proto.h"
#include "sm.h"
#include "sm_state.h"

static int
sm_region(const struct card_store *store, int *id)
{
	return card_store_region(store, card_sm_applet.aid,
	    card_sm_applet.aidlen, id, NULL);
}

int
card_sm_certify(struct card_sm_perso *p,
    const uint8_t issuer_priv[PROTO_EC_PRIV_LEN],
    const uint8_t issuer_pub[PROTO_EC_PUB_LEN])
{
	uint8_t cert[PROTO_CERT_LEN];
	struct proto_cert c;
	struct proto_wr w;
	int rc;

	memcpy(c.ua, p->ua, PROTO_UA_LEN);
	memcpy(c.pub, p->keys.sign_pub, PROTO_EC_PUB_LEN);
	memcpy(c.versions, p->versions, PROTO_VERSIONS_LEN);
	proto_wr_init(&w, cert, sizeof(cert));
	if ((rc = proto_cert_sign(&c, issuer_priv, issuer_pub, &w)) != 0)
		return rc;
	memcpy(p->cert, cert, sizeof(cert));
	p->has_cert = 1;
	return 0;
}

int
card_sm_personalize(struct card_store *store, const struct card_sm_perso *p)
{
	struct card_sm_state s;
	int id, rc;

	memset(&s, 0, sizeof(s));
	if (p->n_rights > PROTO_M2_MAX_RIGHTS || p->has_cert > 1) {
		rc = PROTO_ERR_ARG;
		goto out;
	}
	if ((rc = card_rt_install(store, &card_sm_applet)) != 0 ||
	    (rc = sm_region(store, &id)) != 0)
		goto out;
	memcpy(s.ua, p->ua, PROTO_UA_LEN);
	s.locked = 1; /* every new card starts transfer-locked */
	s.credit = p->credit;
	memcpy(s.versions, p->versions, PROTO_VERSIONS_LEN);
	s.keys = p->keys;
	memcpy(s.center_pub, p->center_pub, PROTO_EC_PUB_LEN);
	memcpy(s.ecm_key, p->ecm_key, PROTO_AES_KEY_LEN);
	s.n_rights = p->n_rights;
	memcpy(s.rights, p->rights, sizeof(s.rights[0]) * p->n_rights);
	s.has_cert = p->has_cert;
	if (p->has_cert)
		memcpy(s.cert, p->cert, PROTO_CERT_LEN);
	rc = card_sm_store(store, id, &s);
out:
	card_sm_state_clear(&s);
	return rc;
}

int
card_sm_view(const struct card_store *store, struct card_sm_view *v)
{
	struct card_sm_state s;
	int id, rc;

	memset(&s, 0, sizeof(s));
	if ((rc = sm_region(store, &id)) != 0 ||
	    (rc = card_sm_load(store, id, &s)) != 0)
		goto out;
	memset(v, 0, sizeof(*v));
	memcpy(v->ua, s.ua, PROTO_UA_LEN);
	v->export_seq = s.export_seq;
	v->card_time = s.card_time;
	memcpy(v->sign_pub, s.keys.sign_pub, PROTO_EC_PUB_LEN);
	v->has_cert = s.has_cert;
	memcpy(v->cert, s.cert, PROTO_CERT_LEN);
	v->n_bought = s.n_bought;
	for (unsigned i = 0; i < s.n_bought; i++) {
		v->bought_event[i] = s.bought[i].event;
		v->bought_expiry[i] = s.bought[i].expiry;
	}
	card_sm_to_m2(&s, &v->m2);
out:
	card_sm_state_clear(&s);
	return rc;
}
