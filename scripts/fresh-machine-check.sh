#!/bin/sh
# Usage: scripts/fresh-machine-check.sh [DIR] [COMMAND]
#
# Checks that the README's commands work on a machine nothing prepared: a
# minimal Debian 12 (debootstrap --variant=minbase, so no git, gcc or busybox)
# in DIR (default /tmp/tsctl-fresh), this machine's Node.js, npm and CA bundle
# copied in (the base image has Node.js), a fresh clone of this checkout's
# HEAD, then COMMAND (default: the README's first line, `npm run quickstart`)
# run inside it as root. DIR is bind-mounted on itself so `/` is a mount point
# there, as on a real machine (the runtime makes it private). Pods the run
# started are removed before the mounts go.
#
# Needs root and Debian's mirror (apt). Not part of the test suite: it
# downloads a Debian base system (~1 min) and npm packages.
set -eu
[ "$(id -u)" = 0 ] || { echo 'fresh-machine-check: run as root' >&2; exit 2; }
dir=${1:-/tmp/tsctl-fresh}
cmd=${2:-npm run quickstart}
here=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)

if [ ! -x "$dir/usr/bin/apt-get" ]; then
  command -v debootstrap >/dev/null 2>&1 || apt-get install -y -q --no-install-recommends debootstrap >/dev/null
  echo "fresh-machine-check: debootstrap bookworm into $dir"
  debootstrap --variant=minbase bookworm "$dir" http://deb.debian.org/debian >/dev/null
fi
cp /etc/apt/sources.list.d/debian.sources "$dir/etc/apt/sources.list.d/" 2>/dev/null && rm -f "$dir/etc/apt/sources.list"
cp /etc/resolv.conf "$dir/etc/resolv.conf"
mkdir -p "$dir/etc/ssl/certs" "$dir/usr/lib/node_modules" "$dir/usr/etc"
cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/"
for f in /etc/npmrc /usr/etc/npmrc; do [ -f "$f" ] && cp "$f" "$dir$f"; done
cp "$(command -v node)" "$dir/usr/bin/node"
rm -rf "$dir/usr/lib/node_modules/npm" && cp -a /usr/lib/node_modules/npm "$dir/usr/lib/node_modules/"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$dir/usr/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$dir/usr/bin/npx"
rm -rf "$dir/root/tsctl" && git clone -q "$here" "$dir/root/tsctl"

# shellcheck disable=SC2317,SC2016 # called by the trap; the script runs inside the chroot
cleanup() {
  in_root 'rt=$(ls -d /var/lib/tsctl/runtime/*/tsctl-runtime 2>/dev/null | head -n 1)
    [ -n "$rt" ] || exit 0
    for p in /var/lib/tsctl/pods/*; do [ -d "$p" ] && "$rt" --root /var/lib/tsctl remove "${p##*/}" >/dev/null; done
    "$rt" --root /var/lib/tsctl gc' || true
  for m in sys/fs/cgroup sys proc dev/pts dev; do umount -l "$dir/$m" 2>/dev/null || true; done
  umount -l "$dir" 2>/dev/null || true
}
in_root() {
  chroot "$dir" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt sh -c "cd /root/tsctl && $1"
}
trap cleanup EXIT
mount --bind "$dir" "$dir" && mount --make-private "$dir"
mount --bind /dev "$dir/dev" && mount --bind /dev/pts "$dir/dev/pts"
mount -t proc proc "$dir/proc" && mount -t sysfs sysfs "$dir/sys" && mount --bind /sys/fs/cgroup "$dir/sys/fs/cgroup"
echo "fresh-machine-check: running '$cmd' in $dir"
rc=0
in_root "$cmd" || rc=$?
echo "fresh-machine-check: '$cmd' exited $rc"
exit "$rc"
