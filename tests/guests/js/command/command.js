// A wasi:cli/command written in JavaScript (componentize-js). It prints a greeting, its
// arguments and the environment variables it was given (sorted, so the output is stable),
// works a little (JSON, Map, RegExp, BigInt, string building), says something on stderr, and
// exits with status 1 when one of its arguments is `--fail`. With `--workload` it prints the
// results of workload() instead.
import { getArguments, getEnvironment } from "wasi:cli/environment@0.2.12";
import { exit } from "wasi:cli/exit@0.2.12";

function work(words) {
  const counts = new Map();
  for (const w of words) counts.set(w.length, (counts.get(w.length) ?? 0) + 1);
  const lengths = [...counts.entries()].sort((a, b) => a[0] - b[0]);
  let fact = 1n;
  for (let i = 1n; i <= 25n; i++) fact *= i;
  const digits = "n=12345 m=678".match(/\d+/g).map(Number);
  return JSON.stringify({ lengths, fact: fact.toString(), digits });
}

// A broad workload for the engine beneath SpiderMonkey: numbers, BigInt, strings, RegExp,
// JSON, sorting, collections, typed arrays, classes, generators, exceptions, Date, recursion,
// Proxy. Its output (workload.expected) is what Node 20 (V8) prints for the same function.
function workload() {
  const out = [];
  // numbers & Math
  out.push([Math.sqrt(2), Math.sin(1), Math.pow(2, 0.5), (0.1 + 0.2).toFixed(20), 1e21.toString(), (123.456).toExponential(3), Number.parseFloat("3.14abc"), Math.fround(5.5), Math.clz32(1), Math.imul(0x7fffffff, 3)].join("|"));
  // bigint
  let b = 1n; for (let i = 0; i < 200; i++) b = b * 3n + BigInt(i);
  out.push(b.toString(36).slice(0, 40));
  // strings & regex
  const text = "The quick brown fox jumps over the lazy dog. ".repeat(50);
  out.push(text.replace(/o(\w)/g, (m, c) => c.toUpperCase()).length, text.split(" ").length, /(\w+)\s+dog/.exec(text)[1]);
  out.push(encodeURIComponent("a b&ä"), "abc€".toUpperCase());
  // objects, json, sort
  const arr = []; for (let i = 0; i < 1500; i++) arr.push({ id: i, v: (i * 7919) % 1000, s: "k" + ((i * 31) % 97) });
  arr.sort((a, b) => a.v - b.v || a.id - b.id);
  out.push(JSON.stringify(arr.slice(0, 3)), JSON.parse(JSON.stringify(arr)).length);
  // Map/Set/WeakMap
  const m = new Map(); for (const o of arr) m.set(o.s, (m.get(o.s) || 0) + o.v);
  out.push([...m.entries()].sort().slice(0, 3).join(";"), new Set(arr.map((o) => o.v)).size);
  // typed arrays, DataView
  const f = new Float64Array(1000); for (let i = 0; i < f.length; i++) f[i] = Math.cos(i);
  const dv = new DataView(f.buffer); out.push(dv.getUint32(8, true), f.reduce((a, x) => a + x, 0).toFixed(10));
  const u8 = new Uint8Array(256); for (let i = 0; i < 256; i++) u8[i] = i * 17; out.push(u8.subarray(250).join(","));
  // exceptions, closures, generators, classes
  class A { #x = 1; get x() { return this.#x; } static make() { return new A(); } }
  class B extends A { constructor() { super(); this.y = 2; } }
  function* gen(n) { for (let i = 0; i < n; i++) yield i * i; }
  let caught; try { null.foo; } catch (e) { caught = e.constructor.name + ":" + (e instanceof TypeError); }
  out.push(new B().x + new B().y, [...gen(10)].join(","), caught);
  // Date with fixed time
  const d = new Date(Date.UTC(2020, 1, 29, 12, 34, 56)); out.push(d.toISOString(), d.getUTCDay());
  // deep recursion
  function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); } out.push(fib(17));
  function depth(n) { return n === 0 ? 0 : 1 + depth(n - 1); } out.push(depth(3000));
  // Intl-less number formatting, array methods
  out.push([3, 1, 2].toString(), Array.from({ length: 5 }, (_, i) => i ** 3).join(" "), [1, [2, [3, [4]]]].flat(Infinity).join());
  // Proxy, Reflect, Symbol
  const p = new Proxy({}, { get: (t, k) => (typeof k === "string" ? k.length : 0) }); out.push(p.hello, Reflect.ownKeys({ a: 1, [Symbol.iterator]: 2 }).length);
  // string building big
  let s = ""; for (let i = 0; i < 5000; i++) s += String.fromCharCode(65 + (i % 26)); out.push(s.length, s.lastIndexOf("XYZ"));
  // crypto-ish hash
  let h = 2166136261; for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619) >>> 0; } out.push(h.toString(16));
  return out.join("\n");
}

export const run = {
  run() {
    const args = getArguments();
    if (args.includes("--workload")) {
      console.log(workload());
      return;
    }
    console.log("hello from JavaScript");
    console.log(`argc=${args.length} args=${JSON.stringify(args.slice(1))}`);
    const env = getEnvironment().slice().sort((a, b) => (a[0] < b[0] ? -1 : 1));
    for (const [key, value] of env) console.log(`env ${key}=${value}`);
    console.log(`work ${work(args.slice(1))}`);
    console.error("js-command: a line on stderr");
    if (args.includes("--fail")) {
      console.error("js-command: failing as asked");
      exit({ tag: "err", val: undefined });
    }
  },
};
