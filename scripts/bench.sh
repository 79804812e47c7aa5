#!/usr/bin/env bash
# Runs every benchmark program and prints its figures.
set -euo pipefail
build=${1:-build}
shopt -s nullglob
ran=0
for b in "$build"/bench/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b"
  ran=1
done
[ "$ran" -eq 1 ] || { echo "bench: no benchmark programs in $build/bench" >&2; exit 1; }
