#!/bin/bash
# The second field-test boot: here the host's systemd is PID 1 (init.sh, fieldtest.init=systemd) and
# this script runs as a unit of its own. It installs the shipped cross/systemd/edge-inspect.service
# unchanged but for ExecStart (the test's binary and config), and lets systemd start, sandbox, watch
# and stop the daemon: Type=notify's READY=1, DynamicUser, the seccomp filter, DevicePolicy=closed
# with DeviceAllow resolved by systemd, ProtectSystem=strict with the unit's own folders, and the
# watchdog that kills and restarts a hung daemon. The first boot's sandbox scenario checked an
# strace against the unit's rules; this one has systemd enforce them.
set -u
results=/tmp/results
checks="$results/checks.txt"
# shellcheck source=tools/fieldtest/devices.sh
source "${BASH_SOURCE%/*}/devices.sh"     # vivid and the gpio-sim chip up; pass, fail, expect, wait_for
work="$results/systemd"
mkdir -p "$work"
prop() { systemctl show -P "$1" edge-inspect.service; }
# The journal kept, then off (exit: where systemd is not PID 1, init.sh powers the guest off).
finish() { journalctl -b --no-pager -o short-monotonic > "$work/journal.txt" 2>&1; sync; systemctl poweroff -ff; exit; }

pid1=$(readlink /proc/1/exe)
if [[ $pid1 == */systemd ]]; then
    pass systemd.pid1 "PID 1 is $pid1 ($(systemctl --version | head -1))"
else
    fail systemd.pid1 "PID 1 is $pid1, not systemd"; finish
fi

# What udev does on a board (Debian's rules give video4linux nodes to group video; the unit's
# comment asks for a rule that gives the GPIO chips a group): the guest has no udev.
chgrp video "$camera" "$chip" && chmod 660 "$camera" "$chip"
# The first boot's sandbox config (the shipped watch.conf's paths, the guest's camera and lines),
# free-running. Model and binary are copied out of the checkout, which ProtectHome may hide.
conf=/run/edge-inspect-test/watch.conf
mkdir -p /run/edge-inspect-test
install -m 644 "$FT_REPO/weights/magnetic-tile.eim" /run/edge-inspect-test/line3.eim
install -m 755 "$FT_BIN" /run/edge-inspect-test/edge-inspect
grep -v '^max_frames' "$results/daemon/sandbox.conf" > "$conf" ||
    { fail systemd.start "no sandbox.conf from the first boot"; finish; }
cp "$FT_REPO/cross/systemd/edge-inspect.service" /run/systemd/system/
mkdir -p /run/systemd/system/edge-inspect.service.d
printf '%s\n' "[Service]" "ExecStart=" "ExecStart=/run/edge-inspect-test/edge-inspect watch --config $conf" \
    > /run/systemd/system/edge-inspect.service.d/fieldtest.conf
systemctl daemon-reload
# Type=notify: start returns once the daemon has sent READY=1 (model, camera and lines open).
scene_normal
start=$(now)
if systemctl start edge-inspect.service && [[ $(line_value 3) == 1 ]]; then
    pass systemd.start "READY=1 after $(elapsed "$start") s; $(prop ActiveState)/$(prop SubState), ready line $(line_value 3)"
else
    fail systemd.start "start: $(prop Result), ready line $(line_value 3); $(journalctl -u edge-inspect.service --no-pager -n 5 -o cat | tr '\n' ' ')"
    finish
fi
pid=$(prop MainPID)

# The sandbox as the kernel shows it on the running daemon.
status_of() { sed -n "s/^$1:\s*//p" "/proc/$pid/status"; }
uid=$(status_of Uid | awk '{print $1}')
root_opts=$(findmnt -N "$pid" -n -o OPTIONS /)
state_opts=$(findmnt -N "$pid" -n -o OPTIONS -T /var/lib/edge-inspect)
net_own=$([[ $(readlink "/proc/$pid/ns/net") != $(readlink /proc/1/ns/net) ]] && echo yes || echo no)
got="uid $uid, NoNewPrivs $(status_of NoNewPrivs), Seccomp $(status_of Seccomp), CapBnd $(status_of CapBnd), / ${root_opts%%,*}, state ${state_opts%%,*}, own netns $net_own"
if (( uid != 0 )) && [[ $(status_of NoNewPrivs) == 1 && $(status_of Seccomp) == 2 && $(status_of CapBnd) == 0000000000000000 &&
      $root_opts == ro,* && $state_opts == rw,* && $net_own == yes ]]; then
    pass systemd.sandbox "$got"
else
    fail systemd.sandbox "$got"
fi

# DevicePolicy=closed admits the camera through the char-video4linux group systemd resolved at start:
# frames are captured and scored, no fault.
counter() { sed -n "s/^edge_inspect_$1_total \([0-9]*\).*/\1/p" /run/edge-inspect/status.prom 2>/dev/null; }
scored_3() { (( $(counter frames_scored) + 0 >= 3 )); }
if wait_for 60 scored_3 && [[ $(line_value 4) == 0 ]]; then
    pass systemd.devices "$(counter frames_captured) frames captured, $(counter frames_scored) scored, fault line $(line_value 4)"
else
    fail systemd.devices "fault line $(line_value 4), $(counter frames_scored) frames scored in 60 s: $(head -c 300 /run/edge-inspect/status.prom 2>/dev/null)"
fi

# An alert through the sandbox: the reject line rises, the log and saved images land in the unit's
# LogsDirectory and StateDirectory.
v4l2-ctl -d "$camera" -c test_pattern=10
if wait_for 60 grep -q '"event":"alert"' /var/log/edge-inspect/events.jsonl; then
    saved=$(find /var/lib/edge-inspect/alerts -name '*.png' 2>/dev/null | wc -l)
    pass systemd.alert "alert logged in /var/log/edge-inspect, $saved images in /var/lib/edge-inspect/alerts"
else
    fail systemd.alert "no alert in 60 s over the checkers"
fi
scene_normal

# The watchdog: pings reach systemd; a hung daemon (SIGSTOP) is killed after WatchdogSec and restarted.
ping0=$(prop WatchdogTimestampMonotonic)
pinged() { [[ $(prop WatchdogTimestampMonotonic) != "$ping0" ]]; }
restarted() { (( $(prop NRestarts) >= 1 )) && [[ $(prop SubState) == running ]]; }
if wait_for 15 pinged; then
    kill -STOP "$pid"
    stopped=$(now)
    if wait_for 60 restarted; then
        pass systemd.watchdog "pings seen; SIGSTOPped daemon killed and restarted in $(elapsed "$stopped") s (NRestarts $(prop NRestarts))"
    else
        fail systemd.watchdog "SIGSTOPped daemon not restarted in 60 s: $(prop ActiveState)/$(prop SubState), NRestarts $(prop NRestarts)"
    fi
else
    fail systemd.watchdog "no watchdog ping in 15 s (WatchdogSec $(prop WatchdogUSec))"
fi

# systemctl stop: SIGTERM, exit 0, lines released.
if systemctl stop edge-inspect.service && [[ $(prop Result) == success && $(prop ExecMainStatus) == 0 &&
                                            $(line_value 3) == 0 ]]; then
    pass systemd.stop "Result success, exit 0, ready line $(line_value 3), stop logged: $(grep -c '"event":"stop"' /var/log/edge-inspect/events.jsonl)"
else
    fail systemd.stop "Result $(prop Result), exit $(prop ExecMainStatus), ready line $(line_value 3)"
fi
cp -r /var/log/edge-inspect "$work/log" 2>/dev/null
finish
