/* Backend vm: QEMU `-M microvm` booting the Debian kernel (as its ELF vmlinux, PVH) and an
 * initramfs holding vminit and the same workload binaries (scripts/mkvm.sh). vminit prints
 * "CROWD-READY" on the serial console when the workload signals; the console is QEMU's stdout,
 * a pipe whose read end is the instance's ready_fd. Network: user mode with a host forward on
 * 127.0.0.1:<free port> to the workload's port. Memory: the QEMU process's PSS.
 * --vm-accel kvm|tcg|auto: auto boots once with KVM and keeps it only if that boot reaches
 * ready in time (a paravirtual KVM that emulates instructions does not), else TCG. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "engine/memory.h"
#include "engine/ports.h"
#include "peer.h"
#include "core/util.h"

#define VM_AUTO_KVM_TIMEOUT_MS 15000
#define VM_AUTO_FIRST_LINE_MS 3000
#define VM_DEFAULT_MEM_MB 256

struct vm_run {
	char qemu[256];
	char kernel[PATH_MAX];
	char initrd[PATH_MAX];
	char accel[8];
	char append[1024];
	char mem[16];
	unsigned guest_port;
};

struct vm_inst {
	pid_t pid;
	int pidfd;
	unsigned port;		/* the host end of the forward, from the port allocator */
	char pidfile[PATH_MAX]; /* QEMU's -pidfile, in the run's scratch */
	char line[4096]; /* console bytes not yet seen as whole lines */
	size_t len;
	char last[200];  /* last console line, for error messages */
};

/* Directory holding vmlinux and initramfs.cpio.gz: $CROWD_VM_DIR, ./build/vm, next to the
 * crowd binary (build/vm for build/crowd and build/tests/...), or the installed data dir. */
static int find_images(char *kernel, char *initrd, size_t len)
{
	char exe[PATH_MAX], cand[4][PATH_MAX];
	unsigned n = 0;
	const char *env = getenv("CROWD_VM_DIR");
	if (env && *env)
		snprintf(cand[n++], PATH_MAX, "%s", env);
	snprintf(cand[n++], PATH_MAX, "build/vm");
	ssize_t l = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (l > 0) {
		exe[l] = '\0';
		char *dir = dirname(exe);
		crowd_peer_fmt(cand[n++], PATH_MAX, "%s/vm", dir);
		crowd_peer_fmt(cand[n++], PATH_MAX, "%s/../vm", dir);
	}
	for (unsigned i = 0; i < n; i++) {
		if (crowd_peer_fmt(kernel, len, "%s/vmlinux", cand[i]) < 0 ||
		    crowd_peer_fmt(initrd, len, "%s/initramfs.cpio.gz", cand[i]) < 0)
			continue;
		if (access(kernel, R_OK) == 0 && access(initrd, R_OK) == 0) {
			char *k = realpath(kernel, NULL), *r = realpath(initrd, NULL);
			if (k && r) {
				snprintf(kernel, len, "%s", k);
				snprintf(initrd, len, "%s", r);
			}
			free(k);
			free(r);
			return 0;
		}
	}
	if (crowd_peer_fmt(kernel, len, CROWD_DATADIR "/vm/vmlinux") == 0 &&
	    crowd_peer_fmt(initrd, len, CROWD_DATADIR "/vm/initramfs.cpio.gz") == 0 &&
	    access(kernel, R_OK) == 0 && access(initrd, R_OK) == 0)
		return 0;
	return -ENOENT;
}

static bool kvm_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* "tsc_early_khz=N lpj=M" from the host's constant TSC rate (cpu MHz in /proc/cpuinfo); lpj
 * for the guest kernel's HZ=250 (Debian). */
static int host_tsc_khz(char *buf, size_t len)
{
	char text[8192];
	if (crowd_read_file("/proc/cpuinfo", text, sizeof(text), NULL) <= 0)
		return -EIO;
	if (!strstr(text, "constant_tsc"))
		return -ENOTSUP;
	char *m = strstr(text, "cpu MHz");
	char *colon = m ? strchr(m, ':') : NULL;
	if (!colon)
		return -ENOENT;
	double mhz = strtod(colon + 1, NULL);
	if (mhz < 100 || mhz > 10000)
		return -ERANGE;
	long long khz = (long long)(mhz * 1000.0 + 0.5);
	snprintf(buf, len, "tsc_early_khz=%lld lpj=%lld", khz, khz * 1000 / 250);
	return 0;
}

