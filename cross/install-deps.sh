#!/usr/bin/env bash
# Debian 12 packages for the ARM builds and their emulated tests:
# - the GNU cross toolchains (crt files, libgcc, glibc) for aarch64 and armhf, and qemu-user;
# - the arm64 builds of libpng/libjpeg-turbo/zlib, installed through multiarch;
# - the armhf builds of the same, unpacked into .build-cross/armhf-libs instead (see below).
# Does nothing when all are there.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
          libpng-dev:arm64 libjpeg62-turbo-dev:arm64 zlib1g-dev:arm64 libv4l-dev:arm64
          gcc-arm-linux-gnueabihf libc6-dev-armhf-cross)
# armhf libraries for the static link: only their .a files and headers are needed. They are not
# installed through multiarch because "Multi-Arch: same" packages (libpng16-16, libc6) must have
# exactly the host's version in both architectures, so an armhf index that lags the amd64 one
# (seen here: the security mirror's armhf list failed its checksum) blocks the install.
armhf_libs=(libpng-dev libjpeg62-turbo-dev zlib1g-dev libv4l-dev)
armhf_root=.build-cross/armhf-libs

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ -f $armhf_root/usr/lib/arm-linux-gnueabihf/libpng.a ]] && ((${#missing[@]} == 0)) && exit 0

sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
for arch in arm64 armhf; do
    dpkg --print-foreign-architectures | grep -qx $arch || "${sudo_cmd[@]}" dpkg --add-architecture $arch
done
# A partly failed update (one foreign index) still leaves the lists this needs.
"${sudo_cmd[@]}" apt-get update -qq || echo "cross/install-deps: apt-get update reported errors; going on" >&2
if ((${#missing[@]})); then
    echo "cross/install-deps: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "cross/install-deps: unpacking armhf ${armhf_libs[*]} into $armhf_root"
download=$(mktemp -d)
(cd "$download" && apt-get download -qq "${armhf_libs[@]/%/:armhf}" 2>&1 | grep -v unsandboxed || true)
rm -rf "$armhf_root" && mkdir -p "$armhf_root"
for deb in "$download"/*.deb; do dpkg-deb -x "$deb" "$armhf_root"; done
rm -rf "$download"
test -f $armhf_root/usr/lib/arm-linux-gnueabihf/libpng.a
