/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A SQLite VFS over the default one (unix) that writes a WAL's frames in
 * one write per 31 frames instead of two a frame (store_wal.c).
 */
#ifndef CENTER_STORE_WAL_H
#define CENTER_STORE_WAL_H

#define CGS_WAL_VFS "ptv-wal"

/* Register it (once, before the first connection): 0 or PROTO_ERR_IO. */
int cgs_wal_vfs_register(void);

#endif
