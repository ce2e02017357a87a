#!/bin/sh
# Usage: test/fleet/up.sh N [--prefix P] [--net OCTET]
#
# Brings up N SSH test hosts on this machine (root only): a bridge P-br with
# 198.19.OCTET.1/24, and per host P-hI a network namespace with address
# 198.19.OCTET.(10+I) and its own sshd running in private mount, uts and pid
# namespaces, so each host has its own hostname, its own /var/lib/tsctl and a
# clean /root. Auth is key-only with a generated client key; host keys are
# generated per host and collected in a known_hosts file.
#
# Idempotent: run it again to restart crashed hosts, heal partitions, or
# change N (extra hosts are removed). OCTET defaults to the first of 250..255
# no other interface uses, so fleets with different prefixes can coexist.
# Writes FLEET_DIR/fleet.json (the inventory), FLEET_DIR/ssh_config (for
# `ssh -F`), FLEET_DIR/known_hosts and FLEET_DIR/nodes.yaml (tsctl Node
# manifests with pinned host keys), where
# FLEET_DIR is $TSCTL_FLEET_DIR or /tmp/tsctl-fleet-P. Prints FLEET_DIR.
set -eu
here=$(dirname "$0")
# shellcheck source=test/fleet/lib.sh source-path=SCRIPTDIR
. "$here/lib.sh"

n=
prefix=tsf
net=
while [ $# -gt 0 ]; do
  case $1 in
    --prefix) [ $# -ge 2 ] || die '--prefix needs a value'; prefix=$2; shift 2 ;;
    --net) [ $# -ge 2 ] || die '--net needs a value'; net=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) [ -z "$n" ] || die "unexpected argument $1"; n=$1; shift ;;
  esac
done
case $n in '' | *[!0-9]*) die 'usage: up.sh N [--prefix P] [--net OCTET]' ;; esac
if [ "$n" -lt 1 ] || [ "$n" -gt 200 ]; then die "N must be 1..200, got $n"; fi
check_prefix "$prefix"
if [ -n "$net" ]; then
  case $net in 25[0-5]) ;; *) die "--net must be 250..255 (198.19.OCTET.0/24), got $net" ;; esac
fi
[ "$(id -u)" = 0 ] || die 'must run as root (network namespaces, mounts)'
for tool in ip nsenter unshare setsid flock ssh-keygen ss /usr/sbin/sshd; do
  command -v "$tool" >/dev/null 2>&1 || die "missing $tool (apt-get install openssh-server openssh-client iproute2 util-linux)"
done

lock_fleets
dir=$(fleet_dir "$prefix")
br=$prefix-br

# --- the bridge and its subnet -------------------------------------------
if ip link show "$br" >/dev/null 2>&1; then
  cur=$(ip -4 -o addr show dev "$br" | sed -n 's/.* inet 198\.19\.\([0-9]*\)\.1\/24 .*/\1/p')
  [ -n "$cur" ] || die "bridge $br exists without a 198.19.x.1/24 address; run down.sh --prefix $prefix"
  [ -z "$net" ] || [ "$net" = "$cur" ] || die "fleet $prefix is up on 198.19.$cur.0/24; run down.sh --prefix $prefix to move it"
  net=$cur
else
  used=$(ip -4 -o addr show | sed -n 's/.* inet 198\.19\.\([0-9]*\)\..*/\1/p')
  if [ -n "$net" ]; then
    for u in $used; do [ "$u" != "$net" ] || die "198.19.$net.0/24 is already used by another interface; pick another --net"; done
  else
    for c in 250 251 252 253 254 255; do
      free=1
      for u in $used; do [ "$u" != "$c" ] || free=0; done
      if [ $free = 1 ]; then net=$c; break; fi
    done
    [ -n "$net" ] || die 'no free subnet in 198.19.250-255.0/24'
  fi
  ip link add "$br" type bridge
  ip addr add "198.19.$net.1/24" dev "$br"
fi
ip link set "$br" up

