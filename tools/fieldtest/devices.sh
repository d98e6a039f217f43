# Sourced by guest.sh and systemd-guest.sh inside the field-test guest, with $results and $checks
# set: loads vivid (camera $camera, 320x180 YUYV at 5 fps) and a gpio-sim chip ($chip, lines named
# as on a line's wiring) and defines the helpers both scenarios use. Every check writes one line,
# "ok NAME: detail" or "FAIL NAME: detail", to $checks; run.sh on the host judges.
# shellcheck source=/dev/null
set -a                                # FT_REPO FT_MODULES FT_PROBE FT_BIN, written by run.sh
source "$results/env"
set +a
pass() { echo "ok $1: $2" >> "$checks"; echo "fieldtest: ok $1: $2"; }
fail() { echo "FAIL $1: $2" >> "$checks"; echo "fieldtest: FAIL $1: $2"; }
# expect NAME ACTUAL EXPECTED [DETAIL]
expect() { if [[ $2 == "$3" ]]; then pass "$1" "${4:-$2}"; else fail "$1" "got '$2', expected '$3' ${4:-}"; fi; }
now() { echo "$EPOCHREALTIME"; }
elapsed() { echo "$EPOCHREALTIME - $1" | bc; }
# A pause without forking sleep: emulated process starts are slow.
mkfifo /tmp/wait-tick
exec {wait_tick}<>/tmp/wait-tick
# wait_for SECONDS COMMAND...: polls every 0.1 s until COMMAND succeeds; false on timeout.
wait_for() {
    local deadline=$(( ${EPOCHREALTIME/./} + ${1%.*} * 1000000 )); shift
    until "$@"; do
        (( ${EPOCHREALTIME/./} > deadline )) && return 1
        read -r -t 0.1 -u "$wait_tick" || true
    done
}

modprobe_t() { modprobe -d "$FT_MODULES" "$@"; }
modprobe_t configfs                   # gpio-sim is configured through it
mount -t configfs configfs /sys/kernel/config
mount -t debugfs debugfs /sys/kernel/debug

# --- camera: one vivid instance with only a video capture node ---------------------------------
vivid_args=(n_devs=1 node_types=1)
modprobe_t vivid "${vivid_args[@]}" || fail vivid.load "modprobe vivid failed"
wait_for 5 test -c /dev/video0 || fail vivid.node "/dev/video0 did not appear"
camera=/dev/video0
# Frames identical from run to run (no clock text), a scene the model knows, 320x180 at 5 fps: the
# rate the daemon is asked to keep under emulation.
scene_normal() { v4l2-ctl -d "$camera" -c osd_text_mode=2 -c test_pattern=0 -c show_square=0; }
setup_camera() {
    v4l2-ctl -d "$camera" --set-fmt-video=width=320,height=180,pixelformat=YUYV &&
        v4l2-ctl -d "$camera" --set-parm=5 >/dev/null && scene_normal
}
setup_camera || fail vivid.setup "v4l2-ctl could not set format, rate or controls"

# --- GPIO: one simulated chip, lines named as on the line's wiring ----------------------------
line_names=(reject ok ng ready fault trigger)
modprobe_t gpio-sim || fail gpio.load "modprobe gpio-sim failed"
sim=/sys/kernel/config/gpio-sim/fieldtest
mkdir "$sim" "$sim/bank0"
echo ${#line_names[@]} > "$sim/bank0/num_lines"
echo edge-inspect-sim > "$sim/bank0/label"
for i in "${!line_names[@]}"; do
    mkdir "$sim/bank0/line$i"
    echo "${line_names[$i]}" > "$sim/bank0/line$i/name"
done
echo 1 > "$sim/live"
chip=/dev/$(cat "$sim/bank0/chip_name")
# gpio-sim's own sysfs view of each line: what the "wire" carries, whoever drives it.
line_dir() { echo "/sys/devices/platform/$(cat "$sim/dev_name")/$(cat "$sim/bank0/chip_name")/sim_gpio$1"; }
line_value() { cat "$(line_dir "$1")/value"; }
