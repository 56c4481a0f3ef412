"""zk-recipe: ZooKeeper's leader election recipe, one contender per node.

schism's zk-recipe profile runs this with /usr/bin/python3 (python3-kazoo) in
each node's namespace: python3 -u zk_election.py ID HOSTS. It prints what the
contender believes as contract v1 lines on stdout (docs/contract.md).

The recipe (ZooKeeper's "Leader Election"): each contender creates an
ephemeral sequential znode under /schism-election; the lowest sequence number
leads. Every other contender watches its predecessor only, and looks again
when that one goes. The leader's term is its sequence number, which grows
with every new znode, so a newer leader always has a higher term.

A leader steps down the moment its session is in doubt (kazoo's SUSPENDED:
the connection to the ensemble is lost), which kazoo means to come before
the ensemble can expire the session and let the next contender lead. A
follower names the contender whose znode is first, in that znode's term.
"""
import sys
import threading

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import KazooException, NoNodeError
from kazoo.retry import KazooRetry

from contract_lines import Reporter

PATH = "/schism-election"
SESSION_TIMEOUT_S = 2.0
LOOK_EVERY_S = 0.2  # a follower looks at who leads at least this often


def sequence(name):
    return int(name[-10:])


def main():
    me, hosts = sys.argv[1], sys.argv[2]
    out = Reporter()
    out.role("candidate")
    changed = threading.Event()
    state = {"connected": False}

    def listener(s):
        state["connected"] = s == KazooState.CONNECTED
        changed.set()

    retry = KazooRetry(max_tries=-1, delay=0.1, max_delay=0.5)
    zk = KazooClient(hosts=hosts, timeout=SESSION_TIMEOUT_S, connection_retry=retry)
    zk.add_listener(listener)
    zk.start_async()
    mine = None  # our znode, while our session lives
    term = None
    while True:
        changed.wait(LOOK_EVERY_S)
        changed.clear()
        if not state["connected"]:
            out.role("candidate", term)  # a leader in doubt steps down at once
            continue
        try:
            zk.ensure_path(PATH)
            if mine is None or zk.exists(mine) is None:
                mine = zk.create(PATH + "/c-", me.encode(), ephemeral=True, sequence=True)
            children = sorted(zk.get_children(PATH), key=sequence)
            name = mine.rsplit("/", 1)[1]
            at = children.index(name)
            if at == 0:
                term = sequence(name)
                out.role("leader", term, me)
                continue
            first = children[0]
            leader = zk.get(PATH + "/" + first)[0].decode()
            term = sequence(first)
            out.role("follower", term, leader)
            zk.exists(PATH + "/" + children[at - 1], watch=lambda event: changed.set())
        except (KazooException, NoNodeError, ValueError) as error:
            print("zk-recipe: %s: %r" % (me, error), file=sys.stderr, flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
