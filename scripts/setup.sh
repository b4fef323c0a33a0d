#!/usr/bin/env bash
# Set up both environments; does nothing when nothing changed since the last run.
#   .venv       Python 3.11: the app (FastAPI, NLU, knowledge base, actions)
#   .venv-rasa  Python 3.10: Rasa 3.6.21 (dialogue only)
# Interpreters: APP_PYTHON / RASA_PYTHON, else python3.11 / python3.10 on PATH, else pyenv.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp_dir=var/.setup
mkdir -p "$stamp_dir"

find_python() {  # $1 = version like 3.10, $2 = override variable value
  local want=$1 override=$2 cand
  if [ -n "$override" ]; then
    [ -x "$(command -v "$override" 2>/dev/null)" ] || { echo "setup: $override (from the setting) is not an executable" >&2; return 1; }
    "$override" -c "import sys; assert sys.version_info[:2] == tuple(map(int, '$want'.split('.')))" 2>/dev/null \
      || { echo "setup: $override (from the setting) is not Python $want" >&2; return 1; }
    echo "$override"; return 0
  fi
  for cand in "python$want" "$(pyenv root 2>/dev/null)/versions/$want"*/bin/python"$want" "$HOME/.pyenv/versions/$want"*/bin/python"$want"; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c "import sys; assert sys.version_info[:2] == tuple(map(int, '$want'.split('.')))" 2>/dev/null; then
      command -v "$cand"; return 0
    fi
  done
  return 1
}

hash_of() { cat "$@" | sha256sum | cut -c1-16; }

app_python=$(find_python 3.11 "${APP_PYTHON:-}") || {
  echo "setup: no Python 3.11 found. Install it (e.g. 'pyenv install 3.11') or set APP_PYTHON=/path/to/python3.11." >&2
  exit 1; }
rasa_python=$(find_python 3.10 "${RASA_PYTHON:-}") || {
  echo "setup: no Python 3.10 found; Rasa 3.6.21 needs Python 3.10 (it does not run on 3.11)." >&2
  echo "       Install it (e.g. 'pyenv install 3.10') or set RASA_PYTHON=/path/to/python3.10." >&2
  exit 1; }

app_hash=$(hash_of pyproject.toml requirements/app.lock)
if [ "$(cat $stamp_dir/app 2>/dev/null)" != "$app_hash" ] || [ ! -x .venv/bin/firstline ]; then
  echo "setup: installing the app environment (.venv, $("$app_python" --version))"
  [ -x .venv/bin/python ] || "$app_python" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  # torch==2.13.0 is pinned: the CPU build; an unpinned torch pulls several GB of CUDA packages.
  .venv/bin/python -m pip install -q -c requirements/app.lock -e '.[dev]'
  echo "$app_hash" > $stamp_dir/app
fi

rasa_hash=$(hash_of bot/requirements-rasa.txt bot/constraints-rasa.txt)
if [ "$(cat $stamp_dir/rasa 2>/dev/null)" != "$rasa_hash" ] || [ ! -x .venv-rasa/bin/rasa ]; then
  echo "setup: installing the Rasa environment (.venv-rasa, $("$rasa_python" --version)); this takes a few minutes"
  [ -x .venv-rasa/bin/python ] || "$rasa_python" -m venv .venv-rasa
  .venv-rasa/bin/python -m pip install -q --upgrade pip
  .venv-rasa/bin/python -m pip install -q -c bot/constraints-rasa.txt -r bot/requirements-rasa.txt
  echo "$rasa_hash" > $stamp_dir/rasa
fi
