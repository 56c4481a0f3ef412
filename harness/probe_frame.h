#pragma once
// One probe frame across the sandbox's bridge, sent by the harness itself.
//
// A partition is proven by the packets the kernel dropped between its cut
// pairs. An elector that happens to send nothing while a partition holds (a
// JVM still starting, a quiet moment between heartbeats) leaves those
// counters at zero, and the partition unproven though it was in force. One
// frame sent by the harness from a cut pair's source to its destination
// settles it: the cut pair's own counter must count it.

#include <string>

namespace schism::harness {

// Sends one ICMP echo request to `to_address` (IPv4) from inside the network
// namespace of `netns_fd`, through a raw socket made in that namespace and
// closed at once. ICMP reaches no elector's socket, and an answer, should one
// come, is dropped with the socket. The calling thread returns to its own
// namespace before this returns. Throws std::system_error naming the step
// when the namespace cannot be entered or the socket refuses.
void SendEchoRequest(int netns_fd, const std::string& to_address);

}  // namespace schism::harness
