/* crowd info — placeholder until its issue lands; replaced by the real command. */
#include <stdio.h>

#include "cli.h"

int crowd_cmd_info(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "crowd info: not built yet\n");
	return CROWD_EXIT_FAIL;
}
