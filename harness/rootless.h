#pragma once
// Rootless runs: schism started by an ordinary user, without sudo.
//
// The harness needs root only over the namespaces it builds. A user may own
// a user namespace of their own and be root in it, with every capability
// over the network namespaces it then creates, and none over the host's. So
// an unprivileged `schism run` first becomes root of a user namespace that
// maps only its own uid and gid, with network, mount and pid namespaces of
// its own, and builds the sandbox inside: namespaces, veths, the bridge, nft
// rules, NFQUEUE, time namespaces and libfaketime work as they do for root.
// The controller is the first process of the pid namespace, so whatever it
// started dies with it, SIGKILL included. What does not work: per-node
// cgroups (the cgroup tree belongs to the host's root unless a part of it is
// delegated; kills and pauses fall back to process-group signals, a freeze to
// SIGSTOP), and nodes run as another user (the namespace has no other uid;
// harness/node_user.h).

#include <string>

namespace schism::harness {

// When the process is not root: enters a new user namespace mapping uid 0
// and gid 0 inside to its own uid and gid outside (setgroups denied, as the
// kernel requires for that) and new network, mount and pid namespaces, then
// forks. The child, the pid namespace's first process, mounts its own /proc
// and /dev/shm and returns true: it is the controller. The parent never
// returns: it passes SIGINT, SIGTERM, SIGHUP and SIGQUIT on to the child and
// exits as the child did (128 + a signal that killed it); if the parent is
// killed, the child gets SIGKILL. Must be called while the process has one
// thread. Returns false as root. Throws std::runtime_error naming what the
// kernel refused, e.g. "not root, and cannot make a user namespace ...".
bool BecomeRootless();

// True when uid 0 of this process's user namespace is one unprivileged uid
// outside it and nothing else is mapped: a rootless run.
bool IsRootless();

// Whether `uid` has an id in this process's user namespace (a rootless run
// maps only its own user's; setuid to any other fails).
bool UidMapped(unsigned uid);

}  // namespace schism::harness
