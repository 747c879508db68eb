#!/bin/sh
# mpirun's "ssh" for two_hosts.sh: runs the command in the network
# namespace that NNC_NETNS_MAP (ADDRESS=NAMESPACE ...) gives the host.
host=$1
shift
for pair in $NNC_NETNS_MAP; do
  [ "${pair%%=*}" = "$host" ] && exec ip netns exec "${pair#*=}" /bin/sh -c "$*"
done
echo "netns_agent.sh: unknown host $host" >&2
exit 1
