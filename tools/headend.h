/* SPDX-License-Identifier: BSD-2-Clause */
/* The head-end commands (init, ecm, cmd, open), shared by headend and
 * centerctl: argv[0] is the program, argv[1] the command. */
#ifndef TOOLS_HEADEND_H
#define TOOLS_HEADEND_H

int headend_main(int argc, char **argv);

#endif
