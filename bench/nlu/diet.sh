#!/usr/bin/env bash
# Rasa's own DIET pipeline on the same splits, as the anchor for our NLU figures.
#   bench/nlu/diet.sh DATASET_DIR EPOCHS OUT_DIR
# DATASET_DIR holds train.yml and test.yml (from `firstline nlu convert`). Runs in .venv-rasa.
# A model already trained in OUT_DIR is reused (DIET takes ~1 min/epoch here) only if it was trained
# with the same number of epochs: the count is stored next to it in models/epochs (or, for runs from
# before that file existed, read from timing.json). Rasa's default is 100 epochs.
set -euo pipefail
data=$1; epochs=$2; out=$3
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"
stamp="$out/models/epochs"
if [[ -f "$out/models/diet.tar.gz" ]]; then
  trained=""
  if [[ -f "$stamp" ]]; then
    trained=$(cat "$stamp")
  elif [[ -f "$out/timing.json" ]]; then
    trained=$("$root/.venv/bin/python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["epochs"])' \
      "$out/timing.json")
  fi
  if [[ "$trained" != "$epochs" || ! -f "$out/train_seconds" ]]; then
    echo "error: $out/models/diet.tar.gz was trained with ${trained:-an unknown number of} epochs, not $epochs;" \
      "remove $out/models or choose another OUT_DIR" >&2
    exit 1
  fi
fi
cat > "$out/config.yml" <<CFG
recipe: default.v1
language: en
assistant_id: diet-bench
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: $epochs
    constrain_similarities: true
policies: []
CFG
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1 PYTHONWARNINGS=ignore
if [[ -f "$out/models/diet.tar.gz" ]]; then
  train_seconds=$(cat "$out/train_seconds")
  echo "reusing $out/models/diet.tar.gz ($epochs epochs)"
else
  start=$(date +%s)
  "$root/.venv-rasa/bin/rasa" train nlu --config "$out/config.yml" --nlu "$data/train.yml" --out "$out/models" \
    --fixed-model-name diet > "$out/train.log" 2>&1
  train_seconds=$(( $(date +%s) - start ))
  echo "$train_seconds" > "$out/train_seconds"
  echo "$epochs" > "$stamp"
fi
mid=$(date +%s)
"$root/.venv-rasa/bin/rasa" test nlu --model "$out/models/diet.tar.gz" --nlu "$data/test.yml" --out "$out/results" \
  --successes --no-plot > "$out/test.log" 2>&1
end=$(date +%s)
echo "{\"train_seconds\": $train_seconds, \"test_seconds\": $((end-mid)), \"epochs\": $epochs}" > "$out/timing.json"
echo "DIET done: $out"
