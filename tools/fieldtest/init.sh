#!/bin/busybox sh
# PID 1 of the field-test guest. Loads the modules that reach the host over virtio-9p, mounts the
# host's root read-only at /host with this guest's /dev, /proc and /sys over it (so the host's own
# programs and libraries run in a chroot against this kernel's devices), mounts the writable results
# share (and the checkout's own share where /tmp or /run would hide it), runs the scenario script
# named by fieldtest.script= on the kernel command line, powers off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
ln -s /proc/self/fd /dev/fd          # bash process substitution needs it; devtmpfs has none
for m in $(cat /modules/order); do insmod "/modules/$m" || echo "init: insmod $m failed"; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /host ||
    { echo "init: cannot mount the host's root"; poweroff -f; }
for d in dev proc sys; do mount --bind "/$d" "/host/$d"; done
mount -t tmpfs tmpfs /host/tmp
mount -t tmpfs tmpfs /host/run
# A checkout under /tmp or /run is hidden by those; its own share puts it back at its path.
repo=$(sed -n 's/.*fieldtest\.repo=\([^ ]*\).*/\1/p' /proc/cmdline)
case $repo in
    /tmp/*|/run/*) mkdir -p "/host$repo" &&
        mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose repo "/host$repo" ||
        echo "init: cannot mount the checkout at $repo";;
esac
mkdir -p /host/tmp/results
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results /host/tmp/results ||
    echo "init: no results share"
script=$(sed -n 's/.*fieldtest\.script=\([^ ]*\).*/\1/p' /proc/cmdline)
# fieldtest.init=systemd: the host's systemd becomes PID 1 in the same root and a unit of its own
# runs the script, so the shipped unit is started, sandboxed, watched and stopped by systemd itself.
# The host's /var/lib and /var/log are read-only; a tmpfs over each holds the unit's folders.
if grep -q "fieldtest\.init=systemd" /proc/cmdline; then
    mount -t tmpfs tmpfs /host/var/lib
    mount -t tmpfs tmpfs /host/var/log
    units=/host/run/systemd/system
    mkdir -p "$units"
    printf '%s\n' "[Unit]" "Description=EdgeInspect field test under systemd" \
        "Requires=fieldtest.service" "After=fieldtest.service" > "$units/fieldtest.target"
    printf '%s\n' "[Unit]" "Description=EdgeInspect field-test scenarios under systemd" "After=basic.target" \
        "[Service]" "Type=oneshot" "ExecStart=/bin/bash $script" \
        "StandardOutput=tty" "StandardError=tty" "TTYPath=/dev/console" > "$units/fieldtest.service"
    # The host's root has /.dockerenv, and a systemd that thinks it runs in a container ignores the
    # kernel command line; an empty $container tells it otherwise.
    export container=
    exec switch_root /host /lib/systemd/systemd --unit=fieldtest.target
fi
if [ -n "$script" ]; then
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin chroot /host /bin/bash "$script"
    echo "init: $script exited with $?"
else
    echo "init: no fieldtest.script= given; shell on the console"
    setsid cttyhack sh
fi
sync
umount /host/tmp/results
poweroff -f
