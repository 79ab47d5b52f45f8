#!/usr/bin/env bash
# `posescope --headless`: a full run on the bundled sample video (one line
# of valid JSON per frame with 33 keypoints, latency.csv rows, the plot
# and the annotated video), --frames, a folder of images, hand meshes,
# SIGINT in the middle of a run (every file still valid), and bad sources
# (exit code, one line).
#   tests/cli/headless.sh PATH_TO_POSESCOPE
# Needs the real models in the model cache and node (JSON checks).

. "$(dirname "$0")/lib.sh"
P=$1
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SAMPLE=$ROOT/assets/pose_squats_10s.mp4
FRAMES=50

# Each line of $1 parses; prints "lines people0 keypoints0 ok" where ok is
# 1 when every line has the schema's fixed fields.
jsonl_summary() {
    node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8")
    .split("\n").filter((l) => l.length);
let ok = 1, kp = -1, people = -1;
lines.forEach((l, i) => {
    const j = JSON.parse(l);
    for (const k of ["schema_version", "frame", "t", "source",
                     "detector_ran", "ms", "people", "hands"])
        if (!(k in j)) ok = 0;
    if (j.frame !== i || typeof j.ms.total !== "number") ok = 0;
    if (i === 0) {
        people = j.people.length;
        kp = people ? j.people[0].keypoints.length : 0;
    }
});
console.log(lines.length, people, kp, ok);' "$1" 2>/dev/null
}

# --- the sample video, one person ------------------------------------------
run "$P" --headless "$SAMPLE" --out "$T/o" --max-people 1
check "sample: exit 0" exit_is 0
check "sample: quiet stderr when not a TTY" test ! -s "$T/err"
check "sample: says where the outputs are" stdout_has "$T/o/results.jsonl"
read -r lines people kp ok <<<"$(jsonl_summary "$T/o/results.jsonl")"
check "sample: one JSON line per frame ($lines)" test "${lines:-0}" -eq $FRAMES
check "sample: one person, 33 keypoints ($people, $kp)" \
    test "${people:-0}" -eq 1 -a "${kp:-0}" -eq 33
check "sample: every line has the fixed fields" test "${ok:-0}" -eq 1
check "sample: latency.csv has a header and a row per frame" \
    test "$(wc -l <"$T/o/latency.csv")" -eq $((FRAMES + 1))
check "sample: latency.csv columns" \
    grep -q '^frame,decode_ms,pose_detect_ms,' "$T/o/latency.csv"
check "sample: latency.png" test -s "$T/o/latency.png"
check "sample: annotated.mp4" test -s "$T/o/annotated.mp4"

# --- --frames N: only the first N frames --------------------------------------
run "$P" --headless "$SAMPLE" --out "$T/n" --frames 7 --no-hands
check "--frames 7: exit 0" exit_is 0
read -r lines people kp ok <<<"$(jsonl_summary "$T/n/results.jsonl")"
check "--frames 7: 7 JSON lines ($lines)" test "${lines:-0}" -eq 7
check "--frames 7: 7 latency rows" \
    test "$(wc -l <"$T/n/latency.csv")" -eq 8
check "--frames 7: annotated.mp4" test -s "$T/n/annotated.mp4"

# --- a folder of images: independent, named -------------------------------
mkdir "$T/imgs"
for f in hands_two_spread.jpg obama_portrait_pd.jpg; do
    cp "$ROOT/tests/data/media/images/$f" "$T/imgs/"
done
echo "not an image" >"$T/imgs/notes.txt"
n_imgs=2
run "$P" --headless "$T/imgs" --out "$T/f" --pose-model lite
check "folder: exit 0" exit_is 0
read -r lines people kp ok <<<"$(jsonl_summary "$T/f/results.jsonl")"
check "folder: one line per image ($lines of $n_imgs)" \
    test "${lines:-0}" -eq "$n_imgs" -a "$n_imgs" -gt 0
first=$(ls "$T/imgs" | head -1)
check "folder: source is the file name" \
    grep -qF "\"source\":\"$first\"" "$T/f/results.jsonl"
check "folder: annotated PNGs" \
    test -s "$T/f/annotated/hands_two_spread.png" -a \
    -s "$T/f/annotated/obama_portrait_pd.png"
