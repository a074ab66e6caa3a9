#!/usr/bin/env bash
# Print the path of a Python interpreter of the requested minor version (e.g. 3.10).
# Order: $KC_PYTHON310 / $KC_PYTHON311 (variable named after the version), pythonX.Y on PATH,
# pyenv's installed versions, /usr/bin and /usr/local/bin. Exits 1 with one clear line if none is found.
set -u
want="${1:?usage: find_python.sh 3.10}"
var="KC_PYTHON${want//./}"
candidates=()
if [ -n "${!var:-}" ]; then
  candidates=("${!var}")   # an explicit choice is used or refused, never silently replaced
else
  command -v "python$want" >/dev/null 2>&1 && candidates+=("$(command -v "python$want")")
  pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
  for dir in $(ls -d "$pyenv_root/versions/$want".* 2>/dev/null | sort -V -r); do
    candidates+=("$dir/bin/python$want")
  done
  candidates+=("/usr/local/bin/python$want" "/usr/bin/python$want")
fi
for py in "${candidates[@]}"; do
  if [ -x "$py" ] && "$py" -c "import sys, venv; sys.exit(0 if '%d.%d' % sys.version_info[:2] == '$want' else 1)" 2>/dev/null; then
    "$py" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
if [ -n "${!var:-}" ]; then
  echo "error: $var=${!var} is not a working Python $want with venv." >&2
else
  echo "error: Python $want not found (looked at python$want on PATH, $pyenv_root/versions, /usr/bin). Install it (e.g. 'pyenv install $want') or set $var=/path/to/python$want." >&2
fi
exit 1
