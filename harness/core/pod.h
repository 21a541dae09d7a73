/* Pods, internal side: what a member's child needs to join its pod. */
#ifndef CROWD_POD_H
#define CROWD_POD_H

#include "container.h"
#include "error.h"

/* The namespaces the pod shares (CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS). */
#define CROWD_POD_NS (CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)

/* A pidfd of the infra process (for setns with CROWD_POD_NS), owned by the pod. */
int crowd_pod_pidfd(const struct crowd_pod *pod);
/* In a child: bring up lo in the current network namespace (ioctl, no exec). */
int crowd_net_lo_up(struct crowd_error *err);

#endif
