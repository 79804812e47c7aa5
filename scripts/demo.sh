#!/usr/bin/env bash
# The demo: builds the default head and inspects it, writing the results to OUT.
set -euo pipefail
headspa=${1:?usage: demo.sh HEADSPA OUT}
out=${2:?usage: demo.sh HEADSPA OUT}
mkdir -p "$out"
"$headspa" head default --sex f --percentile 50 -o "$out/default_head.obj"
"$headspa" head inspect "$out/default_head.obj" --units m
"$headspa" head inspect "$out/default_head.obj" --units m --json > "$out/default_head.json"
"$headspa" head export "$out/default_head.obj" --units m -o "$out/default_head_regions.ply"
echo "demo: head, inspection and region map written to $out/"
