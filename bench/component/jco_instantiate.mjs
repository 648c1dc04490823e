// The peer of bench/component/instantiate.cpp: how long Node (V8) with jco's bindings takes to
// instantiate the same component, as a Node host making a fresh instance per request does
// (jco serve --isolate-requests instance). The component is transpiled by `jco transpile
// --instantiation async` beforehand; its core modules are compiled once here, so each
// iteration is only instantiate() with the preview2-shim's WASI.
// Usage: node jco_instantiate.mjs TRANSPILED_DIR NAME [ITERATIONS]
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [dir, name, iterations = "50"] = process.argv.slice(2);
const root = resolve(process.env.CIRRUS_NODE_MODULES ?? "node_modules");
const require = createRequire(join(root, "@bytecodealliance/jco/package.json"));
const shim = (sub) => import(pathToFileURL(require.resolve(`@bytecodealliance/preview2-shim/${sub}`)).href);
const [cli, clocks, filesystem, http, io, random] = await Promise.all(
  ["cli", "clocks", "filesystem", "http", "io", "random"].map(shim));
const imports = {
  "wasi:cli/environment": cli.environment, "wasi:cli/exit": cli.exit,
  "wasi:cli/stderr": cli.stderr, "wasi:cli/stdin": cli.stdin, "wasi:cli/stdout": cli.stdout,
  "wasi:cli/terminal-input": cli.terminalInput, "wasi:cli/terminal-output": cli.terminalOutput,
  "wasi:cli/terminal-stderr": cli.terminalStderr, "wasi:cli/terminal-stdin": cli.terminalStdin,
  "wasi:cli/terminal-stdout": cli.terminalStdout,
  "wasi:clocks/monotonic-clock": clocks.monotonicClock, "wasi:clocks/wall-clock": clocks.wallClock,
  "wasi:filesystem/preopens": filesystem.preopens, "wasi:filesystem/types": filesystem.types,
  "wasi:http/outgoing-handler": http.outgoingHandler, "wasi:http/types": http.types,
  "wasi:io/error": io.error, "wasi:io/poll": io.poll, "wasi:io/streams": io.streams,
  "wasi:random/random": random.random,
};

const modules = new Map();
const getCoreModule = async (file) => {
  if (!modules.has(file)) modules.set(file, await WebAssembly.compile(await readFile(join(dir, file))));
  return modules.get(file);
};
const { instantiate } = await import(pathToFileURL(resolve(dir, `${name}.js`)).href);

await instantiate(getCoreModule, imports); // compiles the core modules
const times = [];
for (let i = 0; i < Number(iterations); i++) {
  const start = process.hrtime.bigint();
  await instantiate(getCoreModule, imports);
  times.push(Number(process.hrtime.bigint() - start) / 1000);
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({ name, iterations: times.length, median_us: times[times.length >> 1],
                             min_us: times[0] }));
