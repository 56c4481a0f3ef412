"""Contract v1 lines on stdout (docs/contract.md), for the recipes' scripts.

A run writes this beside each recipe script in the node's data dir; the
scripts import it. Each line is flushed at once: schism stamps a line when
it reads it.
"""


class Reporter:
    """Prints role lines when the role, term, leader or primary changes; votes and leases always.

    `primary` names the member of the service the node sees as its primary
    (the service-failover checker reads it).
    """

    def __init__(self):
        self.last = None

    def role(self, role, term=None, leader=None, primary=None):
        line = '{"event":"role","role":"%s"' % role
        if term is not None:
            line += ',"term":%d' % term
        if leader:
            line += ',"leader":"%s"' % leader
        if primary:
            line += ',"primary":"%s"' % primary
        line += "}"
        if line != self.last:
            self.last = line
            print(line, flush=True)

    def vote(self, term, candidate):
        print('{"event":"vote","term":%d,"for":"%s"}' % (term, candidate), flush=True)

    def lease(self, token, lease_ms):
        print('{"event":"lease","term":%d,"token":%d,"lease_ms":%d}' % (token, token, lease_ms),
              flush=True)
