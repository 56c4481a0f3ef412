# Sourced by scripts/crash-sweep and scripts/misbehave: what a run could leave
# behind in the host's view, one line per thing, for a before/after diff.
leftovers() {
  ip -o link show | awk -F': ' '{print "link " $2}'
  nft list tables 2>/dev/null | sed 's/^/nft /'
  find /sys/fs/cgroup -maxdepth 8 -type d -name 'schism-*' 2>/dev/null | sed 's/^/cgroup /'
  pgrep -x schism-node | sed 's/^/node pid /' || true
  find /tmp -maxdepth 1 -name 'schism*' 2>/dev/null | sed 's/^/tmp /'
  find /dev/shm -maxdepth 1 -name '*schism*' 2>/dev/null | sed 's/^/shm /'
}
