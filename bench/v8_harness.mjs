// The V8 column: instantiates one kernel's .wasm in Node.js and times `run(n)`.
//
//   node [--no-liftoff | --liftoff-only] v8_harness.mjs <kernel.wasm> [n|-] [reps] [warmup]
//
// run_kernels.sh passes --no-liftoff, so every function is compiled by TurboFan (V8's
// optimising tier), and --liftoff-only for the baseline-compiler column (--no-wasm-tier-up
// alone does not stop Node 20's dynamic tier-up). Node 20 compiles wasm functions lazily, at
// their first call, so `warmup` calls (default 1) run before the timed ones: neither that
// compilation nor a tier-up falls inside a timed call (and compile_ms is only the module's
// decoding). Prints the runner line described in timing.h (i64 results arrive as BigInt).
import { readFileSync } from 'node:fs';

const [path, nArg, repsArg, warmupArg] = process.argv.slice(2);
if (!path) {
  console.error('usage: node v8_harness.mjs <kernel.wasm> [n] [reps] [warmup]');
  process.exit(2);
}
const reps = Math.max(1, Number(repsArg ?? 5));
const warmup = Math.max(0, Number(warmupArg ?? 1));
const msSince = (start) => Number(process.hrtime.bigint() - start) / 1e6;

const bytes = readFileSync(path);
let start = process.hrtime.bigint();
const module = await WebAssembly.compile(bytes);
const compileMs = msSince(start);
start = process.hrtime.bigint();
const instance = await WebAssembly.instantiate(module, {});
const instantiateMs = msSince(start);
const { run, bench_n: benchN } = instance.exports;
const n = nArg === undefined || nArg === '' || nArg === '-' ? benchN() : Number(nArg);

// Checksums are non-negative i64 (see kernels/kernel.h), so BigInt prints them as native does.
let checksum;
for (let i = 0; i < warmup; ++i) checksum = BigInt(run(n));
// Wall time, and the process's CPU time (user + system), which other processes on a busy
// machine cannot inflate; V8's helper threads are idle here (everything is compiled before
// the first call and the kernels allocate nothing), so it is close to the main thread's.
const times = [];
const cpuTimes = [];
for (let i = 0; i < reps; ++i) {
  const cpuStart = process.cpuUsage();
  start = process.hrtime.bigint();
  const result = BigInt(run(n));
  times.push(msSince(start));
  const cpu = process.cpuUsage(cpuStart);
  cpuTimes.push((cpu.user + cpu.system) / 1000);
  if (checksum !== undefined && result !== checksum) {
    console.error(`v8_harness: run(${n}) gave ${checksum}, then ${result}`);
    process.exit(1);
  }
  checksum = result;
}
const min = (xs) => Math.min(...xs);
const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const list = (xs) => xs.map((t) => t.toFixed(3)).join(',');
console.log(
  `checksum=${checksum} n=${n} reps=${reps} min_ms=${min(times).toFixed(3)} ` +
    `median_ms=${median(times).toFixed(3)} cpu_min_ms=${min(cpuTimes).toFixed(3)} ` +
    `cpu_median_ms=${median(cpuTimes).toFixed(3)} all_ms=${list(times)} ` +
    `all_cpu_ms=${list(cpuTimes)} compile_ms=${compileMs.toFixed(3)} ` +
    `instantiate_ms=${instantiateMs.toFixed(3)}`,
);
