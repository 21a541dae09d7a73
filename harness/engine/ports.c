/* The port allocator (see ports.h). */
#include "ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

/* The ports handed out and not yet released, process-wide: two instances of a run (whatever
 * their backend or index) never get the same one, even before either has bound it. A cursor
 * walks the range so a released port is not handed out again soon (TIME_WAIT, slow exits). */
#define PORT_LO	  20000u
#define PORT_SPAN 40000u
static pthread_mutex_t port_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t port_taken[PORT_SPAN / 8];
static unsigned port_cursor;

static bool taken(unsigned i)
{
	return port_taken[i / 8] & (1u << (i % 8));
}

/* The port can be bound and listened on by a workload: a wildcard bind, dual stack where there
 * is IPv6 (the workloads listen on [::] by default), with SO_REUSEADDR as the workloads bind.
 * SO_REUSEADDR matters twice. The probe then answers what the workload's bind will meet (a
 * listener or a non-reusable socket on the port: taken). And the probe socket, which a child
 * cloned by another starter thread meanwhile holds a copy of until its exec closes it, cannot
 * block the workload's bind and listen (bound, reusable and not listening): without it, 1 in
 * 8-16 runs of tests/it_ports.sh lost a workload to EADDRINUSE on a port no program held. */
static bool port_free_now(unsigned port)
{
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1, r;
	if (fd >= 0) {
		int off = 0;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
		struct sockaddr_in6 a = {.sin6_family = AF_INET6,
					 .sin6_port = htons((uint16_t)port),
					 .sin6_addr = IN6ADDR_ANY_INIT};
		r = bind(fd, (struct sockaddr *)&a, sizeof(a));
	} else {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return false;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		struct sockaddr_in a = {.sin_family = AF_INET,
					.sin_port = htons((uint16_t)port),
					.sin_addr.s_addr = htonl(INADDR_ANY)};
		r = bind(fd, (struct sockaddr *)&a, sizeof(a));
	}
	close(fd);
	return r == 0;
}

unsigned crowd_ports_claim(void)
{
	unsigned port = 0;
	pthread_mutex_lock(&port_lock);
	for (unsigned n = 0; n < PORT_SPAN; n++) {
		unsigned i = (port_cursor + n) % PORT_SPAN;
		if (taken(i) || !port_free_now(PORT_LO + i))
			continue;
		port_taken[i / 8] |= (uint8_t)(1u << (i % 8));
		port_cursor = (i + 1) % PORT_SPAN;
		port = PORT_LO + i;
		break;
	}
	pthread_mutex_unlock(&port_lock);
	return port;
}

void crowd_ports_release(unsigned port)
{
	if (port < PORT_LO || port >= PORT_LO + PORT_SPAN)
		return;
	unsigned i = port - PORT_LO;
	pthread_mutex_lock(&port_lock);
	port_taken[i / 8] &= (uint8_t) ~(1u << (i % 8));
	pthread_mutex_unlock(&port_lock);
}

bool crowd_ports_held(unsigned port)
{
	if (port < PORT_LO || port >= PORT_LO + PORT_SPAN)
		return false;
	pthread_mutex_lock(&port_lock);
	bool held = taken(port - PORT_LO);
	pthread_mutex_unlock(&port_lock);
	return held;
}

bool crowd_ports_unbound(unsigned port)
{
	return port_free_now(port);
}
