/* crowd clean — placeholder until its issue lands; replaced by the real command. */
#include <stdio.h>

#include "cli.h"

int crowd_cmd_clean(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "crowd clean: not built yet\n");
	return CROWD_EXIT_FAIL;
}
