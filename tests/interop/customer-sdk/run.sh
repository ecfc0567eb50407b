#!/bin/sh
# The @livechat/customer-sdk 4.0.2 interop suite: run.sh <path-to-lc>
# Installs the pinned packages (package-lock.json) into ./node_modules, quietly, then runs the
# driver against its own `lc mock`. Exit 0 only when the failures are exactly the expected ones.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 <path-to-lc>" >&2; exit 2; }
lc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")"
if ! out=$(npm ci --no-audit --no-fund --loglevel=error 2>&1); then
  echo "$out" >&2
  echo "npm ci failed" >&2
  exit 1
fi
exec node driver.js "$lc"
