"""redis-sentinel: one Redis Sentinel per node, and what it says it does.

schism's redis-sentinel profile runs this with /usr/bin/python3 in each
node's namespace: python3 -u sentinel_node.py ID INDEX ADDR PEERS SERVICE,
where SERVICE lists the service's members (redis1=ADDR:PORT,...), the first
the primary. It starts redis-sentinel (Debian's redis-sentinel) as its child,
monitoring the primary of the service redis:3 (a primary and two replicas),
and turns the sentinel's own log into contract v1 lines on stdout
(docs/contract.md):

  +new-epoch E               follower in term E (or candidate while it tries)
  +try-failover              candidate in the current epoch
  +vote-for-leader RUNID E   a vote in term E for the sentinel RUNID names
  +elected-leader            leader in the epoch of its own candidacy
  +failover-end, -failover-abort-*, +failover-end-for-timeout
                             follower again: the failover is over
  +switch-master primary OLD_ADDR OLD_PORT NEW_ADDR NEW_PORT
                             the same role, with "primary" naming the member
                             the sentinel now monitors (every role line
                             names it), for the service-failover checker

Sentinels elect one failover leader per epoch (the epoch is the term), with
the votes of a majority of the sentinels. Each sentinel's run id is fixed
(sentinel myid), so a vote names a node. The sentinel's config, which it
rewrites with its epoch, stays in the node's data dir across restarts.
"""
import ctypes
import os
import re
import signal
import subprocess
import sys

from contract_lines import Reporter

DATA = os.path.dirname(os.path.abspath(__file__))
SENTINEL_PORT = 26379
EVENT = re.compile(r" [#*-] ([+-][a-z-]+) ?(.*)$")


def run_id(index):
    """The sentinel myid of node `index`: 40 hex digits."""
    return "%040x" % (0x5C000000 + index)


def write_config(me, index, addr, primary):
    path = os.path.join(DATA, "sentinel.conf")
    if os.path.exists(path):  # a restart: the sentinel's own rewrite, with its epoch
        return path
    with open(path, "w") as out:
        out.write("port %d\nbind %s\nprotected-mode no\ndaemonize no\nlogfile \"\"\n"
                  "dir %s\nsentinel myid %s\n"
                  "sentinel monitor primary %s 6379 2\n"
                  "sentinel down-after-milliseconds primary 1000\n"
                  "sentinel failover-timeout primary 4000\n"
                  "sentinel parallel-syncs primary 1\n"
                  % (SENTINEL_PORT, addr, DATA, run_id(index), primary))
    return path


def saved_state(path):
    """The epoch (0 before any) and the primary's address a restarted
    sentinel's rewritten config holds."""
    epoch, primary = 0, None
    with open(path) as config:
        for line in config:
            words = line.split()
            if words[:2] == ["sentinel", "current-epoch"] and len(words) == 3:
                epoch = int(words[2])
            elif words[:3] == ["sentinel", "monitor", "primary"] and len(words) >= 4:
                primary = words[3]
    return epoch, primary


def die_with_parent():
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def main():
    me, index, addr, peers, service = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], \
        sys.argv[5]
    members = {}  # address -> member name, in the service's order
    for member in (m for m in service.split(",") if m):
        name, host = member.split("=")
        members[host.rsplit(":", 1)[0]] = name
    primary = next(iter(members))
    names = {run_id(index): me}
    for peer in (p for p in peers.split(",") if p):
        name = peer.split("=")[0]
        names[run_id(int(name[1:]))] = name
    config = write_config(me, index, addr, primary)
    sentinel = subprocess.Popen(["redis-sentinel", config], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, preexec_fn=die_with_parent)
    signal.signal(signal.SIGTERM, lambda *_: sentinel.terminate())
    out = Reporter()
    epoch, monitored = saved_state(config)
    watching = members.get(monitored, members[primary])  # the member it sees as primary
    candidacy = None  # the epoch of its own current candidacy
    role = "follower"

    def report(new_role, term):
        nonlocal role
        role = new_role
        out.role(role, term, me if role == "leader" else None, watching)

    report("follower", epoch)
    for line in sentinel.stdout:
        sys.stderr.write(line)
        sys.stderr.flush()
        found = EVENT.search(line.rstrip("\n"))
        if not found:
            continue
        event, rest = found.groups()
        words = rest.split()
        if event == "+new-epoch" and words:
            epoch = int(words[0])
            report("candidate" if candidacy == epoch else "follower", epoch)
        elif event == "+try-failover":
            candidacy = epoch
            report("candidate", epoch)
        elif event == "+vote-for-leader" and len(words) >= 2 and words[0] in names:
            out.vote(int(words[1]), names[words[0]])
            if words[0] == run_id(index):
                candidacy = int(words[1])
        elif event == "+elected-leader" and candidacy is not None:
            report("leader", candidacy)
        elif event in ("+failover-end", "+failover-end-for-timeout") or \
                event.startswith("-failover-abort"):
            candidacy = None
            report("follower", epoch)
        elif event == "+switch-master" and len(words) >= 5 and words[3] in members:
            watching = members[words[3]]
            report(role, candidacy if role == "leader" else epoch)
    sys.exit(sentinel.wait())


if __name__ == "__main__":
    main()
