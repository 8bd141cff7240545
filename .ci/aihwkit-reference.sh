#!/usr/bin/env bash
# Provides the aihwkit 1.1.0 reference interpreter that tests/parity compares against and
# prints its path on stdout (everything else goes to stderr).
#
# The interpreter lives in a virtualenv OUTSIDE the work tree, in a cache folder that CI
# keeps between runs:  ${AIHWKIT_REF_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/aihwkit-reference}
# A cached venv that imports aihwkit's compiled extension is reused as is (seconds). Otherwise
# it is (re)built: aihwkit 1.1.0 ships binary wheels for CPython 3.11 and its extension is
# compiled against torch 2.10, so the venv pins torch==2.10.0 (a large download, once).
# Any failure exits non-zero with a message: CI must stop, not skip the parity tests.
set -euo pipefail

venv="${AIHWKIT_REF_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/aihwkit-reference}"
python="$venv/bin/python"

usable() {
  [ -x "$python" ] && "$python" -c "import aihwkit.simulator.rpu_base" >/dev/null 2>&1
}

if usable; then
  echo "aihwkit reference: reusing $venv" >&2
  echo "$python"
  exit 0
fi

fail() {
  echo "aihwkit reference: $1 (venv $venv)" >&2
  exit 1
}

echo "aihwkit reference: building $venv (first run downloads torch 2.10)" >&2
rm -rf "$venv"
python3.11 -m venv "$venv" 2>/dev/null || python3 -m venv "$venv" || fail "cannot create the venv"
"$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
  || fail "aihwkit 1.1.0 wheels need CPython 3.11, the venv has $("$python" -V 2>&1)"
"$python" -m pip install -q --upgrade pip >&2 || fail "pip upgrade failed"
"$python" -m pip install -q torch==2.10.0 numpy scipy tqdm requests protobuf scikit-learn >&2 \
  || fail "installing torch 2.10 and aihwkit's dependencies failed"
wheels="$(mktemp -d)"
trap 'rm -rf "$wheels"' EXIT
"$python" -m pip download -q --no-deps --only-binary=:all: aihwkit==1.1.0 -d "$wheels" >&2 \
  || fail "downloading the aihwkit 1.1.0 wheel failed"
"$python" -m pip install -q --no-deps "$wheels"/aihwkit-1.1.0-*.whl >&2 \
  || fail "installing the aihwkit wheel failed"
usable || fail "the new venv cannot import aihwkit.simulator.rpu_base"
echo "$python"
