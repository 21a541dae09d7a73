/* crowd run — placeholder until its issue lands; replaced by the real command. */
#include <stdio.h>

#include "cli.h"

int crowd_cmd_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "crowd run: not built yet\n");
	return CROWD_EXIT_FAIL;
}
