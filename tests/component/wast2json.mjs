// Splits component-model .wast scripts into their commands and encodes each component with
// the wasm-tools text parser that jco bundles (`jco parse` does one file per process; this
// does a whole script in one). Writes one JSON per script: each command with its line, kind,
// the component binary (base64) where there is one, and the text of invoke/expected forms,
// which the C++ runner (wast_test.cpp) interprets knowing the function types.
// Usage: node wast2json.mjs OUT_DIR SCRIPT.wast...
import { readFile, writeFile } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const root = resolve(process.env.CIRRUS_NODE_MODULES ?? "node_modules");
const require = createRequire(resolve(root, "@bytecodealliance/jco-transpile/package.json"));
const tools = await import(
  pathToFileURL(require.resolve("@bytecodealliance/jco-transpile/wasm-tools")).href);
process.env.WAST_STRICT_COMPONENT_INDICES ??= "1";

// Top-level s-expressions of `text` with their line numbers (strings and comments skipped).
function forms(text) {
  const out = [];
  let depth = 0, start = -1, line = 1, startLine = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\n") line++;
    if (c === ";" && text[i + 1] === ";") {
      while (i < text.length && text[i] !== "\n") i++;
      line++;
      continue;
    }
    if (c === "(" && text[i + 1] === ";") {
      let d = 1;
      i += 2;
      while (i < text.length && d > 0) {
        if (text[i] === "\n") line++;
        if (text[i] === "(" && text[i + 1] === ";") { d++; i++; }
        else if (text[i] === ";" && text[i + 1] === ")") { d--; i++; }
        i++;
      }
      i--;
      continue;
    }
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') { if (text[i] === "\\") i++; i++; }
      continue;
    }
    if (c === "(") { if (depth === 0) { start = i; startLine = line; } depth++; }
    if (c === ")") { depth--; if (depth === 0) out.push({ text: text.slice(start, i + 1), line: startLine }); }
  }
  return out;
}

// The first nested form of `form` (after its head keyword).
function firstChild(form) {
  const inner = forms(form.text.slice(1, -1));
  return inner.length ? inner[0] : null;
}

function head(text) {
  return text.slice(1).trimStart().split(/[\s()]/)[0];
}

async function encode(text) {
  try {
    return { ok: true, binary: Buffer.from(await tools.parse(text)).toString("base64") };
  } catch (e) {
    return { ok: false, error: String(e.message ?? e).split("\n")[0] };
  }
}

const [outDir, ...scripts] = process.argv.slice(2);
for (const script of scripts) {
  const text = (await readFile(script)).toString();
  const commands = [];
  for (const f of forms(text)) {
    const h = head(f.text);
    const cmd = { line: f.line, kind: h };
    if (h === "component") {
      const words = f.text.slice(1).trim().split(/[\s()]+/);
      if (words[1] === "definition") {
        // (component definition $X ...): compiled now, instantiated by `component instance`.
        cmd.kind = "definition";
        cmd.name = words[2];
        Object.assign(cmd, await encode(f.text.replace(/^\(\s*component\s+definition/, "(component")));
      } else if (words[1] === "instance") {
        cmd.kind = "instance";
        cmd.name = words[2];
        cmd.of = words[3];
      } else {
        Object.assign(cmd, await encode(f.text));
      }
    } else if (h === "assert_invalid" || h === "assert_malformed" || h === "assert_unlinkable" ||
               h === "assert_trap" || h === "assert_return") {
      const child = firstChild(f);
      const rest = f.text.slice(f.text.indexOf(child.text) + child.text.length, -1).trim();
      cmd.message = rest.startsWith('"') ? JSON.parse(rest.match(/^"(?:[^"\\]|\\.)*"/)[0]
          .replace(/\\([0-9a-fA-F]{2})/g, "\\u00$1")) : "";
      if (head(child.text) === "invoke") {
        cmd.invoke = child.text;
        cmd.expected = forms(rest).map((x) => x.text);
      } else if (head(child.text) === "component") {
        if (/^\(\s*component\s+(\$\S+\s+)?quote/.test(child.text)) cmd.kind = "unsupported";
        else Object.assign(cmd, await encode(child.text));
        cmd.kind = cmd.kind === "unsupported" ? "unsupported" : h;
      } else {
        cmd.kind = "unsupported";
      }
    } else if (h === "invoke") {
      cmd.invoke = f.text;
      cmd.expected = [];
    } else {
      cmd.kind = "unsupported";
    }
    commands.push(cmd);
  }
  const name = script.split("/").slice(-2).join("_").replace(/\.wast$/, ".json");
  await writeFile(resolve(outDir, name), JSON.stringify({ script, commands }, null, 1));
}
