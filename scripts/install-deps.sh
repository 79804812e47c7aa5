#!/usr/bin/env bash
# Installs every Debian package headspa needs to build, test and benchmark.
# Safe to run again: apt-get skips what is already installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  clang clang-format clang-tidy libclang-rt-14-dev
  libeigen3-dev
  libsuitesparse-dev libopenblas0-pthread libopenblas-pthread-dev
  libembree-dev libtbb-dev
  libassimp-dev
  libcgal-dev libgmp-dev libmpfr-dev
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev
  libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libopencv-dev
  libmujoco-dev
  libsqlite3-dev sqlite3 libpqxx-dev postgresql
  libcpp-httplib-dev
  zlib1g-dev
  chromium
)
# Node.js and npm for the web page: Debian's, unless the machine already has them.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

root=$(cd "$(dirname "$0")/.." && pwd)

# The web page's packages (three.js, the bundler, playwright-core) come from the npm registry,
# pinned by web/package-lock.json. playwright-core never downloads a browser: it drives Debian's
# chromium.
install_web() {
  if [ -f "$root/web/package-lock.json" ]; then
    if [ ! -d "$root/web/node_modules" ] || [ "$root/web/package-lock.json" -nt "$root/web/node_modules" ]; then
      echo "install-deps: npm ci in web/"
      (cd "$root/web" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
      touch "$root/web/node_modules"
    fi
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  install_web
  exit 0
fi

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
install_web