check "folder: two hands in hands_two_spread.jpg" \
    test "$(head -1 "$T/f/results.jsonl" | grep -o '"handedness":' | wc -l)" \
    -eq 2

# --- hand meshes: WiLoR's fields, vertices, .obj files ---------------------
run "$P" --headless "$ROOT/tests/data/media/images/hands_two_spread.jpg" \
    --out "$T/m" --no-pose --mesh-vertices --export-obj
check "meshes: exit 0" exit_is 0
read -r fitted verts <<<"$(node -e '
const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
let fitted = 0, verts = 0;
for (const h of j.hands) {
    const ok = h.mesh_fitted && h.global_orient.length === 1 &&
        h.hand_pose.length === 15 && h.pred_cam.length === 3 &&
        h.world_rot.length === 3 && h.transl.length === 3 &&
        h.pred_keypoints_3d.length === 21 && h.betas.length > 0;
    fitted += ok ? 1 : 0;
    verts += h.pred_vertices ? h.pred_vertices.length : 0;
}
console.log(fitted, verts);' "$T/m/results.jsonl" 2>/dev/null)"
check "meshes: both hands fitted, with WiLoR's fields ($fitted)" \
    test "${fitted:-0}" -eq 2
check "meshes: pred_vertices of the bundled hand ($verts)" \
    test "${verts:-0}" -eq $((2 * 1360))
check "meshes: an .obj per hand" \
    test "$(ls "$T/m/meshes"/hands_two_spread_hand*.obj | wc -l)" -eq 2
check "meshes: .obj has the mesh" \
    test "$(grep -c '^v ' "$T/m/meshes/hands_two_spread_hand1.obj")" -eq 1360
run "$P" --headless "$ROOT/tests/data/media/images/hands_two_spread.jpg" \
    --out "$T/x" --no-pose --mano "$T/nowhere"
check "--mano without files: exit 1" exit_is 1
check "--mano without files: says what is missing" \
    stderr_has "neither MANO_RIGHT.npz nor MANO_LEFT.npz"

# --- SIGINT mid-run ----------------------------------------------------------
"$P" --headless "$SAMPLE" --out "$T/s" >"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 1 600); do
    [ "$(cat "$T/s/results.jsonl" 2>/dev/null | wc -l)" -ge 3 ] && break
    sleep 0.1
done
kill -INT $pid
wait $pid
rc=$?
read -r lines people kp ok <<<"$(jsonl_summary "$T/s/results.jsonl")"
check "SIGINT: exit 1" exit_is 1
check "SIGINT: says it was interrupted" stderr_has "interrupted after"
check "SIGINT: stopped early, every line valid ($lines)" \
    test "${lines:-0}" -ge 3 -a "${lines:-0}" -lt $FRAMES -a "${ok:-0}" -eq 1
check "SIGINT: latency.csv matches" \
    test "$(wc -l <"$T/s/latency.csv")" -eq $((lines + 1))
check "SIGINT: latency.png written" test -s "$T/s/latency.png"
check "SIGINT: annotated.mp4 written" test -s "$T/s/annotated.mp4"

# --- bad sources and usage ---------------------------------------------------
run "$P" --headless "$T/nothing.mp4" --out "$T/x"
check "missing source: exit 2" exit_is 2
check "missing source: one line" stderr_lines 1
check "missing source: names it" \
    stderr_has "posescope: $T/nothing.mp4: No such file or directory"
printf 'not a video\n' >"$T/text.mp4"
run "$P" --headless "$T/text.mp4" --out "$T/x"
check "text as video: exit 2" exit_is 2
check "text as video: one line" stderr_lines 1
run "$P" --headless webcam:7 --out "$T/x"
check "missing webcam: exit 2" exit_is 2
check "missing webcam: names the device" \
    stderr_has "posescope: webcam:7: /dev/video7: "
run "$P" --headless "$SAMPLE"
check "no --out: usage, exit 2" exit_is 2
check "no --out: says so" stderr_has "needs --out DIR"
run "$P" --headless "$SAMPLE" --out "$T/x" --detector-stride 0
check "bad stride: exit 2" exit_is 2
check "bad stride: says why" stderr_has "--detector-stride: '0'"
run "$P" --headless "$SAMPLE" --out "$T/x" --pose-model huge
check "bad model size: exit 2" exit_is 2

finish
