#!/usr/bin/env bash
# Debian 12 packages for the ARM builds and their emulated tests:
# - the GNU cross toolchains (crt files, libgcc, glibc) for aarch64 and armhf, and qemu-user;
# - the arm64 and armhf builds of libpng/libjpeg-turbo/zlib/libv4l, unpacked into
#   .build-cross/<arch>-libs (see below).
# Does nothing when all are there.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-arm-linux-gnueabihf libc6-dev-armhf-cross qemu-user)
# The ARM libraries for the static link: only their .a files and headers are needed. They are not
# installed through multiarch because "Multi-Arch: same" packages (libpng16-16, libssl3, libc6) must
# have exactly the host's version in every architecture, so a foreign index that lags the amd64 one
# blocks the install (seen here: the armhf security list failing its checksum, and the arm64 one
# offering libpng16-16 1.6.39-2+deb12u5 while amd64 had deb12u6).
libs=(libpng-dev libjpeg62-turbo-dev zlib1g-dev libv4l-dev)
arches=(arm64 armhf)
declare -A multiarch=([arm64]=aarch64-linux-gnu [armhf]=arm-linux-gnueabihf)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
unpacked=1
for arch in "${arches[@]}"; do
    [[ -f .build-cross/$arch-libs/usr/lib/${multiarch[$arch]}/libpng.a ]] || unpacked=0
done
((${#missing[@]} == 0 && unpacked)) && exit 0

sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
for arch in "${arches[@]}"; do
    dpkg --print-foreign-architectures | grep -qx "$arch" || "${sudo_cmd[@]}" dpkg --add-architecture "$arch"
done
# A partly failed update (one foreign index) still leaves the lists this needs.
"${sudo_cmd[@]}" apt-get update -qq || echo "cross/install-deps: apt-get update reported errors; going on" >&2
if ((${#missing[@]})); then
    echo "cross/install-deps: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

for arch in "${arches[@]}"; do
    root=.build-cross/$arch-libs
    echo "cross/install-deps: unpacking $arch ${libs[*]} into $root"
    download=$(mktemp -d)
    (cd "$download" && apt-get download -qq "${libs[@]/%/:$arch}" 2>&1 | grep -v unsandboxed || true)
    rm -rf "$root" && mkdir -p "$root"
    for deb in "$download"/*.deb; do dpkg-deb -x "$deb" "$root"; done
    rm -rf "$download"
    test -f "$root/usr/lib/${multiarch[$arch]}/libpng.a"
done
