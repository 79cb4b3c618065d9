/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <string.h>

#include "../../card/applets.h"
#include "../../card/sm.h"
#include "../../proto/proto.h"
#include "card_fixture.h"
#include "common.h"

const uint8_t fuzz_card_ua[PROTO_UA_LEN] = { 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	0x11, 0x11 };

/* The personalized image, made once per process. */
static uint8_t *template_img;
static size_t template_len;

static void
perso_fill(struct card_sm_perso *p)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->ua, fuzz_card_ua, PROTO_UA_LEN);
	p->credit = FUZZ_CARD_CREDIT;
	p->versions[0] = 1;
	memcpy(p->keys.sign_priv, fuzz_sign_priv, PROTO_EC_PRIV_LEN);
	memcpy(p->keys.sign_pub, fuzz_sign_pub, PROTO_EC_PUB_LEN);
	memcpy(p->keys.kt, fuzz_kt, PROTO_AES_KEY_LEN);
	/* The center's key: common.c's one pair signs commands too. */
	memcpy(p->center_pub, fuzz_sign_pub, PROTO_EC_PUB_LEN);
	memcpy(p->ecm_key, fuzz_ecm_key, PROTO_AES_KEY_LEN);
	p->n_rights = 1;
	p->rights[0].channel = FUZZ_CARD_CHANNEL;
	p->rights[0].expiry = FUZZ_CARD_EXPIRY;
}

static void
make_template(void)
{
	struct card_store *s = NULL;
	struct card_sm_perso p;
	int rc;

	perso_fill(&p);
	/* certified by the one fuzz key pair, as the issuer */
	if ((rc = card_sm_certify(&p, fuzz_sign_priv, fuzz_sign_pub)) != 0 ||
	    (rc = card_store_new_mem(fuzz_card_ua, &s)) != 0 ||
	    (rc = card_rt_install(s, &card_ident_applet)) != 0 ||
	    (rc = card_sm_personalize(s, &p)) != 0 ||
	    (rc = card_store_encode(s, &template_img, &template_len)) != 0)
		fuzz_fail("card_fixture", proto_strerror(rc));
	proto_cleanse(&p, sizeof(p));
	card_store_free(&s);
}

void
fuzz_card_new(struct card_store **store, struct card_rt **rt)
{
	const struct card_applet *const *apps;
	size_t n;

	if (template_img == NULL)
		make_template();
	apps = card_applets(&n);
	if (card_store_decode(template_img, template_len, store) != 0 ||
	    card_rt_new(*store, apps, n, rt) != 0)
		fuzz_fail("card_fixture", "cannot load the personalized card");
}

void
fuzz_card_free(struct card_store **store, struct card_rt **rt)
{
	card_rt_free(rt);
	card_store_free(store);
}

void
fuzz_card_check(const char *target, const struct card_store *store,
    struct card_sm_view *v)
{
	static struct proto_m2 back;
	struct card_store *copy = NULL;
	uint8_t *img = NULL, body[PROTO_M2_MAX_LEN];
	struct proto_wr w;
	size_t len = 0;

	fuzz_require(!card_store_in_tx(store), target,
	    "a transaction was left open");
	fuzz_require(card_store_encode(store, &img, &len) == 0 &&
		card_store_decode(img, len, &copy) == 0,
	    target, "the card image no longer loads");
	fuzz_require(card_sm_view(copy, v) == 0, target,
	    "the security module's state no longer decodes");
	proto_wr_init(&w, body, sizeof(body));
	fuzz_require(proto_m2_encode(&v->m2, &w) == 0 &&
		proto_m2_decode(body, proto_wr_len(&w), &back) == 0,
	    target, "the card's M2 would not pass the center's decoder");
	proto_m2_clear(&back);
	card_store_free(&copy);
	free(img);
}
