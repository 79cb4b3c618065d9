/* SPDX-License-Identifier: BSD-2-Clause */
#include "applets.h"
#include "sm.h"

static const struct card_applet *const all_applets[] = {
	&card_ident_applet,
	&card_sm_applet,
};

const struct card_applet *const *
card_applets(size_t *n)
{
	*n = sizeof(all_applets) / sizeof(all_applets[0]);
	return all_applets;
}
