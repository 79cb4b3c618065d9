/* SPDX-License-Identifier: BSD-2-Clause */
/* headend: the operator's head-end test tool; see headend_cmds.c. */
#include "headend.h"
#include "util.h"

int
main(int argc, char **argv)
{
	util_out_init("headend");
	return headend_main(argc, argv);
}
