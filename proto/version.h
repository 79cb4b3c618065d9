/* SPDX-License-Identifier: BSD-2-Clause */
/* The version every program of the suite prints for --version. */
#ifndef PROTO_VERSION_H
#define PROTO_VERSION_H

#define PTV_VERSION "0.11"

#endif
