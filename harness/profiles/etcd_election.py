"""etcd-elect: etcd's lease-based election, one contender per node.

schism's etcd-elect profile runs this with /usr/bin/python3 in each node's
namespace: python3 -u etcd_election.py ID ENDPOINTS TTL_S. It prints what the
contender believes as contract v1 lines on stdout (docs/contract.md).

The election is etcd's own (the v3election service that `etcdctl elect` and
clientv3/concurrency use), reached through etcd's JSON gateway so that no
client library is needed: a contender grants itself a lease of TTL_S, then
campaigns with it (/v3/election/campaign puts NAME/<lease> and returns once
every older key is gone). The leader's term, and its fencing token, is its
key's create revision, which grows with every new key.

The lease. A leader keeps its lease alive and loops: it checks what is left
of the lease by its own clock (measured from before it sent the last
keep-alive), works under it for WORK_S (the critical section), prints a
lease line claiming what it believed was left at the check, then sends the
next keep-alive and checks that the election's leader key is still its own.
A pause in the critical section longer than the TTL goes unnoticed: on
waking it claims a lease that etcd has expired and given to the next
contender. That overlap is what the lease checker reports.

A campaign request is never abandoned: etcd resigns a campaign whose request
is cancelled, which would delete the key of a contender that another request
of its own had just elected. A contender keeps its lease's ID in its data dir
and, restarted, resumes that lease (and so its key) while it lives: a key of
its former self would otherwise lead, for up to a TTL, a contender that
never learns it does.
"""
import base64
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request

from contract_lines import Reporter

NAME = base64.b64encode(b"schism-election").decode()
WORK_S = 0.1        # the critical section
LOOK_EVERY_S = 0.2  # a contender that does not lead looks at who does this often
REQUEST_S = 1.0     # one request to one member
LEASE_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lease")


class Etcd:
    """JSON requests to the members, moving to the next member on any failure."""

    def __init__(self, endpoints):
        self.endpoints = endpoints
        self.at = 0
        self.lock = threading.Lock()

    def call(self, path, body, timeout=REQUEST_S):
        with self.lock:
            at = self.at
        url = self.endpoints[at] + path
        try:
            request = urllib.request.Request(url, json.dumps(body).encode(), method="POST")
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return json.loads(answer.read().decode().splitlines()[0])
        except urllib.error.HTTPError as error:  # etcd's own errors are JSON too
            try:
                return json.loads(error.read().decode())
            except ValueError:
                return {"error": str(error)}
        except (OSError, ValueError) as error:
            with self.lock:
                if self.at == at:
                    self.at = (at + 1) % len(self.endpoints)
            raise ConnectionError("%s: %s" % (url, error)) from error


def log(text):
    print("etcd-elect: " + text, file=sys.stderr, flush=True)


