#!/bin/sh
# Usage: test/fleet/down.sh [--prefix P]
#
# Removes the test fleet P that up.sh made: kills each host's processes by
# PID, deletes its netns, veth and the bridge, and removes FLEET_DIR. Safe to
# run when nothing (or only part) is up.
set -eu
here=$(dirname "$0")
# shellcheck source=test/fleet/lib.sh source-path=SCRIPTDIR
. "$here/lib.sh"

prefix=tsf
while [ $# -gt 0 ]; do
  case $1 in
    --prefix) [ $# -ge 2 ] || die '--prefix needs a value'; prefix=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done
check_prefix "$prefix"
[ "$(id -u)" = 0 ] || die 'must run as root'
lock_fleets
dir=$(fleet_dir "$prefix")

for i in $(host_indexes "$prefix"); do stop_host "$prefix" "$i" "$dir"; done
# veths whose namespace is already gone (an interrupted up.sh)
for link in $(ip -o link show type veth 2>/dev/null | sed -n "s/^[0-9]*: \($prefix-h[0-9]*\)@.*/\1/p"); do
  ip link del "$link" 2>/dev/null || true
done
if ip link show "$prefix-br" >/dev/null 2>&1; then ip link del "$prefix-br"; fi
# Each host's cgroup parent (TSCTL_CGROUP_PARENT=tsctl-<host>), in every hierarchy: empty
# once the host's processes are gone; rmdir removes only empty cgroups, deepest first.
awk '$0 ~ / - cgroup2? / { print $5 }' /proc/self/mountinfo | while read -r mnt; do
  for cg in "$mnt/tsctl-$prefix-h"*; do
    [ -d "$cg" ] || continue
    find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
done
# Only a directory up.sh made (it carries the marker) is removed.
if [ -e "$dir/.tsctl-fleet" ]; then rm -rf "$dir"; fi
