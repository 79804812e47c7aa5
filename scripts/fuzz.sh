#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS from its seed corpus; fails on any finding.
set -euo pipefail
build=$(cd "${1:?usage: fuzz.sh BUILD SECONDS}" && pwd)  # absolute: each run starts in its corpus
seconds=${2:?usage: fuzz.sh BUILD SECONDS}
root=$(cd "$(dirname "$0")/.." && pwd)
shopt -s nullglob
for f in "$build"/fuzz/fuzz_*; do
  [ -x "$f" ] || continue
  name=$(basename "$f")
  work="$root/fuzz/corpus-work/$name"
  mkdir -p "$work"
  seeds="$root/fuzz/corpus/$name"
  echo "== $name for ${seconds}s"
  (cd "$work" && LSAN_OPTIONS="suppressions=$root/fuzz/lsan.supp" "$f" -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=20 \
      -print_final_stats=1 "$work" ${seeds:+$( [ -d "$seeds" ] && echo "$seeds")})
done
