# shellcheck shell=sh
# Shared by up.sh and down.sh: names, paths and small checks of a test fleet.
# A fleet is identified by its prefix P: bridge P-br, hosts P-h1..P-hN (each a
# network namespace, a veth of the same name in the root namespace, and an
# sshd in its own mount/uts/pid namespaces), all state under FLEET_DIR.

[ "${TSCTL_DEBUG:-}" = 1 ] && set -x

die() {
  printf 'fleet: %s\n' "$*" >&2
  exit 1
}

# lock_fleets: one up.sh/down.sh at a time on this machine (held until exit),
# so two fleets started at once cannot pick the same free subnet.
lock_fleets() {
  mkdir -p /run/lock
  # fd 9 must not reach the hosts' sshd (up.sh closes it there), or they would hold the lock.
  exec 9>/run/lock/tsctl-fleet.lock
  flock -w 60 9 || die 'another up.sh/down.sh held /run/lock/tsctl-fleet.lock for 60 s'
}

# check_prefix P: interface names are limited to 15 bytes (P-h200p is the longest).
check_prefix() {
  case $1 in
    '' | *[!a-z0-9]* | [!a-z]*) die "prefix must match [a-z][a-z0-9]{0,7}, got '$1'" ;;
  esac
  [ ${#1} -le 8 ] || die "prefix must be at most 8 characters, got '$1'"
}

# fleet_dir P: where keys, configs, per-host data and the inventory live.
fleet_dir() {
  printf '%s\n' "${TSCTL_FLEET_DIR:-/tmp/tsctl-fleet-$1}"
}

# host_indexes P: the index of every host namespace of fleet P that exists.
host_indexes() {
  ip netns list 2>/dev/null | while read -r _ns _; do
    case $_ns in
      "$1"-h*)
        _i=${_ns#"$1"-h}
        case $_i in '' | *[!0-9]*) continue ;; esac
        printf '%s\n' "$_i"
        ;;
    esac
  done
}

# sshd_alive PIDFILE NS: true when PIDFILE names a live sshd inside netns NS
# (guards against a recycled PID: we only ever signal our own processes).
sshd_alive() {
  [ -s "$1" ] || return 1
  _pid=$(cat "$1")
  case $_pid in '' | *[!0-9]*) return 1 ;; esac
  [ "$(cat "/proc/$_pid/comm" 2>/dev/null)" = sshd ] || return 1
  [ "$(ip netns identify "$_pid" 2>/dev/null)" = "$2" ]
}

# stop_host P I DIR: kills host I's processes by PID, removes its netns and veth.
stop_host() {
  _ns=$1-h$2
  if sshd_alive "$3/h$2/sshd.pid" "$_ns"; then
    kill -9 "$(cat "$3/h$2/sshd.pid")" 2>/dev/null || true
  fi
  # Its PID namespace dies with it and unshare exits after reaping it; give
  # that a moment (a killed unshare leaves sshd a zombie for PID 1 to reap),
  # then end by PID whatever still lives in the netns: it was started there
  # by that sshd (sessions) or by up.sh (unshare). Bounded.
  _k=0
  while [ -e "/run/netns/$_ns" ]; do
    _pids=$(ip netns pids "$_ns" 2>/dev/null || true)
    [ -z "$_pids" ] && break
    if [ $_k -lt 20 ]; then _k=$((_k + 1)); sleep 0.05; continue; fi
    if [ $_k -ge 120 ]; then die "processes in $_ns would not die: $_pids"; fi
    for _p in $_pids; do kill -9 "$_p" 2>/dev/null || true; done
    _k=$((_k + 1))
    sleep 0.05
  done
  rm -f "$3/h$2/sshd.pid"
  if [ -e "/run/netns/$_ns" ]; then ip netns del "$_ns"; fi
  # Deleting the netns destroys the veth pair, but asynchronously: delete it
  # ourselves (it may vanish under us) and wait, bounded, until it is gone.
  _k=0
  while ip link show "$_ns" >/dev/null 2>&1; do
    ip link del "$_ns" 2>/dev/null || true
    if [ $_k -ge 100 ]; then die "link $_ns would not go away"; fi
    _k=$((_k + 1))
    sleep 0.05
  done
}
