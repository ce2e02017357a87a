#!/bin/sh
# Usage: scripts/setup.sh run|test
#
# The one place that knows what a machine needs before tsctl can be built and
# run (profile "run": README command 1, `npm run quickstart`) or before the
# whole test suite can run (profile "test": README command 2, `npm test`, and
# .ci/run). It installs only what is missing and says what it installs, so a
# fresh Debian 12 machine needs nothing but Node.js and this checkout, and a
# prepared one pays a dpkg query per package.
#
#   run:  git and gcc/musl build the static tsctl-init helper; busybox-static
#         is the example image's only binary; util-linux, iproute2, tar and
#         coreutils are what the host runtime calls on the local host; the
#         CNI plugins, nftables, iptables (portmap) and dnsmasq-base are the
#         example's pod network (network: in tsctl.yaml).
#   test: run + real sshd hosts (openssh-server), the runtimes the runtime
#         is compared with (crun, runc), shellcheck for the host scripts,
#         arm64 cross tools and qemu for the arm64 helper, hyperfine for the
#         benchmarks, file, skopeo for image interop, docker-registry (and
#         apache2-utils for its htpasswd, openssl for its TLS and token
#         certificates) for registry pulls; wrk for the pod network's
#         benchmark; etcd-server for the etcd state backend; age for
#         SOPS-encrypted Secrets.
#
# Then `npm ci` when node_modules is missing or older than package-lock.json.
# Environment: TSCTL_SETUP_SKIP_APT=1 skips the system packages (a machine
# that is not Debian, or a user who installs them by other means).
set -eu

profile=${1:-}
run_pkgs="git gcc libc6-dev musl-tools busybox-static util-linux iproute2 tar gzip coreutils
  containernetworking-plugins nftables iptables dnsmasq-base"
test_pkgs="$run_pkgs openssh-server openssh-client crun runc shellcheck gcc-aarch64-linux-gnu
  libc6-dev-arm64-cross qemu-user-static hyperfine file skopeo docker-registry apache2-utils openssl
  wrk etcd-server age"
case $profile in
  run) pkgs=$run_pkgs ;;
  test) pkgs=$test_pkgs ;;
  *) echo 'usage: scripts/setup.sh run|test' >&2; exit 2 ;;
esac
here=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)

if [ -n "${TSCTL_SETUP_SKIP_APT:-}" ]; then
  echo "setup: TSCTL_SETUP_SKIP_APT is set; not checking Debian packages"
elif ! command -v dpkg >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: no dpkg/apt-get here; install the equivalents of: $pkgs" >&2
else
  missing=
  for p in $pkgs; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "setup: missing Debian packages:$missing" >&2
      echo "setup: run as root: apt-get install --no-install-recommends$missing" >&2
      exit 1
    fi
    echo "setup: installing Debian packages ($profile):$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    # shellcheck disable=SC2086 # $missing is a word list on purpose
    apt-get install -y -q --no-install-recommends $missing >/dev/null
    echo "setup: installed:$missing"
  fi
fi

cd "$here"
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ -n "$(find package-lock.json -newer "$stamp")" ]; then
  echo "setup: npm ci (node_modules missing or older than package-lock.json)"
  npm ci --no-audit --no-fund
fi
