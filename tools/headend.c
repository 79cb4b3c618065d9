/* SPDX-License-Identifier: BSD-2-Clause */
/* headend: the operator's head-end test tool; see headend_cmds.c. */
#include "headend.h"

int
main(int argc, char **argv)
{
	return headend_main(argc, argv);
}
