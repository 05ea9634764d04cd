#!/usr/bin/env bash
# Every test, from a fresh clone: installs what is missing (scripts/setup.sh), then runs all the
# checks (scripts/check.sh: typecheck, lint, build, unit, training, e2e) and ends with a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-build # the checks build
exec scripts/check.sh
