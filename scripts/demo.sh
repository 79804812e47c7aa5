#!/usr/bin/env bash
# The demo: `headspa demo` runs a sample client (examples/demo-client.yaml) on the built-in head
# through the Japanese head spa on the twin, keeps the records in OUT/demo/headspa.db and writes
# the report to OUT/demo/report.html. Scalp photographs are added when the third-party test data
# lies beside this checkout (../shared/data); headspa ships none.
set -euo pipefail
headspa=${1:?usage: demo.sh HEADSPA OUT}
out=${2:?usage: demo.sh HEADSPA OUT}
root=$(cd "$(dirname "$0")/.." && pwd)
args=()
photos="$root/../shared/data/scalp/images"
if [[ -f "$photos/D_102.jpg" && -f "$photos/D_139.jpg" ]]; then
  args+=(--scalp "$photos/D_102.jpg" "$photos/D_139.jpg")
fi
status=0
"$headspa" demo -o "$out/demo" "${args[@]}" || status=$?
# 4: the twin session ended early but safely (the report says why). Anything else non-zero is
# a failure: bad input, a refusal, an internal error or a missed safety requirement.
if [[ $status -eq 4 ]]; then
  echo "demo: the session on the twin ended early, safely; see the report for why"
  exit 0
fi
exit "$status"
