#!/usr/bin/env bash
# posescope vs ONNX Runtime vs TensorFlow Lite: times the ten MediaPipe models in all three,
# same model file, same input, 1 and 2 threads, interleaved rounds. See bench/README.md.
#
#   bench/compare.sh [--build DIR] [--bin PATH] [--work DIR] [--rounds 4] [--runs 40] [--warmup 10]
#                    [--heavy-runs 20] [--heavy-warmup 5] [--threads 1,2] [--only a,b]
#                    [--retry-noisy 2] [--wait-quiet SECONDS] [--wait-total 600] [--no-posescope]
#                    [--setup-only] [--out bench/out]
#
# Prepares the tools (a writable copy of ../shared/tools/{tflite2onnx,tflite-oracle} under
# BUILD/bench-tools with `npm ci`, Debian python3-onnx/python3-numpy, the ONNX conversions,
# the inputs), then runs bench/compare.js, which prints the table and writes
# bench/out/compare.json and bench/out/compare.md.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BUILD="$ROOT/build"
WORK=""
BIN="${POSESCOPE_BIN:-}"
SETUP_ONLY=0
PASS=()

while [ $# -gt 0 ]; do
  case "$1" in
    --build) mkdir -p "$2"; BUILD="$(cd "$2" && pwd)"; shift 2 ;;
    --bin) BIN="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    --setup-only) SETUP_ONLY=1; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --no-posescope) PASS+=("$1"); shift ;;
    --rounds|--runs|--warmup|--heavy-runs|--heavy-warmup|--threads|--only|--wait-quiet|--wait-total|--retry-noisy|--out)
      [ $# -ge 2 ] || { echo "compare.sh: $1 needs a value" >&2; exit 2; }
      PASS+=("$1" "$2"); shift 2 ;;
    *) echo "compare.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$WORK" ] || WORK="$BUILD/bench-tools"
[ -n "$BIN" ] || BIN="$BUILD/posescope"
SHARED_TOOLS="${POSESCOPE_SHARED_TOOLS:-$ROOT/../shared/tools}"
PY=/usr/bin/python3
MODELS_LIST="pose_detection pose_landmark_lite pose_landmark_full pose_landmark_heavy palm_detection_lite
palm_detection_full hand_landmark_lite hand_landmark_full selfie_segmentation selfie_segmentation_landscape"

log() { printf 'compare.sh: %s\n' "$*" >&2; }
die() { printf 'compare.sh: error: %s\n' "$*" >&2; exit 1; }

command -v node >/dev/null && command -v npm >/dev/null || die "node >= 18 and npm are required (apt-get install -y nodejs npm)"
node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)' || die "node >= 18 is required"

# --- Debian python3-onnx / python3-numpy (the converter uses no PyPI package) ------------------
if ! "$PY" -c 'import onnx, numpy' 2>/dev/null; then
  log "installing python3-onnx python3-numpy (apt-get)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-onnx python3-numpy >/dev/null
  "$PY" -c 'import onnx, numpy' || die "$PY cannot import onnx/numpy"
fi

# --- writable copies of the shared tools (shared/ is read-only in CI) -------------------------
mkdir -p "$WORK"
sync_tool() {   # $1 = tool folder name; copies the sources, keeps node_modules, npm ci on lock change
  local src="$SHARED_TOOLS/$1" dst="$WORK/$1"
  [ -d "$src" ] || die "missing $src (set POSESCOPE_SHARED_TOOLS to the shared/tools folder)"
  mkdir -p "$dst"
  local f
  for f in "$src"/* "$src"/.npmrc; do
    [ -e "$f" ] || continue
    case "$(basename "$f")" in node_modules|out|models|golden) continue ;; esac
    rm -rf "$dst/$(basename "$f")"
    cp -R "$f" "$dst/"
  done
  chmod -R u+w "$dst"
  local want have=""
  want="$(sha256sum "$dst/package-lock.json" | cut -d' ' -f1)"
  [ -f "$dst/node_modules/.posescope-lock" ] && have="$(cat "$dst/node_modules/.posescope-lock")"
  if [ "$want" != "$have" ]; then
    log "npm ci in $dst"
    (cd "$dst" && npm ci --no-audit --no-fund --loglevel=error >&2)
    echo "$want" > "$dst/node_modules/.posescope-lock"
  fi
}
sync_tool tflite2onnx
sync_tool tflite-oracle

# --- models: $POSESCOPE_MODELS, else $XDG_CACHE_HOME/posescope/models, else ~/.cache/... ------
if [ -n "${POSESCOPE_MODELS:-}" ]; then MODELS="$POSESCOPE_MODELS"
elif [ -n "${XDG_CACHE_HOME:-}" ]; then MODELS="$XDG_CACHE_HOME/posescope/models"
else MODELS="$HOME/.cache/posescope/models"; fi
missing=""
for m in $MODELS_LIST; do [ -f "$MODELS/$m.tflite" ] || missing="$missing $m"; done
if [ -n "$missing" ]; then
  log "models missing from $MODELS:$missing; fetching them into $WORK/models with tflite-oracle/get_models.js"
  MODELS="$WORK/models"
  (cd "$WORK/tflite-oracle" && node get_models.js --dest "$MODELS" >&2)
fi

# --- ONNX conversions (redone when a model or the converter changes) ---------------------------
stamp="$( (cd "$MODELS" && sha256sum $(for m in $MODELS_LIST; do echo "$m.tflite"; done);
          cd "$WORK/tflite2onnx" && sha256sum convert.py tflite_reader.py) | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$WORK/onnx/.stamp" 2>/dev/null || true)" != "$stamp" ]; then
  log "converting the models to ONNX into $WORK/onnx"
  rm -rf "$WORK/onnx"
  (cd "$WORK/tflite2onnx" && "$PY" convert.py --all "$MODELS" "$WORK/onnx" >/dev/null)
  echo "$stamp" > "$WORK/onnx/.stamp"
fi

# --- inputs: the oracle's deterministic image, as committed in tests/data/golden ----------------
# (bit-identical to `oracle.js gen-input`; generated with it when the copy is absent)
mkdir -p "$WORK/inputs"
gen_spec() {   # shape and range MediaPipe feeds each model (tools/tflite-oracle/make_golden.js)
  case "$1" in
    pose_detection) echo "1,224,224,3 -1,1" ;;
    pose_landmark_*|selfie_segmentation) echo "1,256,256,3 0,1" ;;
    palm_detection_*) echo "1,192,192,3 0,1" ;;
    hand_landmark_*) echo "1,224,224,3 0,1" ;;
    selfie_segmentation_landscape) echo "1,144,256,3 0,1" ;;
  esac
}
for m in $MODELS_LIST; do
  dst="$WORK/inputs/$m/input.npy"
  mkdir -p "$(dirname "$dst")"
  if [ -f "$ROOT/tests/data/golden/$m/input.npy" ]; then
    cmp -s "$ROOT/tests/data/golden/$m/input.npy" "$dst" 2>/dev/null || cp "$ROOT/tests/data/golden/$m/input.npy" "$dst"
  elif [ ! -f "$dst" ]; then
    set -- $(gen_spec "$m")
    (cd "$WORK/tflite-oracle" && node oracle.js gen-input --shape "$1" --range "$2" --out "$dst" >/dev/null)
  fi
done

log "tools ready in $WORK; models $MODELS"
[ "$SETUP_ONLY" = 1 ] && exit 0

exec node "$HERE/compare.js" --work "$WORK" --models "$MODELS" --inputs "$WORK/inputs" --bin "$BIN" "${PASS[@]}"
