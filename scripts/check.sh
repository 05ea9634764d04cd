#!/usr/bin/env bash
# Every check of the project, in order (`npm run check`): typecheck, lint (the layer rules), the
# Electron security scan, the build, unit + integration + component tests, the training package's
# tests, the end-to-end tests. Stops at the first that fails; ends with a summary of each one's
# result and time.
set -uo pipefail
cd "$(dirname "$0")/.."

stages=(typecheck lint lint:electron build test test:py test:e2e)
summary=()
status=0
for stage in "${stages[@]}"; do
  printf '\n== %s ==\n' "$stage"
  start=$SECONDS
  if npm run --silent "$stage"; then
    summary+=("passed  $stage ($((SECONDS - start)) s)")
  else
    summary+=("FAILED  $stage ($((SECONDS - start)) s)")
    status=1
    break
  fi
done
printf '\n== summary ==\n'
printf '%s\n' "${summary[@]}"
for stage in "${stages[@]:${#summary[@]}}"; do printf 'not run %s\n' "$stage"; done
[ "$status" = 0 ] && printf 'all %d checks passed\n' "${#stages[@]}"
exit "$status"
