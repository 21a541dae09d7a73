/* TCP ports for workloads that listen on the host's network: a process-wide allocator over
 * 20000..59999 that every backend takes its ports from, so two instances of a run never share
 * one, whatever their backend. */
#ifndef CROWD_PORTS_H
#define CROWD_PORTS_H

#include <stdbool.h>

/* A port that nothing is bound to now (any address) and that no other claim holds until it is
 * released; 0 when none is left. */
unsigned crowd_ports_claim(void);
/* Give a claimed port back (0 and ports outside the range are ignored). */
void crowd_ports_release(unsigned port);
/* Whether port is claimed (and not released). */
bool crowd_ports_held(unsigned port);
/* Whether nothing is bound to port now (a probe; says nothing about claims). */
bool crowd_ports_unbound(unsigned port);

#endif
