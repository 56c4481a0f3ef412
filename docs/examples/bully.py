#!/usr/bin/env python3
"""A minimal complete elector for schism's contract v1, in the style of Bully.

Every node sends its index to its peers over UDP every 100 ms; the highest
index heard from within the last 500 ms (itself included) leads. No terms, no
votes: schism judges it with split-brain and liveness, and says "not
applicable" for the checks that need terms or votes.

    build/schism run --node-cmd 'python3 docs/examples/bully.py' --nemesis none --time 10
    build/schism run --node-cmd 'python3 docs/examples/bully.py' --nemesis kill,pause

Under partitions each side elects its own leader: that is Bully, and
split-brain says so (add --split-brain-allowed to only report it).
"""
import json
import os
import socket
import time

ME = os.environ["SCHISM_NODE"]  # n1 ... nN; {node} in the template
INDEX = int(os.environ["SCHISM_INDEX"])
PEERS = []  # (host, port) of every other node, from "n2=10.241.0.2:7000,n3=..."
for item in filter(None, os.environ["SCHISM_PEERS"].split(",")):
    host, port = item.split("=", 1)[1].rsplit(":", 1)
    PEERS.append((host, int(port)))

BEAT_S, DEAD_S = 0.1, 0.5

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((os.environ["SCHISM_ADDR"], int(os.environ["SCHISM_PORT"])))
sock.settimeout(BEAT_S / 2)

last_reported = None


def report(role, leader=None):
    """Prints a role line when the role or the leader changes."""
    global last_reported
    if (role, leader) == last_reported:
        return
    last_reported = (role, leader)
    line = {"event": "role", "role": role}
    if leader:
        line["leader"] = leader
    # flush=True: schism stamps a line when it reads it, so a buffered line
    # would be stamped late (or, if the node is killed, never).
    print(json.dumps(line), flush=True)


report("candidate")
started = time.monotonic()
heard = {}  # index -> when we last heard from it
next_beat = 0.0
while True:
    now = time.monotonic()
    if now >= next_beat:
        for peer in PEERS:
            try:
                sock.sendto(str(INDEX).encode(), peer)
            except OSError:
                pass  # an unreachable peer is the network's business
        next_beat = now + BEAT_S
    try:
        data, _ = sock.recvfrom(64)
        heard[int(data)] = time.monotonic()
    except (socket.timeout, ValueError):
        pass
    if now - started < DEAD_S:
        continue  # listen for a while before claiming anything
    top = max([INDEX] + [i for i, t in heard.items() if now - t < DEAD_S])
    if top == INDEX:
        report("leader")
    else:
        report("follower", f"n{top}")
