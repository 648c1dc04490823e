#!/usr/bin/env bash
# Installs everything cirrus needs to build and test on Debian 12, from Debian's packages only.
# Safe to run again: packages already present are skipped.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  clang-19 lld-19 libclang-rt-19-dev wasi-libc wabt
  libclang-rt-19-dev-wasm32
  libgtest-dev libgmock-dev libbenchmark-dev
  libfmt-dev libcli11-dev nlohmann-json3-dev
  libboost1.81-dev libssl-dev libspdlog-dev libyaml-cpp-dev llvm-19-dev
  libsqlite3-dev libhiredis-dev libnats-dev libpq-dev
  redis-server nats-server postgresql
  rustc libstd-rust-dev-wasm32
  wrk curl python3
  nodejs
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Debian's own nodejs package comes without npm (NodeSource's includes it): add Debian's npm
# only when there is none.
if ! command -v npm >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm
fi

# Guest tooling from npm (jco, to turn component text into binaries and wrap core modules as
# components), pinned by the committed lock file. Re-installed only when the lock file is newer
# than the installed tree.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -f "$root/package-lock.json" ]; then
  stamp="$root/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$root/package-lock.json" -nt "$stamp" ]; then
    (cd "$root" && npm ci --no-audit --no-fund)
  fi
fi
