#!/bin/sh
# Usage: build.sh [OUTDIR]
# Builds the static tsctl-init helper for amd64 (musl-gcc, else cc -static)
# and for arm64 when Debian's aarch64-linux-gnu-gcc is installed.
set -eu
[ -n "${TSCTL_DEBUG:-}" ] && set -x

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
out=${1:-$here/bin}
mkdir -p "$out"
cflags='-Os -static -Wall -Wextra -Werror -Wno-unused-parameter -s'

if command -v musl-gcc >/dev/null 2>&1; then cc_amd64=musl-gcc; else cc_amd64=${CC:-cc}; fi
# shellcheck disable=SC2086 # cflags is a word list on purpose
"$cc_amd64" $cflags -o "$out/tsctl-init-amd64.tmp" "$here/tsctl-init.c" "$here/supervise.c" "$here/devices.c"
mv "$out/tsctl-init-amd64.tmp" "$out/tsctl-init-amd64"

if command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
  # shellcheck disable=SC2086
  aarch64-linux-gnu-gcc $cflags -o "$out/tsctl-init-arm64.tmp" "$here/tsctl-init.c" "$here/supervise.c" "$here/devices.c"
  mv "$out/tsctl-init-arm64.tmp" "$out/tsctl-init-arm64"
else
  echo "build.sh: aarch64-linux-gnu-gcc not installed; no arm64 tsctl-init" >&2
fi
