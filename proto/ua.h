/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The card's identity as every format carries it: the unique identifier UA,
 * fixed at personalization, and the versions of the card's functions.
 */
#ifndef PROTO_UA_H
#define PROTO_UA_H

#define PROTO_UA_LEN 8
#define PROTO_VERSIONS_LEN 4

#endif