static int probe(const struct crowd_config *cfg, struct crowd_error *err)
{
	char qemu[256], k[PATH_MAX], i[PATH_MAX];
	if (crowd_peer_which("qemu-system-x86_64", qemu, sizeof(qemu)) < 0)
		return crowd_error_set(err, ENOENT,
				       "qemu-system-x86_64 not found (apt-get install "
				       "qemu-system-x86)");
	if (find_images(k, i, sizeof(k)) < 0)
		return crowd_error_set(
		    err, ENOENT, "build/vm/vmlinux or initramfs.cpio.gz missing: run make vm");
	if (cfg && cfg->vm_accel && !strcmp(cfg->vm_accel, "kvm") && !kvm_usable())
		return crowd_error_errno(err, errno,
					 "--vm-accel kvm: /dev/kvm cannot be opened read-write");
	if (cfg && cfg->workload.desc && !cfg->workload.desc->path)
		return crowd_error_set(err, EINVAL, "no workload path for the guest");
	if (cfg && cfg->pod_size > 1)
		return crowd_error_set(err, EINVAL, "--pod-size: VMs do not share namespaces");
	return 0;
}

/* QEMU's argv for one instance; strings live in vr and the given port text. */
static void vm_argv(const struct vm_run *vr, const char *accel, const char *netdev,
		    const char *pidfile, char **argv)
{
	size_t n = 0;
	argv[n++] = (char *)vr->qemu;
	argv[n++] = "-M";
	argv[n++] = "microvm";
	argv[n++] = "-accel";
	argv[n++] = (char *)accel;
	argv[n++] = "-cpu";
	argv[n++] = !strcmp(accel, "kvm") ? "host" : "max";
	argv[n++] = "-m";
	argv[n++] = (char *)vr->mem;
	argv[n++] = "-smp";
	argv[n++] = "1";
	argv[n++] = "-nodefaults";
	argv[n++] = "-no-user-config";
	argv[n++] = "-display";
	argv[n++] = "none";
	argv[n++] = "-no-reboot";
	argv[n++] = "-serial";
	argv[n++] = "stdio";
	argv[n++] = "-kernel";
	argv[n++] = (char *)vr->kernel;
	argv[n++] = "-initrd";
	argv[n++] = (char *)vr->initrd;
	argv[n++] = "-append";
	argv[n++] = (char *)vr->append;
	argv[n++] = "-netdev";
	argv[n++] = (char *)netdev;
	argv[n++] = "-device";
	argv[n++] = "virtio-net-device,netdev=n0";
	if (pidfile) {
		/* Also how `crowd clean` finds a QEMU a killed crowd left running. */
		argv[n++] = "-pidfile";
		argv[n++] = (char *)pidfile;
	}
	argv[n] = NULL;
}

/* Spawn QEMU with its stdout (the serial console) on a non-blocking pipe. */
static int vm_spawn(const struct vm_run *vr, const char *accel, unsigned host_port,
		    const char *pidfile, pid_t *ret_pid, int *ret_pidfd, int *ret_console, struct crowd_error *err)
{
	char netdev[128];
	if (host_port)
		snprintf(netdev, sizeof(netdev), "user,id=n0,hostfwd=tcp:127.0.0.1:%u-:%u", host_port,
			 vr->guest_port);
	else
		snprintf(netdev, sizeof(netdev), "user,id=n0");
	char *argv[40];
	vm_argv(vr, accel, netdev, pidfile, argv);
	int p[2];
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return crowd_error_errno(err, errno, "pipe");
	_cleanup_close_ int rd = p[0];
	_cleanup_close_ int wr = p[1];
	/* QEMU writes the console with blocking writes; the pipe is non-blocking only on our
	 * side. */
	fcntl(wr, F_SETFL, fcntl(wr, F_GETFL) & ~O_NONBLOCK);
	struct crowd_peer_spawn s = {.argv = argv, .stdin_fd = -1, .stdout_fd = wr, .stderr_fd = wr,
				     .flags = 0};
	int r = crowd_peer_spawn(&s, ret_pid, ret_pidfd, err);
	if (r < 0)
		return crowd_error_prefix(err, "vm");
	*ret_console = crowd_steal_fd(rd);
	return 0;
}

