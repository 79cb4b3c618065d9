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
/* Non-zero once a WAL write failed after its commit was published (in
 * this process, for good): what was acknowledged may not be in the
 * file, as after a failed sync (group.c takes it as one). */
int cgs_wal_vfs_lost(void);

#endif
