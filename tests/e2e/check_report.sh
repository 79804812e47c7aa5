#!/usr/bin/env bash
# Opens an HTML page in headless Chromium and fails when the page logs anything to its console
# (console.error, console.warn, console.log, an uncaught exception, a failed load) or when its
# script did not run to the end (the report's <body> then lacks data-ready="yes").
#   check_report.sh PAGE.html    exit 0 clean, 1 console output or not ready, 77 no Chromium
set -uo pipefail
page=${1:?usage: check_report.sh PAGE.html}
browser=${CHROMIUM:-}
for candidate in chromium chromium-browser google-chrome; do
  [[ -n "$browser" ]] && break
  browser=$(command -v "$candidate" || true)
done
if [[ -z "$browser" ]]; then
  echo "skipped: no Chromium found (scripts/install-deps.sh installs it)"
  exit 77
fi
[[ -f "$page" ]] || { echo "no such page: $page"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A copy in an empty folder (so nothing beside the page can be loaded), with a probe that moves
# the pointer over each force chart: the readout must follow it.
cp "$page" "$work/page.html"
cat >>"$work/page.html" <<'PROBE'
<script>
Array.prototype.forEach.call(document.querySelectorAll('svg.chart'), function (svg) {
  var box = svg.getBoundingClientRect();
  svg.dispatchEvent(new MouseEvent('mousemove', {clientX: box.left + box.width / 2,
                                                 clientY: box.top + box.height / 2}));
  var readout = svg.querySelector('.readout');
  if (!readout || readout.textContent.indexOf('t ') !== 0) {
    console.error('probe: the chart readout did not follow the pointer');
  }
});
</script>
PROBE
url="file://$work/page.html"
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --disable-default-apps --no-first-run \
  --user-data-dir="$work/profile" --enable-logging=stderr --v=0 --virtual-time-budget=5000 \
  --dump-dom "$url" >"$work/dom.html" 2>"$work/stderr.txt"
status=$?
if [[ $status -ne 0 ]]; then
  echo "Chromium exited with status $status on $page"
  tail -n 20 "$work/stderr.txt"
  exit 1
fi
# Chromium writes each console message as ...:CONSOLE(line)] "message", source: url (line).
if grep -E ':CONSOLE[:(]' "$work/stderr.txt" >"$work/console.txt"; then
  echo "console output on $page:"
  cat "$work/console.txt"
  exit 1
fi
if ! grep -q 'data-ready="yes"' "$work/dom.html"; then
  echo "the page's script did not run to its end ($page): no data-ready=\"yes\" in the DOM"
  exit 1
fi
echo "clean: $page ($(wc -c <"$work/dom.html") bytes of DOM, no console output)"