# --- fleet-wide files -----------------------------------------------------
mkdir -p "$dir"
chmod 700 "$dir"
: >"$dir/.tsctl-fleet"
[ -s "$dir/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "tsctl-fleet-$prefix" -f "$dir/id_ed25519"
mkdir -p /run/sshd /var/lib/tsctl
chmod 755 /run/sshd

# --- hosts beyond N go --------------------------------------------------
for i in $(host_indexes "$prefix"); do
  if [ "$i" -gt "$n" ]; then stop_host "$prefix" "$i" "$dir"; rm -rf "${dir:?}/h$i"; fi
done

# start_sshd NAME HOSTDIR: the host's sshd as PID 1 of fresh mount/uts/pid
# namespaces inside its netns. Not `ip netns exec`: that remounts /sys and
# hides the cgroup mounts. setsid keeps the terminal's signals away from it.
start_sshd() {
  : >"$2/sshd.log"
  # shellcheck disable=SC2016 # the inner sh expands its own arguments
  setsid nsenter --net="/run/netns/$1" \
    unshare --mount --uts --pid --fork --kill-child --mount-proc --propagation private \
    sh -c 'hostname "$1" && mount --bind "$2" /var/lib/tsctl && mount --bind "$3" /root && exec /usr/sbin/sshd -D -f "$4" -E "$5"' \
    sh "$1" "$2/data" "$2/home" "$2/sshd_config" "$2/sshd.log" </dev/null >"$2/start.log" 2>&1 9>&- &
  upid=$!
  # sshd is the child that unshare forks; find it by its parent, bounded.
  k=0
  spid=
  while [ $k -lt 100 ]; do
    kid=$(cat "/proc/$upid/task/$upid/children" 2>/dev/null || true)
    kid=${kid%% *}
    if [ -n "$kid" ] && [ "$(cat "/proc/$kid/comm" 2>/dev/null)" = sshd ]; then spid=$kid; break; fi
    kill -0 "$upid" 2>/dev/null || break
    k=$((k + 1))
    sleep 0.02
  done
  [ -n "$spid" ] || die "sshd of $1 did not start: $(cat "$2/start.log" "$2/sshd.log")"
  printf '%s\n' "$spid" >"$2/sshd.pid"
}

# wait_listening NAME HOSTDIR: until sshd accepts on port 22 (at most 5 s).
wait_listening() {
  k=0
  while [ -z "$(nsenter --net="/run/netns/$1" ss -Hltn 'sport = :22' 2>/dev/null)" ]; do
    sshd_alive "$2/sshd.pid" "$1" || die "sshd of $1 exited: $(cat "$2/start.log" "$2/sshd.log")"
    [ $k -lt 250 ] || die "sshd of $1 is not listening after 5 s: $(cat "$2/sshd.log")"
    k=$((k + 1))
    sleep 0.02
  done
}

# --- hosts 1..N -----------------------------------------------------------
started=
i=1
while [ "$i" -le "$n" ]; do
  name=$prefix-h$i
  addr=198.19.$net.$((10 + i))
  hd=$dir/h$i
  mkdir -p "$hd/data" "$hd/home/.ssh"
  chmod 700 "$hd/home" "$hd/home/.ssh"
  [ -s "$hd/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$hd/ssh_host_ed25519_key"
  cp "$dir/id_ed25519.pub" "$hd/home/.ssh/authorized_keys"
  cat >"$hd/sshd_config" <<CONF
# tsctl test fleet host $name (written by test/fleet/up.sh)
Port 22
ListenAddress $addr
HostKey $hd/ssh_host_ed25519_key
PidFile none
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile .ssh/authorized_keys
KexAlgorithms curve25519-sha256
MaxStartups 100:30:200
MaxSessions 64
UseDNS no
PrintMotd no
PrintLastLog no
LogLevel ERROR
Subsystem sftp internal-sftp
# All hosts share this machine's cgroup tree: give each its own cgroup parent,
# or one host's gc would take the others' pod cgroups for orphans.
SetEnv TSCTL_CGROUP_PARENT=tsctl-$name
CONF

  if [ ! -e "/run/netns/$name" ]; then ip netns add "$name"; fi
  if ! ip -n "$name" -4 -o addr show dev eth0 2>/dev/null | grep -q " inet $addr/24 "; then
    if ip link show "$name" >/dev/null 2>&1; then ip link del "$name"; fi
    ip link add "$name" type veth peer name "${name}p"
    ip link set "${name}p" netns "$name"
    ip -n "$name" link set "${name}p" name eth0
    ip -n "$name" addr add "$addr/24" dev eth0
    ip -n "$name" link set eth0 up
    ip -n "$name" link set lo up
  fi
  ip link set "$name" master "$br"
  ip link set "$name" up

  if ! sshd_alive "$hd/sshd.pid" "$name"; then
    start_sshd "$name" "$hd"
    started="$started $i"
  fi
  i=$((i + 1))
done
for i in $started; do wait_listening "$prefix-h$i" "$dir/h$i"; done

# --- known_hosts, ssh_config, inventory (each replaced atomically) ---------
kh=$dir/known_hosts
: >"$kh.tmp"
{
  printf '# tsctl test fleet %s: ssh -F %s %s-h1\n' "$prefix" "$dir/ssh_config" "$prefix"
  printf 'Host %s-h*\n  User root\n  IdentityFile %s\n  IdentitiesOnly yes\n' "$prefix" "$dir/id_ed25519"
  printf '  UserKnownHostsFile %s\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  BatchMode yes\n' "$kh"
} >"$dir/ssh_config.tmp"
{
  printf '{\n  "prefix": "%s",\n  "dir": "%s",\n  "bridge": "%s",\n  "subnet": "198.19.%s.0/24",\n' "$prefix" "$dir" "$br" "$net"
  printf '  "gateway": "198.19.%s.1",\n  "user": "root",\n  "identity": "%s",\n  "knownHosts": "%s",\n  "sshConfig": "%s",\n  "nodes": "%s",\n  "hosts": [' \
    "$net" "$dir/id_ed25519" "$kh" "$dir/ssh_config" "$dir/nodes.yaml"
} >"$dir/fleet.json.tmp"
printf '# Node manifests for tsctl test fleet %s (written by test/fleet/up.sh)\n' "$prefix" >"$dir/nodes.yaml.tmp"
i=1
while [ "$i" -le "$n" ]; do
  name=$prefix-h$i
  addr=198.19.$net.$((10 + i))
  hd=$dir/h$i
  read -r ktype kbody _ <"$hd/ssh_host_ed25519_key.pub"
  printf '%s,%s %s %s\n' "$name" "$addr" "$ktype" "$kbody" >>"$kh.tmp"
  printf 'Host %s\n  HostName %s\n' "$name" "$addr" >>"$dir/ssh_config.tmp"
  [ "$i" = 1 ] || printf ',' >>"$dir/fleet.json.tmp"
  printf '\n    {"name": "%s", "address": "%s", "port": 22, "netns": "%s", "veth": "%s", "hostKey": "%s %s", "dataDir": "%s", "home": "%s", "pid": %s}' \
    "$name" "$addr" "$name" "$name" "$ktype" "$kbody" "$hd/data" "$hd/home" "$(cat "$hd/sshd.pid")" >>"$dir/fleet.json.tmp"
  printf -- '---\napiVersion: v1\nkind: Node\nmetadata:\n  name: %s\n  labels:\n    tsctl.dev/fleet: %s\nspec:\n  address: %s\n  ssh:\n    user: root\n    port: 22\n    identityFile: %s\n    hostKey: %s %s\n' \
    "$name" "$prefix" "$addr" "$dir/id_ed25519" "$ktype" "$kbody" >>"$dir/nodes.yaml.tmp"
  i=$((i + 1))
done
printf '\n  ]\n}\n' >>"$dir/fleet.json.tmp"
mv "$kh.tmp" "$kh"
mv "$dir/ssh_config.tmp" "$dir/ssh_config"
mv "$dir/nodes.yaml.tmp" "$dir/nodes.yaml"
mv "$dir/fleet.json.tmp" "$dir/fleet.json"
printf '%s\n' "$dir"
