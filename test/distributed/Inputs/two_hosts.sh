#!/bin/sh
# Runs `nnc train ARGS...` on 2 ranks as two "hosts": two network namespaces,
# each with its own address on a bridge, so the ranks talk TCP (not shared
# memory) as on two machines. mpirun starts each rank's daemon through
# netns_agent.sh (ip netns exec) instead of ssh.
# When this machine cannot build the two hosts (not root, no namespaces, no
# bridge/veth, or TCP between the namespaces is filtered), it prints
# "two-host test skipped: REASON" and exits 0: that is the environment, not
# nnc. Once the hosts reach each other, any failure is a real failure.
# Usage: two_hosts.sh NNC ARGS...
set -u
here=$(cd "$(dirname "$0")" && pwd)
skip() { echo "two-host test skipped: $*"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "needs root and network namespaces"
ip netns add nnc$$a 2>/dev/null || skip "needs root and network namespaces"
net=10.$(( $$ % 200 + 20 )).77
cleanup() {
  ip netns del nnc$$a 2>/dev/null; ip netns del nnc$$b 2>/dev/null
  ip link del nnc$$br 2>/dev/null; rm -f hosts.$$
}
trap cleanup EXIT
step() { "$@" 2>/tmp/nnc_two_hosts.$$ || { r=$(head -c 200 /tmp/nnc_two_hosts.$$); rm -f /tmp/nnc_two_hosts.$$; skip "cannot set up the hosts: '$*' failed: $r"; }; }
step ip netns add nnc$$b
step ip link add nnc$$br type bridge
step ip addr add $net.1/24 dev nnc$$br
step ip link set nnc$$br up
for h in a b; do
  n=$([ $h = a ] && echo 2 || echo 3)
  step ip link add nnc$$$h type veth peer name eth0 netns nnc$$$h
  step ip link set nnc$$$h master nnc$$br up
  step ip -n nnc$$$h addr add $net.$n/24 dev eth0
  step ip -n nnc$$$h link set eth0 up
  step ip -n nnc$$$h link set lo up
done
rm -f /tmp/nnc_two_hosts.$$
# Can host .2 open a TCP connection to host .3? (A firewall on bridged
# traffic, as Docker's FORWARD policy with br_netfilter, would stop MPI too.)
ip netns exec nnc$$b python3 -c '
import socket, sys
s = socket.socket(); s.bind((sys.argv[1], 7777)); s.listen(1); s.settimeout(10)
c, _ = s.accept(); c.sendall(b"ok")' $net.3 &
listener=$!
sleep 0.5
reach=$(ip netns exec nnc$$a python3 -c '
import socket, sys, time
for _ in range(20):
    try:
        s = socket.create_connection((sys.argv[1], 7777), timeout=2); print(s.recv(2).decode()); break
    except OSError: time.sleep(0.25)' $net.3 2>/dev/null)
wait $listener 2>/dev/null
[ "$reach" = ok ] || skip "TCP from $net.2 to $net.3 across the bridge does not get through (filtered bridged traffic?)"

printf '%s.2 slots=1\n%s.3 slots=1\n' $net $net > hosts.$$
export NNC_NETNS_MAP="$net.2=nnc$$a $net.3=nnc$$b"
run() {
  timeout 120 mpirun --allow-run-as-root -np 2 --hostfile hosts.$$ \
    --mca plm_rsh_agent "$here/netns_agent.sh" -x NNC_NETNS_MAP \
    --mca oob_tcp_if_include $net.0/24 --mca btl_tcp_if_include $net.0/24 --mca btl tcp,self "$@"
}
# Where each rank runs: its own namespace's address (host .2 and .3).
run sh -c 'ip -o -4 addr show dev eth0 | sed "s|.* inet [0-9]*\.[0-9]*\.77\.\([0-9]\)/.*|rank on host .\1|"' || {
  rc=$?; echo "two_hosts.sh: mpirun across the namespaces failed (exit $rc)" >&2; exit $rc; }
run "$@"
