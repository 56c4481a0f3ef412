#!/usr/bin/env python3
"""An elector for scripts/bench capture: it elects nobody, but prints contract
lines at a steady rate, each stamped with the CLOCK_MONOTONIC time at which it
was written ("sent_ns") and numbered ("seq"), so that the history shows how long the controller took
from the node's write to its own stamp ("t"), and whether it lost a line.

    stamper.py NODE FIRST_NODE LINES_PER_SECOND
"""
import sys
import time

node, first, rate = sys.argv[1], sys.argv[2], float(sys.argv[3])
role = "leader" if node == first else "follower"
period = 1.0 / rate
next_at = time.monotonic()
seq = 0
while True:
    line = '{"event":"role","role":"%s","term":1,"leader":"%s","seq":%d,"sent_ns":%d}\n' % (
        role, first, seq, time.monotonic_ns())
    seq += 1
    sys.stdout.write(line)
    sys.stdout.flush()
    next_at += period
    delay = next_at - time.monotonic()
    if delay > 0:
        time.sleep(delay)