/* Feed console bytes; 1 on "CROWD-READY", <0 on "CROWD-FAILED" or EOF, 0 otherwise. */
static int console_feed(struct vm_inst *c, int fd, struct crowd_error *err)
{
	for (;;) {
		char buf[1024];
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return crowd_error_set(err, EIO, "vm: qemu exited before the guest was ready%s%s",
					       c->last[0] ? ": " : "", c->last);
		for (ssize_t i = 0; i < n; i++) {
			char ch = buf[i];
			if (ch != '\n' && ch != '\r' && c->len + 1 < sizeof(c->line)) {
				c->line[c->len++] = ch;
				continue;
			}
			if (ch != '\n' && ch != '\r')
				continue; /* overlong line: keep its start */
			c->line[c->len] = '\0';
			if (c->len)
				crowd_peer_fmt(c->last, sizeof(c->last), "%s", c->line);
			c->len = 0;
			if (strstr(c->line, "CROWD-READY"))
				return 1;
			char *f = strstr(c->line, "CROWD-FAILED");
			if (f)
				return crowd_error_set(err, EIO, "vm: guest: %s", f + 13);
		}
	}
}

/* Boot once with accel and wait for ready up to timeout_ms; 0 when ready. */
static int trial_boot(const struct vm_run *vr, const char *accel, int timeout_ms, int64_t *ret_ns,
		      struct crowd_error *err)
{
	pid_t pid;
	int pidfd = -1, con = -1;
	/* Without "quiet" the kernel's first line comes within milliseconds on a KVM that runs
	 * guests natively; one that emulates instructions shows nothing for seconds. */
	struct vm_run loud = *vr;
	char *q = strstr(loud.append, "quiet ");
	if (q)
		memmove(q, q + 6, strlen(q + 6) + 1);
	int64_t t0 = crowd_now_ns();
	int r = vm_spawn(&loud, accel, 0, NULL, &pid, &pidfd, &con, err);
	if (r < 0)
		return r;
	struct vm_inst c = {0};
	r = 0;
	while (r == 0) {
		int64_t el = (crowd_now_ns() - t0) / 1000000;
		int64_t left = timeout_ms - el;
		if (!c.len && !c.last[0] && el >= VM_AUTO_FIRST_LINE_MS) {
			r = crowd_error_set(err, ETIMEDOUT, "no console output within %d ms",
					    VM_AUTO_FIRST_LINE_MS);
			break;
		}
		if (left <= 0) {
			r = crowd_error_set(err, ETIMEDOUT, "no ready line within %d ms", timeout_ms);
			break;
		}
		struct pollfd pfd = {.fd = con, .events = POLLIN};
		if (poll(&pfd, 1, 100) > 0)
			r = console_feed(&c, con, err);
	}
	*ret_ns = crowd_now_ns() - t0;
	crowd_peer_kill(&pid, &pidfd);
	close(con);
	return r == 1 ? 0 : r;
}

