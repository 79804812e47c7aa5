#!/usr/bin/env bash
# The demo: headspa's built-in head, its anatomy, and a sample client screened and
# personalised for the Japanese head spa. Everything is written to OUT.
set -euo pipefail
headspa=${1:?usage: demo.sh HEADSPA OUT}
out=${2:?usage: demo.sh HEADSPA OUT}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"

echo "== The built-in head (female, 50th percentile)"
"$headspa" head default --sex f --percentile 50 -o "$out/default_head.obj"
"$headspa" head inspect "$out/default_head.obj" --units m --json > "$out/default_head.json"
"$headspa" head export "$out/default_head.obj" --units m -o "$out/default_head_regions.glb"
"$headspa" head inspect "$out/default_head.obj" --units m | sed -n '1,12p'

echo "== Screening and personalising the sample client for the Japanese head spa"
"$headspa" screen --intake "$root/examples/demo-client.yaml" --protocol japanese-head-spa \
  | tee "$out/screening.txt"
"$headspa" home-care --intake "$root/examples/demo-client.yaml" > "$out/home-care.txt"

echo "demo: head, anatomy (JSON), region map (GLB), screening and at-home care in $out/"
