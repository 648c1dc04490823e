// Embeds a WIT world into a core module (like `jco embed`), for the C test guests.
// `jco embed` 1.35 gives its wasm-tools no filesystem preopens, so it cannot read the WIT
// folder; this opens `/` first and then calls the same componentEmbed.
// Usage: node jco_embed.mjs WIT_DIR WORLD CORE.wasm OUT.wasm
import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const [witDir, world, input, output] = process.argv.slice(2);
const root = resolve(process.env.CIRRUS_NODE_MODULES ?? "node_modules");
const require = createRequire(resolve(root, "@bytecodealliance/jco-transpile/package.json"));
const transpileDir = resolve(root, "@bytecodealliance/jco-transpile");
// The shim instance the vendored wasm-tools uses is the one resolved from jco-transpile.
const shimPath = createRequire(resolve(transpileDir, "vendor/wasm-tools.js")).resolve(
  "@bytecodealliance/preview2-shim/filesystem");
const shim = await import(pathToFileURL(shimPath).href);
shim._setPreopens({ "/": "/" });
const tools = await import(pathToFileURL(require.resolve("@bytecodealliance/jco-transpile/wasm-tools")).href);
const binary = await readFile(input);
const out = await tools.componentEmbed({ binary, witPath: resolve(witDir), world });
await writeFile(output, out);
