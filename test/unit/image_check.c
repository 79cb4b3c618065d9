/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * #included by tests: snapshot a card image and assert later that it did
 * not change (every refused command must leave the card as it was).
 */
#include <stdlib.h>

#include "../../card/store.h"

struct image_snap {
	uint8_t *img;
	size_t len;
};

static void __attribute__((unused))
image_snapshot(const struct card_store *s, struct image_snap *snap)
{
	free(snap->img);
	assert_int_equal(card_store_encode(s, &snap->img, &snap->len), 0);
}

static void __attribute__((unused))
image_assert_unchanged(const struct card_store *s,
    const struct image_snap *snap)
{
	uint8_t *now;
	size_t len;

	assert_int_equal(card_store_encode(s, &now, &len), 0);
	assert_int_equal(len, snap->len);
	assert_memory_equal(now, snap->img, len);
	free(now);
}
