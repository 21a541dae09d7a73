/* mem: touch N bytes of anonymous memory, signal ready, hold them until SIGTERM/SIGINT.
 * For memory-limit and OOM runs: each page is written so it is really charged. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "wl.h"

#define MEM_MAX_BYTES (1ULL << 40)

static const char usage[] =
    "usage: mem [--bytes SIZE] [--help]\n"
    "Touch SIZE bytes of anonymous memory (every page written), signal ready, hold them\n"
    "until SIGTERM or SIGINT, exit 0.\n"
    "  --bytes SIZE  bytes to touch, K/M/G/T suffixes (binary), 0..1T (default 64M)\n"
    "Writes one byte to the fd in $CROWD_READY_FD (if set) after touching.\n";

int main(int argc, char **argv)
{
	uint64_t bytes = 64ULL << 20;
	const char *v;
	sigset_t set;
	char *mem = NULL;
	int r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage, stdout);
			return 0;
		}
		if (wl_opt("mem", argc, argv, &i, "--bytes", &v)) {
			if (wl_parse_size(v, MEM_MAX_BYTES, &bytes) < 0)
				wl_usage_fail("mem", "--bytes '%s': want a size 0..1T like 64M", v);
			continue;
		}
		wl_usage_fail("mem", "unknown argument '%s'", argv[i]);
	}
	r = wl_signals_block(false, &set);
	if (r < 0)
		wl_die("mem", r, "blocking signals");
	if (bytes) {
		long page = sysconf(_SC_PAGESIZE);
		mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mem == MAP_FAILED)
			wl_die("mem", -errno, "mmap %llu bytes", (unsigned long long)bytes);
		/* Non-zero writes: a page only read would map the shared zero page. */
		for (uint64_t off = 0; off < bytes; off += (uint64_t)page)
			mem[off] = (char)(off / (uint64_t)page) | 1;
	}
	r = wl_ready_notify();
	if (r < 0)
		wl_die("mem", r, "CROWD_READY_FD");
	for (;;) {
		int sig = sigwaitinfo(&set, NULL);
		if (sig < 0 && errno != EINTR)
			wl_die("mem", -errno, "sigwaitinfo");
		if (sig == SIGTERM || sig == SIGINT)
			break;
	}
	if (mem)
		munmap(mem, bytes);
	return 0;
}