static int open_run(struct crowd_backend_run *run, struct crowd_error *err)
{
	const struct crowd_config *cfg = run->cfg;
	struct vm_run *vr = calloc(1, sizeof(*vr));
	if (!vr)
		return crowd_error_set(err, ENOMEM, "vm: out of memory");
	int r;
	if (crowd_peer_which("qemu-system-x86_64", vr->qemu, sizeof(vr->qemu)) < 0 ||
	    find_images(vr->kernel, vr->initrd, sizeof(vr->kernel)) < 0) {
		r = crowd_error_set(err, ENOENT, "vm: qemu or build/vm images missing (make vm)");
		goto fail;
	}
	vr->guest_port = cfg->workload.desc ? cfg->workload.desc->port : 0;
	int64_t mem_mb = VM_DEFAULT_MEM_MB;
	if (cfg->limits.memory_max_bytes > 0)
		mem_mb = cfg->limits.memory_max_bytes >> 20;
	if (mem_mb < 96) {
		r = crowd_error_set(err, EINVAL,
				    "vm: --memory-max %lld bytes is below the 96M a guest needs",
				    (long long)cfg->limits.memory_max_bytes);
		goto fail;
	}
	snprintf(vr->mem, sizeof(vr->mem), "%lldM", (long long)mem_mb);

	/* crowd.argv=/bin/httpd,--port,8080: the guest's init splits on commas. */
	size_t off = (size_t)snprintf(vr->append, sizeof(vr->append),
				      "console=ttyS0 quiet panic=-1 crowd.ready=%s crowd.argv=",
				      cfg->workload.desc && cfg->workload.desc->ready == CROWD_READY_FD ?
					      "fd" :
					      "exec");
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(cfg->workload.argv) && cfg->workload.argv[i]; i++) {
		const char *a = cfg->workload.argv[i];
		if (strpbrk(a, ", \t\n\"")) {
			r = crowd_error_set(err, EINVAL,
					    "vm: workload argument '%s' has a comma, quote or space "
					    "(not passable on the kernel command line)",
					    a);
			goto fail;
		}
		if (off < sizeof(vr->append))
			off += (size_t)snprintf(vr->append + off, sizeof(vr->append) - off, "%s%s",
						i ? "," : "", a);
	}
	if (off >= sizeof(vr->append)) {
		r = crowd_error_set(err, E2BIG, "vm: workload command line too long for the kernel");
		goto fail;
	}

	/* Extra guest kernel parameters from the user (e.g. mitigations=off), recorded in the
	 * invocation like everything else. */
	const char *extra = getenv("CROWD_VM_APPEND");
	if (extra && *extra) {
		size_t l = strlen(vr->append);
		if (crowd_peer_fmt(vr->append + l, sizeof(vr->append) - l, " %s", extra) < 0) {
			r = crowd_error_set(err, E2BIG, "vm: CROWD_VM_APPEND makes the kernel command "
							"line too long");
			goto fail;
		}
	}
	char why[200] = "";
	char tsc[64] = "";
	const char *want = cfg->vm_accel ? cfg->vm_accel : "auto";
	if (!strcmp(want, "kvm") || !strcmp(want, "tcg")) {
		snprintf(vr->accel, sizeof(vr->accel), "%s", want);
		snprintf(why, sizeof(why), "--vm-accel %s", want);
	} else if (!kvm_usable()) {
		snprintf(vr->accel, sizeof(vr->accel), "tcg");
		snprintf(why, sizeof(why), "auto: /dev/kvm not usable, tcg");
	} else {
		struct crowd_error e = {0};
		int64_t ns = 0;
		if (trial_boot(vr, "kvm", VM_AUTO_KVM_TIMEOUT_MS, &ns, &e) == 0) {
			snprintf(vr->accel, sizeof(vr->accel), "kvm");
			snprintf(why, sizeof(why), "auto: a kvm trial boot was ready in %lld ms",
				 (long long)(ns / 1000000));
		} else {
			snprintf(vr->accel, sizeof(vr->accel), "tcg");
			snprintf(why, sizeof(why), "auto: a kvm trial boot failed (%.120s), tcg", e.msg);
		}
	}
	/* Under TCG the guest reads the host's TSC; calibrating it against an emulated PIT fails
	 * on a busy host and the boot then stalls, so tell the guest its rate. */
	if (!strcmp(vr->accel, "tcg") && host_tsc_khz(tsc, sizeof(tsc)) == 0) {
		size_t l = strlen(vr->append);
		if (crowd_peer_fmt(vr->append + l, sizeof(vr->append) - l, " %s", tsc) < 0) {
			r = crowd_error_set(err, E2BIG, "vm: kernel command line too long");
			goto fail;
		}
	}
	snprintf(run->accel, sizeof(run->accel), "%s", vr->accel);
	snprintf(run->ready_kind, sizeof(run->ready_kind), "console");
	char *argv[40];
	char netdev[96];
	if (vr->guest_port)
		snprintf(netdev, sizeof(netdev), "user,id=n0,hostfwd=tcp:127.0.0.1:<free port>-:%u",
			 vr->guest_port);
	else
		snprintf(netdev, sizeof(netdev), "user,id=n0");
	vm_argv(vr, vr->accel, netdev, NULL, argv);
	off = (size_t)snprintf(run->invocation, sizeof(run->invocation), "[%s] ", why);
	for (size_t i = 0; argv[i] && off < sizeof(run->invocation); i++) {
		bool q = strchr(argv[i], ' ') != NULL;
		off += (size_t)snprintf(run->invocation + off, sizeof(run->invocation) - off,
					"%s%s%s%s", i ? " " : "", q ? "'" : "", argv[i], q ? "'" : "");
	}
	char *u = run->unapplied;
	size_t ul = sizeof(run->unapplied), uo = 0;
	if (cfg->limits.pids_max >= 0)
		uo += (size_t)snprintf(u + uo, ul - uo, "pids-max (a VM has its own kernel)");
	if (cfg->limits.cpu_quota_us >= 0 && uo < ul)
		uo += (size_t)snprintf(u + uo, ul - uo, "%scpu-max", uo ? "; " : "");
	if (cfg->limits.memory_max_bytes > 0 && uo < ul)
		snprintf(u + uo, ul - uo, "%smemory-max applied as guest RAM (-m %s)", uo ? "; " : "",
			 vr->mem);
	if ((r = crowd_peer_scratch(run, err)) < 0)
		goto fail;
	run->priv = vr;
	return 0;
