#!/bin/bash
# Runs inside the field-test guest, chrooted into the host's root (read-only over 9p) on the guest's
# own kernel, devices, /tmp and /run. Sets up the virtual camera (vivid) and the simulated GPIO
# chip (gpio-sim, lines named like a real installation), checks them with tools that are not
# edge-inspect, then runs the daemon scenarios (daemon-scenarios.sh). Every check writes one line,
# "ok NAME: detail" or "FAIL NAME: detail", to /tmp/results/checks.txt; run.sh on the host judges.
set -u
results=/tmp/results
checks="$results/checks.txt"
: > "$checks"
# shellcheck source=tools/fieldtest/devices.sh
source "${BASH_SOURCE%/*}/devices.sh"     # vivid and the gpio-sim chip up; pass, fail, expect, wait_for
{
    echo "FT_CHIP=$chip"
    for i in "${!line_names[@]}"; do echo "FT_LINE_${line_names[$i]}=$(line_dir "$i")"; done
} >> "$results/env"
pass gpio.chip "$chip ($(cat "$sim/bank0/label")), sysfs $(dirname "$(line_dir 0)")"

# --- kernel-side checks, made without edge-inspect ----------------------------------------------
for i in "${!line_names[@]}"; do
    expect "gpio.name.${line_names[$i]}" "$("$FT_PROBE" find "$chip" "${line_names[$i]}")" "$i"
done
# An output held by a process shows on the sysfs view, and falls back to the pull when released.
"$FT_PROBE" hold "$chip" reject 1 > "$results/probe.out" &
holder=$!
wait_for 5 grep -q held "$results/probe.out"
expect gpio.output.high "$(line_value 0)" 1 "reject held high reads 1 on sim_gpio0/value"
kill -TERM "$holder"; wait "$holder"
expect gpio.output.released "$(line_value 0)" 0 "reject released reads 0 (pull-down)"
# An input follows the pull set from outside (how the test drives the trigger line).
echo pull-up > "$(line_dir 5)/pull"
expect gpio.input.pull-up "$("$FT_PROBE" get "$chip" trigger)" 1
echo pull-down > "$(line_dir 5)/pull"
expect gpio.input.pull-down "$("$FT_PROBE" get "$chip" trigger)" 0

# vivid delivers frames at the rate set, and identical frames for a still scene. The rate comes from
# the buffers' sequence numbers and timestamps: under a loaded emulator, starting v4l2-ctl from the
# 9p root takes seconds, which must not count.
v4l2-ctl -d "$camera" --verbose --stream-mmap=4 --stream-count=16 --stream-to=/tmp/frames.raw \
    > /tmp/stream.log 2>&1
cp /tmp/stream.log "$results/vivid-stream.log"
read -r frames first last ts0 ts1 < <(awk '/cap dqbuf/ {
        for (i = 1; i < NF; i++) { if ($i == "seq:") s = $(i+1); if ($i == "ts:") t = $(i+1) }
        if (n == 0) { s0 = s; t0 = t } n++ }
    END { print n, s0, s, t0, t }' /tmp/stream.log)
rate=$(echo "scale=2; ($last - $first) / ($ts1 - $ts0)" | bc)
if (( frames == 16 && last - first == 15 )) && (( $(echo "$rate > 4.5 && $rate < 5.5" | bc) )); then
    pass vivid.rate "$rate fps: 16 frames, sequence $first..$last without gaps, over $(echo "$ts1 - $ts0" | bc) s"
else
    fail vivid.rate "$rate fps: $frames frames, sequence $first..$last over $(echo "$ts1 - $ts0" | bc) s; expected 5 fps, no gaps"
fi
frame_bytes=$((320 * 180 * 2))
if cmp -s <(head -c $frame_bytes /tmp/frames.raw) <(tail -c $frame_bytes /tmp/frames.raw); then
    pass vivid.still "first and last frames identical ($frame_bytes bytes each)"
else
    fail vivid.still "first and last frames differ: the scene is not still"
fi
rm -f /tmp/frames.raw

# The camera can vanish under a running stream and come back. While a reader holds the node open
# the module is in use; vivid's "disconnect" control unregisters the node as a USB unplug does, the
# reader gets an error and must close; then the driver unloads and loads again.
v4l2-ctl -d "$camera" --verbose --stream-mmap --stream-count=100000 --stream-to=/dev/null > /tmp/reader.log 2>&1 &
streamer=$!
wait_for 30 grep -q "cap dqbuf" /tmp/reader.log || fail vivid.reader "the reader did not start streaming"
if rmmod vivid 2>/dev/null; then
    fail vivid.in-use "rmmod vivid succeeded under an open, streaming reader"
else
    pass vivid.in-use "rmmod vivid refused while a reader streams"
fi
v4l2-ctl -d "$camera" -c disconnect=1 2>/dev/null
if wait_for 5 bash -c "! kill -0 $streamer 2>/dev/null"; then
    pass vivid.disconnect "the streaming reader ended within 5 s of the disconnect"
else
    fail vivid.disconnect "the streaming reader still runs 5 s after the disconnect"; kill "$streamer"
fi
wait "$streamer" 2>/dev/null
if wait_for 5 rmmod vivid 2>/dev/null; then
    pass vivid.unload "rmmod vivid once the reader closed"
else
    fail vivid.unload "rmmod vivid failed: $(lsmod | grep '^vivid')"
fi
modprobe_t vivid "${vivid_args[@]}"
if wait_for 5 test -c "$camera" && setup_camera &&
    v4l2-ctl -d "$camera" --stream-mmap --stream-count=2 --stream-to=/dev/null 2>/dev/null; then
    pass vivid.reload "modprobe vivid: $camera back and streaming"
else
    fail vivid.reload "after modprobe vivid, $camera does not stream"
fi

# --- the daemon ---------------------------------------------------------------------------------
export wait_tick
export -f pass fail expect now elapsed wait_for line_value line_dir modprobe_t scene_normal setup_camera
export results checks camera chip sim
bash "$FT_REPO/tools/fieldtest/daemon-scenarios.sh"
echo "fieldtest: guest done"
