/* Network namespaces made by a helper thread: see netns.h. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netns.h"
#include "util.h"

#define ERRNO_SET(err, code, fmt, ...)                                                             \
	crowd_error_set(err, code, fmt ": %s", ##__VA_ARGS__, strerrordesc_np(code))

int crowd_net_lo_up(struct crowd_error *err)
{
	struct ifreq ifr = {.ifr_flags = IFF_UP};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ERRNO_SET(err, errno, "socket for bringing up lo");
	memcpy(ifr.ifr_name, "lo", 3);
	int r = ioctl(fd, SIOCSIFFLAGS, &ifr);
	int e = errno;
	close(fd);
	if (r < 0)
		return ERRNO_SET(err, e, "bringing up lo");
	return 0;
}

static pthread_mutex_t maker_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t maker_cond = PTHREAD_COND_INITIALIZER;
static struct crowd_netns_job *maker_head;
static pthread_once_t maker_once = PTHREAD_ONCE_INIT;
static bool maker_running;
static pid_t maker_pid; /* the process the maker runs in (a fork has no maker thread) */
static int maker_home = -1; /* the maker's own network namespace, to go back to */
/* One namespace made on a prefetch, for the next job (under maker_lock). */
static struct {
	bool asked, made;
	int fd;
	struct crowd_error err;
} ahead = {.fd = -1};

/* The answer: a crowd_error (code 0: the namespace fd rides along). */
static void maker_send(int sock, const struct crowd_error *e, int fd)
{
	/* A child that died already: EPIPE, nobody to tell. */
	crowd_send_fd(sock, e, sizeof(*e), fd);
}

/* Make one: unshare into it, bring lo up, hold it by an fd, go home. A maker that cannot go
 * home stops making (its thread would make the next one inside this one): *ret_lost. */
static int maker_make(int *ret_fd, bool *ret_lost, struct crowd_error *err)
{
	int r = 0;

	*ret_fd = -1;
	if (unshare(CLONE_NEWNET) < 0)
		return ERRNO_SET(err, errno, "creating the network namespace");
	if ((r = crowd_net_lo_up(err)) == 0 &&
	    (*ret_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
		r = ERRNO_SET(err, errno, "opening the new network namespace");
	if (setns(maker_home, CLONE_NEWNET) < 0) {
		r = ERRNO_SET(err, errno, "network namespace maker: going back to its namespace");
		*ret_lost = true;
	}
	if (r < 0 && *ret_fd >= 0) {
		close(*ret_fd);
		*ret_fd = -1;
	}
	return r;
}

static void *maker_main(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&maker_lock);
		while (!maker_head)
			pthread_cond_wait(&maker_cond, &maker_lock);
		struct crowd_netns_job *job = maker_head;
		maker_head = job->next;
		bool take = ahead.made;
		struct crowd_error e = {0};
		bool lost = false;
		int fd = -1;
		if (take) {
			fd = ahead.fd;
			e = ahead.err;
			ahead.made = ahead.asked = false;
			ahead.fd = -1;
		}
		pthread_mutex_unlock(&maker_lock);

		if (!take)
			maker_make(&fd, &lost, &e);
		if (job->sock >= 0) {
			maker_send(job->sock, &e, fd);
			if (fd >= 0)
				close(fd);
		}

		pthread_mutex_lock(&maker_lock);
		if (job->sock < 0) { /* a prefetch: kept for the next job */
			ahead.fd = fd;
			ahead.err = e;
			ahead.made = true;
		}
		job->done = true;
		if (lost)
			maker_running = false;
		pthread_cond_broadcast(&maker_cond);
		/* Stopped (could not go home): answer the rest with an error. */
		while (!maker_running && maker_head) {
			struct crowd_netns_job *q = maker_head;
			maker_head = q->next;
			crowd_error_set(&e, EIO, "network namespace maker stopped");
			if (q->sock >= 0)
				maker_send(q->sock, &e, -1);
			q->done = true;
			pthread_cond_broadcast(&maker_cond);
		}
		bool stop = !maker_running;
		pthread_mutex_unlock(&maker_lock);
		if (stop)
			return NULL;
	}
}

static void maker_start(void)
{
	maker_home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (maker_home < 0)
		return;
	maker_running = crowd_thread_detached(maker_main, NULL, 128 * 1024) == 0;
	maker_pid = getpid();
	if (!maker_running) {
		close(maker_home);
		maker_home = -1;
	}
}

static struct crowd_netns_job prefetch_job;

/* Under maker_lock. */
static void maker_enqueue(struct crowd_netns_job *job)
{
	struct crowd_netns_job **tail = &maker_head;
	while (*tail)
		tail = &(*tail)->next;
	*tail = job;
	pthread_cond_broadcast(&maker_cond);
}

void crowd_netns_prefetch(void)
{
	pthread_once(&maker_once, maker_start);
	pthread_mutex_lock(&maker_lock);
	if (maker_running && maker_pid == getpid() && !ahead.asked) {
		ahead.asked = true;
		prefetch_job = (struct crowd_netns_job){.sock = -1};
		maker_enqueue(&prefetch_job);
	}
	pthread_mutex_unlock(&maker_lock);
}

int crowd_netns_job_start(struct crowd_netns_job *job, int sock)
{
	job->sock = -1;
	job->done = false;
	job->next = NULL;
	pthread_once(&maker_once, maker_start);
	pthread_mutex_lock(&maker_lock);
	if (!maker_running || maker_pid != getpid()) {
		pthread_mutex_unlock(&maker_lock);
		return -ENOSYS;
	}
	job->sock = sock;
	maker_enqueue(job);
	pthread_mutex_unlock(&maker_lock);
	return 0;
}

void crowd_netns_job_wait(struct crowd_netns_job *job)
{
	if (job->sock < 0)
		return;
	pthread_mutex_lock(&maker_lock);
	while (!job->done)
		pthread_cond_wait(&maker_cond, &maker_lock);
	pthread_mutex_unlock(&maker_lock);
	job->sock = -1;
}

int crowd_netns_join(int sock, struct crowd_error *err)
{
	struct crowd_error e;
	int fd;
	ssize_t n = crowd_recv_fd(sock, &e, sizeof(e), &fd);

	if (n < 0 && errno == EMFILE)
		return crowd_error_set(err, EMFILE,
				       "receiving the network namespace: no free file descriptor");
	if (n < 0)
		return ERRNO_SET(err, errno, "receiving the network namespace");
	if (n != (ssize_t)sizeof(e)) {
		if (fd >= 0)
			close(fd);
		return crowd_error_set(err, EPROTO, "no network namespace from the maker");
	}
	if (e.code) {
		if (fd >= 0)
			close(fd);
		e.msg[sizeof(e.msg) - 1] = '\0';
		*err = e;
		return -e.code;
	}
	if (fd < 0)
		return crowd_error_set(err, EPROTO, "the network namespace fd did not arrive");
	int r = 0;
	if (setns(fd, CLONE_NEWNET) < 0)
		r = ERRNO_SET(err, errno, "joining the network namespace");
	close(fd);
	return r;
}