class Contender:
    def __init__(self, me, etcd, ttl_s):
        self.me, self.etcd, self.ttl_s = me, etcd, ttl_s
        self.out = Reporter()
        self.lease = None     # our lease's ID, while we have one
        self.expiry = 0.0     # of our lease, by our clock
        self.elected = None   # our key's create revision, once a campaign returned
        self.generation = 0   # campaigns of an older lease are ignored
        self.given_up = None  # the lease it stepped down from
        self.lock = threading.Lock()

    def run(self):
        self.out.role("candidate")
        while True:
            try:
                if self.lease is None:
                    self.grant()
                with self.lock:
                    elected = self.elected
                if elected is not None:
                    self.hold(elected)
                else:
                    self.follow()
            except ConnectionError as error:
                log(str(error))
                if self.elected is not None and time.monotonic() >= self.expiry - WORK_S:
                    self.step_down("its lease ran out while etcd could not be reached")
                time.sleep(LOOK_EVERY_S)

    def grant(self):
        sent = time.monotonic()
        lease, ttl = self.former_lease()
        if lease is None:
            answer = self.etcd.call("/v3/lease/grant", {"TTL": self.ttl_s})
            if "ID" not in answer:
                raise ConnectionError("lease grant: %s" % answer)
            lease, ttl = answer["ID"], int(answer["TTL"])
            with open(LEASE_FILE + ".new", "w") as out:
                out.write(lease)
                out.flush()
                os.fsync(out.fileno())
            os.replace(LEASE_FILE + ".new", LEASE_FILE)
        with self.lock:
            self.lease = lease
            self.expiry = sent + ttl
            self.generation += 1
            generation, lease = self.generation, self.lease
        threading.Thread(target=self.campaign, args=(generation, lease), daemon=True).start()

    def campaign(self, generation, lease):
        body = {"name": NAME, "lease": lease, "value": base64.b64encode(self.me.encode()).decode()}
        while True:
            with self.lock:
                if generation != self.generation:
                    return
            try:  # it waits until every older key is gone: no timeout
                answer = self.etcd.call("/v3/election/campaign", body, timeout=None)
            except ConnectionError as error:
                log("campaign: %s" % error)
                time.sleep(LOOK_EVERY_S)
                continue
            if "leader" in answer:
                with self.lock:
                    if generation == self.generation:
                        self.elected = int(answer["leader"]["rev"])
                return
            log("campaign: %s" % answer)
            time.sleep(LOOK_EVERY_S)

    def former_lease(self):
        """The lease this node had before a restart, and its TTL, while it lives."""
        try:
            with open(LEASE_FILE) as saved:
                lease = saved.read().strip()
        except OSError:
            return None, 0
        if lease == self.given_up or not lease:
            return None, 0  # the one it just gave up
        answer = self.etcd.call("/v3/lease/keepalive", {"ID": lease})
        ttl = int(answer.get("result", {}).get("TTL", 0))
        if ttl <= 0:
            return None, 0
        log("resumes its lease %s" % lease)
        return lease, ttl

    def keep_alive(self):
        """True while the lease lives; moves the expiry on."""
        sent = time.monotonic()
        answer = self.etcd.call("/v3/lease/keepalive", {"ID": self.lease})
        ttl = int(answer.get("result", {}).get("TTL", 0))
        if ttl > 0:
            self.expiry = sent + ttl
        return ttl > 0

    def hold(self, term):
        left = self.expiry - time.monotonic()
        self.out.role("leader", term, self.me)
        if left <= WORK_S:
            self.step_down("its lease ran out before a keep-alive came back")
            return
        time.sleep(WORK_S)  # the critical section: a pause here is not noticed
        self.out.lease(term, int((left - WORK_S) * 1000))
        if not self.keep_alive():
            self.step_down("etcd says its lease expired")
            return
        kv = self.etcd.call("/v3/election/leader", {"name": NAME}).get("kv")
        if not kv or int(kv["create_revision"]) != term:
            self.step_down("the election's leader key is no longer its own")

    def follow(self):
        if time.monotonic() > self.expiry - self.ttl_s / 2:
            if not self.keep_alive():
                self.new_lease("etcd says its lease expired")
                return
        answer = self.etcd.call("/v3/election/leader", {"name": NAME})
        kv = answer.get("kv")
        if kv:
            leader = base64.b64decode(kv["value"]).decode()
            term = int(kv["create_revision"])
            if leader != self.me:
                self.out.role("follower", term, leader)
        else:
            self.out.role("candidate")
        time.sleep(LOOK_EVERY_S)

    def step_down(self, why):
        log("%s steps down: %s" % (self.me, why))
        self.out.role("candidate", self.elected)
        self.new_lease(why)

    def new_lease(self, why):
        log("a new lease: " + why)
        with self.lock:
            self.given_up = self.lease
            self.lease, self.elected = None, None
            self.generation += 1


def main():
    me, endpoints, ttl_s = sys.argv[1], sys.argv[2], int(sys.argv[3])
    etcd = Etcd(["http://" + e for e in endpoints.split(",")])
    Contender(me, etcd, ttl_s).run()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
