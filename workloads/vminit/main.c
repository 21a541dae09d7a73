/* vminit: /init of crowd's microVM. Mounts devtmpfs, proc and sysfs, loads the virtio modules
 * shipped in /lib/modules, brings up lo and eth0 (10.0.2.15/24, QEMU user-mode network),
 * starts the workload named on the kernel command line (crowd.argv=/bin/httpd,--port,8080)
 * with CROWD_READY_FD, prints "CROWD-READY" on the console when it signals (or "CROWD-FAILED
 * <why>"), and powers the VM off when the workload exits. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int console = 2;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	(void)!write(console, buf, (size_t)n);
}

static void __attribute__((noreturn)) power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	reboot(RB_AUTOBOOT); /* QEMU runs with -no-reboot: a reset ends it */
	for (;;)
		pause();
}

/* Modules in dependency order; a missing one is fine (built in). */
static const char *const modules[] = {
	"virtio_ring", "virtio", "virtio_mmio", "failover", "net_failover", "virtio_net",
};

static void load_modules(void)
{
	for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
		char path[128];
		snprintf(path, sizeof(path), "/lib/modules/%s.ko", modules[i]);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST)
			say("vminit: load %s: %s", modules[i], strerror(errno));
		close(fd);
	}
}

static int if_up(int sock, const char *name, const char *addr, const char *mask)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (addr) {
		struct sockaddr_in *sa = (struct sockaddr_in *)&ifr.ifr_addr;
		sa->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &sa->sin_addr);
		if (ioctl(sock, SIOCSIFADDR, &ifr) < 0)
			return -errno;
		inet_pton(AF_INET, mask, &sa->sin_addr);
		if (ioctl(sock, SIOCSIFNETMASK, &ifr) < 0)
			return -errno;
	}
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
		return -errno;
	return 0;
}

static void net_up(void)
{
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return;
	int r = if_up(sock, "lo", "127.0.0.1", "255.0.0.0");
	if (r < 0)
		say("vminit: lo: %s", strerror(-r));
	/* virtio_net probes asynchronously: wait up to 5 s for eth0. */
	for (int i = 0; i < 500 && access("/sys/class/net/eth0", F_OK) < 0; i++)
		usleep(10000);
	if ((r = if_up(sock, "eth0", "10.0.2.15", "255.255.255.0")) < 0)
		say("vminit: eth0: %s", strerror(-r));
	close(sock);
}

/* crowd.argv=/bin/httpd,--port,8080 from /proc/cmdline; crowd.ready=fd|exec. */
static int parse_cmdline(char **argv, size_t max, int *ret_fd_ready)
{
	static char buf[4096];
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	size_t argc = 0;
	*ret_fd_ready = 1;
	char *save = NULL;
	for (char *tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		if (!strncmp(tok, "crowd.ready=", 12)) {
			*ret_fd_ready = strcmp(tok + 12, "exec") != 0;
		} else if (!strncmp(tok, "crowd.argv=", 11)) {
			char *s2 = NULL;
			for (char *a = strtok_r(tok + 11, ",", &s2); a && argc + 1 < max;
			     a = strtok_r(NULL, ",", &s2))
				argv[argc++] = a;
		}
	}
	argv[argc] = NULL;
	return argc ? 0 : -EINVAL;
}

int main(void)
{
	mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
	mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	int c = open("/dev/ttyS0", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (c < 0)
		c = open("/dev/hvc0", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (c < 0)
		c = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (c >= 0)
		console = c;

	char *argv[32];
	int fd_ready = 1;
	if (parse_cmdline(argv, 32, &fd_ready) < 0) {
		say("CROWD-FAILED no crowd.argv= on the kernel command line");
		power_off();
	}
	load_modules();
	net_up();

	/* pipe: readiness byte from the workload; exec pipe (CLOEXEC): EOF means exec worked. */
	int rp[2], ep[2];
	if (pipe2(rp, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		say("CROWD-FAILED pipe: %s", strerror(errno));
		power_off();
	}
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		if (fd_ready) {
			dup2(rp[1], 3); /* clears CLOEXEC on 3 */
			setenv("CROWD_READY_FD", "3", 1);
		}
		setenv("PATH", "/bin:/sbin", 1);
		setenv("HOME", "/", 1);
		execv(argv[0], argv);
		int e = errno;
		(void)!write(ep[1], &e, sizeof(e));
		_exit(127);
	}
	close(rp[1]);
	close(ep[1]);
	int e = 0;
	if (read(ep[0], &e, sizeof(e)) == (ssize_t)sizeof(e)) {
		say("CROWD-FAILED exec %s: %s", argv[0], strerror(e));
		power_off();
	}
	if (fd_ready) {
		char b;
		if (read(rp[0], &b, 1) != 1) {
			int st = 0;
			waitpid(pid, &st, 0);
			say("CROWD-FAILED %s exited (status %d) before it was ready", argv[0], st);
			power_off();
		}
	}
	say("CROWD-READY");
	for (;;) {
		int st;
		pid_t w = wait(&st);
		if (w == pid) {
			say("CROWD-EXIT %d", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
			power_off();
		}
		if (w < 0 && errno == ECHILD)
			power_off();
	}
}
