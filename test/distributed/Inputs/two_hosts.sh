#!/bin/sh
# Runs `nnc train ARGS...` on 2 ranks as two "hosts": two network namespaces,
# each with its own address on a bridge, so the ranks talk TCP (not shared
# memory) as on two machines. mpirun starts each rank's daemon through
# netns_agent.sh (ip netns exec) instead of ssh. Root only; otherwise it
# prints why it skipped and exits 0. Usage: two_hosts.sh NNC ARGS...
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -ne 0 ] || ! ip netns add nnc$$a 2>/dev/null; then
  echo "two-host test skipped: needs root and network namespaces"
  exit 0
fi
net=10.$(( $$ % 200 + 20 )).77
cleanup() {
  ip netns del nnc$$a 2>/dev/null; ip netns del nnc$$b 2>/dev/null
  ip link del nnc$$br 2>/dev/null
}
trap cleanup EXIT
ip netns add nnc$$b
ip link add nnc$$br type bridge && ip addr add $net.1/24 dev nnc$$br && ip link set nnc$$br up
for h in a b; do
  n=$([ $h = a ] && echo 2 || echo 3)
  ip link add nnc$$$h type veth peer name eth0 netns nnc$$$h
  ip link set nnc$$$h master nnc$$br up
  ip -n nnc$$$h addr add $net.$n/24 dev eth0
  ip -n nnc$$$h link set eth0 up
  ip -n nnc$$$h link set lo up
done
printf '%s.2 slots=1\n%s.3 slots=1\n' $net $net > hosts.$$
export NNC_NETNS_MAP="$net.2=nnc$$a $net.3=nnc$$b"
run() {
  timeout 120 mpirun --allow-run-as-root -np 2 --hostfile hosts.$$ \
    --mca plm_rsh_agent "$here/netns_agent.sh" -x NNC_NETNS_MAP \
    --mca oob_tcp_if_include $net.0/24 --mca btl_tcp_if_include $net.0/24 --mca btl tcp,self "$@"
}
# Where each rank runs: its own namespace's address (host .2 and .3).
run sh -c 'ip -o -4 addr show dev eth0 | sed "s|.* inet [0-9]*\.[0-9]*\.77\.\([0-9]\)/.*|rank on host .\1|"'
run "$@"
rc=$?
rm -f hosts.$$
exit $rc
