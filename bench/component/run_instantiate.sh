#!/usr/bin/env bash
# Instantiation of the JS HTTP component (tests/guests/js/http, ~14 MB) per fresh instance:
# cirrus (component_instantiate, Google Benchmark) against Node + jco (jco_instantiate.mjs) in
# one run, and the ratio. Usage: bench/component/run_instantiate.sh [BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build/release}"
component="$build/guests/js_http.wasm"
transpiled="$build/bench/component/js_http.jco"

"$build/bench/component/component_instantiate" --benchmark_format=json \
  --benchmark_filter='js_http' > "$build/bench/component/instantiate.json"
if [ ! -f "$transpiled/js_http.js" ] || [ "$component" -nt "$transpiled/js_http.js" ]; then
  "$root/node_modules/.bin/jco" transpile "$component" --instantiation async -q -o "$transpiled"
fi
CIRRUS_NODE_MODULES="$root/node_modules" node --no-warnings "$root/bench/component/jco_instantiate.mjs" \
  "$transpiled" js_http 50 > "$build/bench/component/jco_instantiate.json"

node -e '
const fs = require("fs");
const c = JSON.parse(fs.readFileSync(process.argv[1]));
const j = JSON.parse(fs.readFileSync(process.argv[2]));
const scale = (b) => ({ns: 1e-3, us: 1, ms: 1e3}[b.time_unit]);
const us = (b) => b.real_time * scale(b);
const cpu = (b) => b.cpu_time * scale(b);
const row = (n) => c.benchmarks.find((b) => b.name === n || b.name.startsWith(n + "/"));
const fmt = (x) => x >= 1000 ? (x / 1000).toFixed(1) + " ms" : x.toFixed(1) + " us";
console.log("js_http.wasm (componentize-js, StarlingMonkey)".padEnd(37) + "wall".padStart(12) + "cpu".padStart(12));
for (const n of ["Compile/js_http", "InstancePre/js_http", "InstantiateFresh/js_http",
                 "Instantiate/js_http", "InstantiatePre/js_http"]) {
  const b = row(n);
  if (b) console.log("  cirrus " + n.padEnd(28) + fmt(us(b)).padStart(12) + fmt(cpu(b)).padStart(12));
}
console.log("  node+jco instantiate (median)".padEnd(37) + fmt(j.median_us).padStart(12));
const pre = us(row("InstantiatePre/js_http"));
console.log("  node+jco / cirrus InstantiatePre (wall): " + (j.median_us / pre).toFixed(0) + "x");
' "$build/bench/component/instantiate.json" "$build/bench/component/jco_instantiate.json"
