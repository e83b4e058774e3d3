#!/usr/bin/env bash
# Create ./.venv with Python 3.12 and install Isaac Lab 3.0 (kit-less, Newton) + this extension (+ test tools).
# Python: $PYTHON if set, else python3.12 on PATH, else a pyenv 3.12. Re-running reuses the venv.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.12 "$HOME"/.pyenv/versions/3.12*/bin/python; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if [ ! -x .venv/bin/python ]; then
  py=$(find_python) || { echo "error: Isaac Lab 3.0 needs Python 3.12: install it or set PYTHON=/path/to/python3.12" >&2; exit 2; }
  "$py" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# isaaclab==3.0.0 (pinned in extension.toml) brings torch 2.11, warp, newton, rsl-rl-lib 5.5.1, hydra: ~8 GB, ~3 min
.venv/bin/python -m pip install --quiet -e ".[test]"
.venv/bin/python -c "import isaaclab, isaaclab_distill.tasks; print('installed isaaclab', isaaclab.__version__ if hasattr(isaaclab, '__version__') else '3.0.0')"
