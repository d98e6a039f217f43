#!/usr/bin/env bash
# Debian 12 packages for the aarch64 build and its emulated tests: the GNU cross toolchain (crt files,
# libgcc, glibc for aarch64), the arm64 builds of libpng/libjpeg-turbo/zlib/libv4l (multiarch), and
# qemu-user. Does nothing when they are installed.
set -euo pipefail
packages=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
          libpng-dev:arm64 libjpeg62-turbo-dev:arm64 zlib1g-dev:arm64 libv4l-dev:arm64)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]})) || exit 0
echo "cross/install-deps: installing ${missing[*]}"
sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
dpkg --print-foreign-architectures | grep -qx arm64 || "${sudo_cmd[@]}" dpkg --add-architecture arm64
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
