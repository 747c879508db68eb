#!/bin/sh
# mpirun's "ssh" for two_hosts.sh: runs the command in the network
# namespace that NNC_NETNS_MAP (ADDRESS=NAMESPACE ...) gives the host.
# Each daemon gets a temporary directory of its own: the two "hosts" share
# one file system and one host name, and Open MPI's session directories
# (TMPDIR/ompi.HOST.UID/...) would otherwise collide ("File exists").
host=$1
shift
for pair in $NNC_NETNS_MAP; do
  if [ "${pair%%=*}" = "$host" ]; then
    TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/nnc-host.XXXXXX") || exit 1
    export TMPDIR
    exec ip netns exec "${pair#*=}" /bin/sh -c "$*"
  fi
done
echo "netns_agent.sh: unknown host $host" >&2
exit 1
