#!/usr/bin/env bash
# Installs what LungLens needs on Debian 12 with Node 20 — only what is missing, so a second run
# does nothing: the Debian packages of scripts/debian-packages.txt, the npm packages (npm ci, when
# package.json or package-lock.json changed since the last one) and the build (when a source
# changed since the last one; skipped with --no-build).
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
[ "${1:-}" = "--no-build" ] && build=0

say() { printf 'setup: %s\n' "$*" >&2; }

# Node 20.19 or later (package.json "engines").
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null; then
  say "LungLens needs Node.js 20.19 or later (found: $(node --version 2>/dev/null || echo none))."
  exit 1
fi

# Debian packages.
missing=()
while read -r pkg; do
  [ -n "$pkg" ] || continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' scripts/debian-packages.txt)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null; then as_root=(sudo); else
      say "run as root, or install them first: apt-get install -y --no-install-recommends ${missing[*]}"
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages. Electron's binary and onnxruntime's CUDA libraries are separate downloads from
# outside the npm registry: npm 11 skips their install scripts (package.json "allowScripts"); the
# variables do the same for npm 10, which Node 20 ships with. (Playwright downloads no browser
# at install time; the e2e tests use Debian's chromium.)
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ package.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci)"
  ELECTRON_SKIP_BINARY_DOWNLOAD=1 ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
fi

# The build (dist/): again only when something it is made from changed.
if [ "$build" = 1 ]; then
  stamp=dist/.built
  if [ ! -f "$stamp" ] || [ -n "$(find src scripts/build-wasm.mjs package-lock.json tsconfig.json tsconfig.build.json vite.config.ts -newer "$stamp" -print -quit)" ]; then
    say "building (npm run build)"
    npm run build --silent
    touch "$stamp"
  fi
fi
