#!/usr/bin/env python3
"""Raft's leader election (no log) for schism's contract v1, standard library only.

Terms, RequestVote, heartbeats (AppendEntries without entries), randomized
election timeouts, step-down on a higher term, and check-quorum: a leader that
has not heard from a majority for an election timeout steps down, so a leader
cut off in a minority stops leading. currentTerm and votedFor survive restarts
in {data_dir}/state.json, written before a vote is printed or sent.

    build/schism run --node-cmd 'python3 examples/raft_election.py' --nemesis partition,kill,pause --time 30

It prints terms and votes, so every checker applies to it (lease and fencing
aside: it takes no leases) and a correct run is valid.
"""
import json
import os
import random
import select
import signal
import socket
import sys
import time

ME = os.environ["SCHISM_NODE"]  # n1 ... nN
MAJORITY = int(os.environ["SCHISM_NODES"]) // 2 + 1  # of the whole cluster, itself included
PEERS = {}  # name -> (host, port), from "n2=10.241.0.2:7000,n3=..."
for item in filter(None, os.environ["SCHISM_PEERS"].split(",")):
    name, addr = item.split("=", 1)
    host, port = addr.rsplit(":", 1)
    PEERS[name] = (host, int(port))
STATE = os.path.join(os.environ["SCHISM_DATA_DIR"], "state.json")
random.seed(f"{os.environ['SCHISM_SEED']}/{os.environ['SCHISM_INDEX']}")

# Generous for Python on a busy machine. A leader cut off from a majority steps
# down after ELECTION_MIN_S, well within partition-quorum's 1.5 s grace.
HEARTBEAT_S = 0.1  # a leader's heartbeats; a candidate's vote requests are resent as often
ELECTION_MIN_S, ELECTION_MAX_S = 0.5, 1.0

# SIGTERM: exit 0 at once. There is nothing to save: the state is written as it changes.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((os.environ["SCHISM_ADDR"], int(os.environ["SCHISM_PORT"])))
sock.setblocking(False)

term, voted_for = 0, None  # durable: restored here, saved by persist()
if os.path.exists(STATE):
    with open(STATE) as f:
        saved = json.load(f)
    term, voted_for = saved["term"], saved["voted_for"]
role, leader = "follower", None
votes = set()  # a candidate's votes in its term, its own included
heard = {}  # a leader's peers -> when they last acknowledged a heartbeat of its term
deadline = next_send = 0.0  # election timeout; next heartbeat or vote request
reported = None


def persist():
    """Saves term and vote atomically: a kill leaves the old file or the new one.

    A kill is a process crash, not a power loss, so write() is enough for schism;
    a real elector would fsync the file (and the directory) too."""
    with open(STATE + ".tmp", "w") as f:
        json.dump({"term": term, "voted_for": voted_for}, f)
    os.replace(STATE + ".tmp", STATE)


def emit(line):
    # flush=True: schism stamps a line when it reads it, so a buffered line
    # would be stamped late (or, if the node is killed, never).
    print(json.dumps(line), flush=True)


def report():
    """Prints a role line when the role, the term or the known leader changes."""
    global reported
    if (role, term, leader) != reported:
        reported = (role, term, leader)
        emit({"event": "role", "role": role, "term": term, **({"leader": leader} if leader else {})})


def send(to, kind, **fields):
    try:
        sock.sendto(json.dumps({"type": kind, "from": ME, "term": term, **fields}).encode(), PEERS[to])
    except OSError:
        pass  # an unreachable peer is the network's business


def reset_timer():
    global deadline
    deadline = time.monotonic() + random.uniform(ELECTION_MIN_S, ELECTION_MAX_S)


def become_follower(new_term, new_leader=None):
    """Follows new_leader (None: not known yet) in new_term >= term."""
    global term, voted_for, role, leader
    if new_term > term:
        term, voted_for = new_term, None
        persist()  # before the new term is printed or answered in
    role, leader = "follower", new_leader
    reset_timer()
    report()


def start_election():
    global term, voted_for, role, leader, votes, next_send
    term, voted_for = term + 1, ME
    persist()  # the vote for itself is durable before it is printed
    role, leader, votes, next_send = "candidate", None, {ME}, 0.0
    reset_timer()
    report()
    emit({"event": "vote", "term": term, "for": ME})


def become_leader():
    global role, leader, heard, next_send
    role, leader, next_send = "leader", ME, 0.0
    heard = dict.fromkeys(PEERS, time.monotonic())  # one timeout to hear from a majority
    report()


def handle(msg):
    """Acts on one message from a peer."""
    global voted_for
    sender, their_term, kind = msg["from"], msg["term"], msg["type"]
    if their_term > term:
        # A newer term: step down, with no vote in it yet (and follow its leader, if it is one).
        become_follower(their_term, sender if kind == "heartbeat" else None)
    if kind == "request_vote":
        grant = their_term == term and voted_for in (None, sender)
        if grant and voted_for is None:
            voted_for = sender
            persist()  # durable before the vote line and before the grant leaves
            emit({"event": "vote", "term": term, "for": sender})
        if grant:
            reset_timer()
        send(sender, "vote", granted=grant)
    elif kind == "vote" and role == "candidate" and their_term == term and msg["granted"]:
        votes.add(sender)
    elif kind == "heartbeat":
        if their_term < term:
            send(sender, "heartbeat_ack")  # carries our term: the stale leader steps down
        else:
            become_follower(term, sender)  # the leader of our term (a candidate gives up)
            send(sender, "heartbeat_ack")
    elif kind == "heartbeat_ack" and role == "leader" and their_term == term:
        heard[sender] = time.monotonic()


report()  # the first contract line: a follower in the restored term
reset_timer()
while True:
    # Handle everything that has arrived before looking at the clock: a node
    # that was paused finds its peers' messages waiting, not only its timers.
    while True:
        try:
            data, _ = sock.recvfrom(2048)
        except BlockingIOError:
            break
        try:
            msg = json.loads(data)
        except ValueError:
            continue  # not one of ours
        if msg.get("from") in PEERS:
            handle(msg)
    now = time.monotonic()
    if role == "candidate" and len(votes) >= MAJORITY:
        become_leader()
    if role == "leader":
        # Check-quorum: no majority heard from in ELECTION_MIN_S, no leading.
        if 1 + sum(now - t < ELECTION_MIN_S for t in heard.values()) < MAJORITY:
            become_follower(term)
        elif now >= next_send:
            for peer in PEERS:
                send(peer, "heartbeat")
            next_send = now + HEARTBEAT_S
    elif now >= deadline:  # no leader heard of in time: stand for election
        start_election()
        continue  # a cluster of one elects itself at once
    if role == "candidate" and now >= next_send:
        for peer in PEERS.keys() - votes:  # ask again until they answer
            send(peer, "request_vote")
        next_send = now + HEARTBEAT_S
    wake = {"leader": next_send, "candidate": min(deadline, next_send)}.get(role, deadline)
    select.select([sock], [], [], max(0.0, wake - time.monotonic()))
