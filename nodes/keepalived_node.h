#pragma once
// keepalived-node: one VRRP router of a real keepalived (Debian's
// keepalived), started and watched, that says what it believes on stdout
// (contract v1). `schism run --profile keepalived` runs one per node.
//
// It writes a keepalived.conf into the data dir (one vrrp_instance on eth0,
// VRRP version 3, adverts every 100 ms, multicast, priorities falling with
// the index and far apart so that n1 wins a common start, nopreempt so that a
// restarted router does not take over from a running MASTER), starts
// keepalived in the foreground as
// its child, and reads two things:
//   * keepalived's notify FIFO, whose lines ("INSTANCE "VI_1" MASTER 200")
//     arrive in order as the instance changes state: MASTER is leader,
//     BACKUP follower, FAULT and STOP candidate;
//   * the VRRP adverts on the wire (a raw socket for protocol 112): a BACKUP
//     names as its leader the node whose advert it heard last, while that was
//     less than three advert intervals ago.
// VRRP has no terms and no quorum: a router that hears no advert for three
// intervals takes over, so a router cut off from the others becomes a second
// MASTER. That is what the recipe shows (split-brain flags it).
//
// It ends keepalived when it is told to stop (SIGTERM), and exits with
// keepalived's status when keepalived exits by itself; keepalived dies with
// it (PR_SET_PDEATHSIG), and a kill reaches both through the node's cgroup.

#include <csignal>
#include <cstddef>
#include <string>
#include <vector>

#include "nodes/address.h"

namespace schism::nodes {

struct KeepalivedOptions {
  std::string id;           // n1..nN
  std::size_t index = 1;    // 1..N: the lower, the higher its priority
  Endpoint listen;          // this node's address (the port is unused)
  std::vector<Peer> peers;  // the other routers, to name an advert's sender
  std::string data_dir;     // keepalived.conf, notify.fifo, pid files
  std::string program = "keepalived";
};

// Runs until *stop is set or keepalived exits. Returns 0 when stopped,
// keepalived's exit status (or 128 + signal) when it exited by itself, and
// 75 with a one-line reason on stderr when it could not set up.
int RunKeepalived(const KeepalivedOptions& options, volatile std::sig_atomic_t* stop);

}  // namespace schism::nodes
