/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Connections counted by source address, under a cap on the total and a
 * cap per address.  An address is an IPv4 address (an IPv4-mapped IPv6
 * one counts as that), or an IPv6 /64: what one subscriber is given, so
 * that a host cannot step around the cap by taking more addresses of its
 * own prefix.  Safe to use from several threads.
 */
#ifndef CENTER_ADDRS_H
#define CENTER_ADDRS_H

#include <stdint.h>
#include <sys/socket.h>

struct cgs_addr_key {
	uint8_t b[8];
	uint8_t len; /* 4: IPv4; 8: an IPv6 /64; 0: another family */
};

/* The key of a peer's address. */
void cgs_addr_key(const struct sockaddr_storage *sa, struct cgs_addr_key *k);

enum cgs_addrs_take {
	CGS_ADDRS_TAKEN = 0, /* counted: give it back with cgs_addrs_put */
	CGS_ADDRS_FULL,      /* the total is at its cap */
	CGS_ADDRS_ADDR_FULL, /* this address is at its cap */
};

struct cgs_addrs;

/* cap: the total; per: for one address.  Both at least 1. */
int cgs_addrs_new(int cap, int per, struct cgs_addrs **out);
enum cgs_addrs_take
cgs_addrs_take(struct cgs_addrs *t, const struct cgs_addr_key *k);
/* Give back what a cgs_addrs_take counted. */
void cgs_addrs_put(struct cgs_addrs *t, const struct cgs_addr_key *k);
/* How many are counted now. */
int cgs_addrs_total(struct cgs_addrs *t);
/* NULL is fine. */
void cgs_addrs_free(struct cgs_addrs **t);

#endif
