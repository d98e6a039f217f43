#!/usr/bin/env bash
# Debian 12 packages for the field test (a Debian kernel booted under qemu with vivid and gpio-sim):
# qemu and busybox for the guest, kmod for depmod on the extracted modules, the toolchain pieces an
# out-of-tree module build needs, v4l-utils to drive vivid, strace and systemd-analyze (package
# systemd) to check the daemon's system calls against its unit's sandbox, and systemd itself as PID 1
# of the second boot, which runs the unit. The kernel, its headers
# and its source are not installed: prepare.sh downloads and extracts them. Does nothing when all
# are installed.
set -euo pipefail
packages=(qemu-system-x86 busybox-static kmod v4l-utils xz-utils
          build-essential gcc-12 bc flex bison libelf-dev strace systemd)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]})) || exit 0
echo "fieldtest/install-deps: installing ${missing[*]}"
sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
# A stale index of another architecture must not stop the install of amd64 packages.
"${sudo_cmd[@]}" apt-get update -qq || echo "fieldtest/install-deps: apt-get update reported errors; going on" >&2
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
