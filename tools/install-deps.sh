#!/usr/bin/env bash
# Installs what building and testing EdgeInspect needs on Debian 12, and nothing when it is all there:
# the C libraries the runtime wraps (libpng, libjpeg-turbo, zlib, libv4l2 for cameras), clang/lld for the Embedded build, and python3-venv for tools/.
# The Swift 6.3 toolchain itself is not in Debian: it must be on PATH (swift.org's Linux tarball).
set -euo pipefail

packages=(libpng-dev libjpeg62-turbo-dev zlib1g-dev libv4l-dev python3-venv)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "install-deps: installing ${missing[*]}"
    sudo_cmd=()
    [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
    for dir in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
        [[ -x $dir/swift ]] && { echo "install-deps: add $dir to PATH" >&2; break; }
    done
    echo "install-deps: no 'swift' on PATH; install the Swift 6.3 toolchain for Linux first" >&2
    exit 1
fi
version=$(swift --version 2>&1 | sed -n 's/.*Swift version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p' | head -1)
read -r major minor <<<"$version"
if (( major < 6 || (major == 6 && minor < 1) )); then
    echo "install-deps: Swift $major.$minor found; EdgeInspect needs 6.1 or newer (typed throws, Embedded mode)" >&2
    exit 1
fi
