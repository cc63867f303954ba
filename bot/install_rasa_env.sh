#!/usr/bin/env bash
# Creates the Rasa environment (default .venv-rasa) from bot/requirements-rasa.lock.
#
# Rasa Open Source 3.6 supports Python 3.8-3.10. We use such an interpreter when the
# machine has one (PATH or pyenv) and install the lock with --no-deps, which is fast
# and exactly reproducible. Without one, we follow the verified Python 3.11 recipe
# (see ../shared/DESIGN.md and bot/constraints-rasa-py311.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${1:-.venv-rasa}"

find_python() {
  for candidate in python3.10 python3.9 python3.8; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "import sys" >/dev/null 2>&1; then
      command -v "$candidate"; return 0
    fi
  done
  for dir in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10.* "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.9.* "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.8.*; do
    if [ -x "$dir/bin/python" ]; then echo "$dir/bin/python"; return 0; fi
  done
  return 1
}

rm -rf "$VENV"
if PYTHON="$(find_python)"; then
  echo "==> Rasa environment: $("$PYTHON" --version) from the lock file (about 2 minutes)"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade "pip<25" wheel
  "$VENV/bin/pip" install --quiet --no-deps -r bot/requirements-rasa.lock
else
  echo "==> Rasa environment: no Python 3.8-3.10 found; using the Python 3.11 recipe (about 5 minutes)"
  python3.11 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade "pip<25" wheel
  # Rasa declares Python <3.11 but runs on 3.11; install it without its metadata check,
  # then its requirements under constraints that have 3.11 wheels.
  "$VENV/bin/pip" install --quiet --ignore-requires-python --no-deps rasa==3.6.21 rasa-sdk==3.6.2
  "$VENV/bin/pip" install --quiet -r bot/rasa-py311-requirements.txt -c bot/constraints-rasa-py311.txt
fi
"$VENV/bin/rasa" --version >/dev/null 2>&1 || { echo "Rasa does not start in $VENV" >&2; exit 1; }
echo "==> Rasa environment ready in $VENV"
