// Preloaded with `node --import` before `jco componentize` (see CirrusJsComponent.cmake).
// Two gaps in the jco 1.35 tooling as installed from our lock file, closed without touching
// node_modules:
// * jco's WIT-reading steps run wasm-tools on the preview2 shim, which opens no directory
//   unless told to: grant `/` so the WIT folder can be read.
// * componentize-js's splicer imports `@bytecodealliance/preview2-shim`, which npm installs
//   only nested under the packages that declare it: resolve that name to jco-transpile's copy,
//   the same module instance whose preopens are granted here.
// CIRRUS_NODE_MODULES names the node_modules folder (default: ./node_modules).
import { realpathSync } from "node:fs";
import { register } from "node:module";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

// Real path: Node loads modules by real path, and a second instance would not be granted.
const root = realpathSync(resolve(process.env.CIRRUS_NODE_MODULES ?? "node_modules"));
const shimDir = resolve(root, "@bytecodealliance/jco-transpile/node_modules/@bytecodealliance/preview2-shim");
const shimUrl = pathToFileURL(shimDir).href;

const hook = `
const name = "@bytecodealliance/preview2-shim";
export async function resolve(specifier, context, next) {
  if (specifier === name || specifier.startsWith(name + "/")) {
    const sub = specifier.slice(name.length) || "/index";
    return { url: ${JSON.stringify(shimUrl)} + "/dist/nodejs" + sub + ".js", shortCircuit: true };
  }
  return next(specifier, context);
}`;
register("data:text/javascript," + encodeURIComponent(hook));

const fs = await import(`${shimUrl}/dist/nodejs/filesystem.js`);
fs._setPreopens({ "/": "/" });
