/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../proto/buf.h"
#include "../proto/crypto.h"
#include "state.h"

const char *
dec_ua_hex(const uint8_t ua[PROTO_UA_LEN], struct dec_ua_hex *h)
{
	proto_hex(ua, PROTO_UA_LEN, h->s);
	return h->s;
}

void
dec_state_init(struct dec_state *st, const struct dec_card_io *io)
{
	memset(st, 0, sizeof(*st));
	dec_config_defaults(&st->cfg);
	st->io = io;
	st->m1_lock = st->key_lock = -1;
}

void
dec_state_set_error(struct dec_state *st, const char *msg)
{
	snprintf(st->last_error, sizeof(st->last_error), "%s", msg);
}

void
dec_state_failed(struct dec_state *st, char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, DEC_WHY_MAX, fmt, ap);
	va_end(ap);
	dec_state_set_error(st, why);
}

int
dec_state_card_is(const struct dec_state *st, const uint8_t ua[PROTO_UA_LEN])
{
	return st->has_card && memcmp(st->card.st.ua, ua, PROTO_UA_LEN) == 0;
}

void
dec_state_usage(struct dec_state *st, time_t now)
{
	if (st->has_card && st->usage_since == 0)
		st->usage_since = now;
}

void
dec_state_clear(struct dec_state *st)
{
	SSL_CTX_free(st->tls);
	st->tls = NULL;
	proto_cleanse(&st->key, sizeof(st->key));
}

long
dec_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

time_t
dec_deadline(time_t now, unsigned seconds)
{
	return seconds > 0 ? now + (time_t)seconds : 0;
}

int
dec_deadline_passed(time_t t, time_t now)
{
	return t > 0 && now >= t;
}
