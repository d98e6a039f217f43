#!/usr/bin/env bash
# Prepares everything the field test boots, from Debian's own packages, without installing a kernel
# on this machine: the kernel that `linux-image-amd64` points at (vmlinuz and the few modules the
# test loads: vivid with its V4L2/videobuf2 dependencies, 9p over virtio, configfs), gpio-sim built
# out of tree from `linux-source-6.1` against the matching `linux-headers` (Debian does not build it),
# and a busybox initramfs. Cached under .build-fieldtest/<kernel version>/; a second run prints the
# cached folder at once. Prints that folder as its last line.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
here="$repo/tools/fieldtest"

image_pkg=${FIELDTEST_KERNEL_PACKAGE:-$(apt-cache depends linux-image-amd64 |
                                         awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')}
kver=${image_pkg#linux-image-}
version=$(apt-cache show --no-all-versions "$image_pkg" | awk '$1 == "Version:" { print $2; exit }')
[[ -n $kver && -n $version ]] || { echo "prepare: cannot resolve linux-image-amd64" >&2; exit 1; }
cache="$repo/.build-fieldtest/$kver"
boot_modules=(virtio_pci 9pnet_virtio 9p)           # what the initramfs needs to reach the host's root
test_modules=(vivid gpio-sim configfs)

# Prints the module files (relative to lib/modules/<version> under $1) that loading $2 needs,
# dependencies first.
load_order() {
    local line
    line=$(grep -E "(^|/)$2\.ko:" "$1/lib/modules/$kver/modules.dep") || { echo "prepare: no module $2" >&2; return 1; }
    # modules.dep lists dependencies so that loading them last-to-first works (as modprobe does).
    echo "${line#*:}" | tr ' ' '\n' | { grep . || true; } | tac
    echo "${line%%:*}"
}

# The initramfs (cheap, so always rebuilt from init.sh): static busybox, the boot modules in load
# order, and the init script.
build_initrd() {
    local initrd="$cache/initrd"
    rm -rf "$initrd"
    mkdir -p "$initrd"/{bin,dev,proc,sys,host,modules}
    cp /bin/busybox "$initrd/bin/busybox"
    cp "$here/init.sh" "$initrd/init"
    chmod +x "$initrd/init"
    for m in "${boot_modules[@]}"; do load_order "$cache/root" "$m"; done | awk '!seen[$0]++' |
        while read -r f; do
            cp "$cache/root/lib/modules/$kver/$f" "$initrd/modules/"
            basename "$f" >> "$initrd/modules/order"
        done
    (cd "$initrd" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) > "$cache/initrd.gz"
    rm -rf "$initrd"
}

if [[ -f $cache/ready ]]; then build_initrd; echo "$cache"; exit 0; fi

echo "prepare: kernel $kver (package version $version)" >&2
rm -rf "$cache"
work="$cache/work"
mkdir -p "$work/deb" "$work/x" "$cache/root"
# apt's _apt user cannot write into the project's folder; downloading as the caller is fine here.
(cd "$work/deb" && apt-get download -q "$image_pkg=$version" "linux-headers-$kver=$version" \
    "linux-headers-${kver%-amd64}-common=$version" "linux-kbuild-6.1=$version" \
    "linux-source-6.1=$version" 2>&1 | { grep -v "unsandboxed as root" >&2 || true; })
for deb in "$work"/deb/linux-{image,headers,kbuild}*.deb; do dpkg-deb -x "$deb" "$work/x"; done

# gpio-sim and its interrupt simulator, from the source of this very kernel. irq_sim.c calls
# irq_to_desc(), which modules cannot reach since 5.x; generic_handle_irq() runs the same
# handle_simple_irq() through the descriptor and is exported.
src="$work/src"
mkdir -p "$src" "$work/gpiosim"
dpkg-deb --fsys-tarfile "$work"/deb/linux-source-6.1_*.deb |
    tar -xO ./usr/src/linux-source-6.1.tar.xz |
    tar -xJ -C "$src" linux-source-6.1/drivers/gpio/gpio-sim.c linux-source-6.1/drivers/gpio/gpiolib.h \
        linux-source-6.1/kernel/irq/irq_sim.c
cp "$src/linux-source-6.1/drivers/gpio/gpio-sim.c" "$work/gpiosim/gpio-sim-main.c"
cp "$src/linux-source-6.1/drivers/gpio/gpiolib.h" "$src/linux-source-6.1/kernel/irq/irq_sim.c" "$work/gpiosim/"
sed -i 's/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_irq(irqnum);/' "$work/gpiosim/irq_sim.c"
if grep -q irq_to_desc "$work/gpiosim/irq_sim.c"; then
    echo "prepare: irq_sim.c changed upstream; the irq_to_desc replacement no longer applies" >&2; exit 1
fi
printf 'obj-m := gpio-sim.o\ngpio-sim-y := gpio-sim-main.o irq_sim.o\n' > "$work/gpiosim/Kbuild"
# The headers' Makefile includes the common half by its installed path; point it at the extracted one.
headers="$work/x/usr/src/linux-headers-$kver"
echo "include $work/x/usr/src/linux-headers-${kver%-amd64}-common/Makefile" > "$headers/Makefile"
make -s -C "$headers" M="$work/gpiosim" modules 2>&1 | grep -v "Skipping BTF generation" >&2 || true
[[ -f $work/gpiosim/gpio-sim.ko ]] || { echo "prepare: gpio-sim build failed" >&2; exit 1; }
mkdir -p "$work/x/lib/modules/$kver/extra"
cp "$work/gpiosim/gpio-sim.ko" "$work/x/lib/modules/$kver/extra/"

# Keep only the modules the test loads, with everything they depend on, and index them for modprobe.
depmod -b "$work/x" "$kver"
mods="$work/x/lib/modules/$kver"
for m in "${boot_modules[@]}" "${test_modules[@]}"; do load_order "$work/x" "$m"; done | awk '!seen[$0]++' > "$work/keep"
while read -r f; do
    mkdir -p "$cache/root/lib/modules/$kver/$(dirname "$f")"
    cp "$mods/$f" "$cache/root/lib/modules/$kver/$f"
done < "$work/keep"
cp "$mods"/modules.{order,builtin,builtin.modinfo} "$cache/root/lib/modules/$kver/"
depmod -b "$cache/root" "$kver"
cp "$work/x/boot/vmlinuz-$kver" "$cache/vmlinuz"

build_initrd

rm -rf "$work"
echo "$kver $version" > "$cache/ready"
echo "$cache"
