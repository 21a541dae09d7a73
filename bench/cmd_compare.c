/* crowd compare — placeholder until its issue lands; replaced by the real command. */
#include <stdio.h>

#include "cli.h"

int crowd_cmd_compare(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "crowd compare: not built yet\n");
	return CROWD_EXIT_FAIL;
}