fail:
	free(vr);
	return r;
}

static int start(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	struct vm_run *vr = run->priv;
	struct vm_inst *c = calloc(1, sizeof(*c));
	if (!c)
		return crowd_error_set(err, ENOMEM, "vm: out of memory");
	c->pidfd = -1;
	inst->priv = c;
	unsigned port = 0;
	int r;
	if (vr->guest_port && !(port = c->port = crowd_ports_claim()))
		return crowd_error_set(err, EADDRINUSE, "vm: no free TCP port");
	if (!inst->sample.id[0])
		snprintf(inst->sample.id, sizeof(inst->sample.id), "vm-%d", inst->sample.index);
	if (crowd_peer_fmt(c->pidfile, sizeof(c->pidfile), "%s/%s.pid", run->scratch,
			   inst->sample.id) < 0)
		return crowd_error_set(err, ENAMETOOLONG, "vm: pid file path too long");
	if ((r = vm_spawn(vr, vr->accel, port, c->pidfile, &c->pid, &c->pidfd, &inst->ready_fd,
			  err)) < 0)
		return r;
	inst->pid = c->pid;
	inst->pidfd = c->pidfd;
	inst->netns_fd = -1;
	snprintf(inst->addr, sizeof(inst->addr), "127.0.0.1");
	inst->port = port;
	inst->started = true;
	return 0;
}

static int ready(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	(void)run;
	struct vm_inst *c = inst->priv;
	if (!c)
		return crowd_error_set(err, EINVAL, "vm: not started");
	return console_feed(c, inst->ready_fd, err);
}

static int stats(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	(void)run;
	struct vm_inst *c = inst->priv;
	if (!c || c->pid <= 0)
		return crowd_error_set(err, ESRCH, "vm: no qemu process");
	return crowd_mem_tree(c->pid, &inst->sample.pss_bytes, &inst->sample.rss_bytes, err);
}

static int stop(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	(void)run;
	(void)err;
	struct vm_inst *c = inst->priv;
	if (!c)
		return 0;
	crowd_peer_kill(&c->pid, &c->pidfd);
	crowd_ports_release(c->port); /* after QEMU's forward is gone */
	if (c->pidfile[0])
		unlink(c->pidfile);
	free(c);
	crowd_peer_inst_stopped(inst);
	return 0;
}

static void close_run(struct crowd_backend_run *run)
{
	free(run->priv);
	run->priv = NULL;
	crowd_peer_scratch_remove(run);
}

/* A killed crowd's QEMUs keep running: each was started with a -pidfile in its run's
 * scratch, so kill every QEMU still started with one of those files. */
static void sweep_run(const char *dir, const void *ctx, struct crowd_sweep *ret,
		      struct crowd_error *err)
{
	(void)ctx;
	(void)err;
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char file[PATH_MAX];
		if (l < 5 || strcmp(de->d_name + l - 4, ".pid") ||
		    crowd_peer_fmt(file, sizeof(file), "%s/%s", dir, de->d_name) < 0)
			continue;
		ret->instances += crowd_peer_kill_by_args("-pidfile", file);
	}
	closedir(d);
}

static int sweep(struct crowd_sweep *ret, struct crowd_error *err)
{
	return crowd_peer_sweep("vm", sweep_run, NULL, ret, err);
}

const struct crowd_backend crowd_backend_vm = {
	.name = "vm",
	.help = "QEMU microvm (kvm, or tcg when kvm cannot run) booting the workload; console readiness",
	.probe = probe,
	.open = open_run,
	.start = start,
	.ready = ready,
	.stats = stats,
	.stop = stop,
	.close = close_run,
	.sweep = sweep,
};
