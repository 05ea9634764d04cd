#!/usr/bin/env bash
# The main job, from a fresh clone: installs what is missing (scripts/setup.sh), then writes six
# phantom chest CTs (first run), batch-scans them with the bundled model and compares the verdicts
# with the phantoms' truth. Extra arguments go to `lunglens demo` (e.g. --out DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec node bin/lunglens.js demo "$@"
