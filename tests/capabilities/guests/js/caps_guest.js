// The capability test guest in JavaScript (componentize-js): the same command line and the
// same output as caps_guest.c, so one test can hold both to the same expectations.
//   log LEVEL CONTEXT MESSAGE | config KEY... |
//   kv BUCKET OP ARGS...  (set K V | get K | del K | exists K | incr K D | list | fill N |
//                          getmany N K... | setmany N K V... | delmany N K... )
import { getArguments } from "wasi:cli/environment@0.2.12";
import { log } from "wasi:logging/logging@0.1.0-draft";
import { get as configGet, getAll as configGetAll } from "wasi:config/store@0.2.0-draft";
import { open } from "wasi:keyvalue/store@0.2.0-draft";
import { increment } from "wasi:keyvalue/atomics@0.2.0-draft";
import { getMany, setMany, deleteMany } from "wasi:keyvalue/batch@0.2.0-draft";

const levels = ["trace", "debug", "info", "warn", "error", "critical"];
const enc = new TextEncoder();
const dec = new TextDecoder();
const out = [];
const print = (line) => out.push(line);

// A result's err case arrives as an exception whose payload is the WIT error value.
function failed(what, e) {
  const p = e.payload ?? e;
  if (p.tag === "other") print(`${what}: error other: ${p.val}`);
  else if (p.tag) print(`${what}: error ${p.tag}`);
  else throw e;
}

function tryDo(what, f) {
  try {
    f();
  } catch (e) {
    failed(what, e);
  }
}

function listAll(bucket) {
  const keys = [];
  let pages = 0;
  let cursor = undefined;
  do {
    const r = bucket.listKeys(cursor);
    pages++;
    keys.push(...r.keys);
    cursor = r.cursor;
  } while (cursor !== undefined);
  keys.sort();
  const shown = keys.slice(0, 8).map((k) => " " + k).join("");
  print(`list: ${keys.length} keys in ${pages} pages:${shown}${keys.length > 8 ? " ..." : ""}`);
}

function kv(args) {
  let bucket;
  try {
    bucket = open(args[0]);
  } catch (e) {
    failed("open", e);
    return;
  }
  for (let i = 1; i < args.length; i++) {
    const op = args[i];
    const k = args[i + 1] ?? "";
    if (op === "set") {
      tryDo("set", () => {
        bucket.set(k, enc.encode(args[i + 2]));
        print(`set ${k}: ok`);
      });
      i += 2;
    } else if (op === "get") {
      tryDo("get", () => {
        const v = bucket.get(k);
        print(`get ${k}: ${v === undefined ? "none" : dec.decode(v)}`);
      });
      i++;
    } else if (op === "del") {
      tryDo("del", () => {
        bucket.delete(k);
        print(`del ${k}: ok`);
      });
      i++;
    } else if (op === "exists") {
      tryDo("exists", () => print(`exists ${k}: ${bucket.exists(k) ? "yes" : "no"}`));
      i++;
    } else if (op === "incr") {
      tryDo("incr", () => print(`incr ${k}: ${increment(bucket, k, BigInt(args[i + 2]))}`));
      i += 2;
    } else if (op === "list") {
      tryDo("list", () => listAll(bucket));
    } else if (op === "fill") {
      const n = Number(k);
      const pairs = [];
      for (let j = 0; j < n; j++) {
        const d = String(j).padStart(5, "0");
        pairs.push([`k${d}`, enc.encode(`v${d}`)]);
      }
      tryDo("fill", () => {
        setMany(bucket, pairs);
        print(`fill ${n}: ok`);
      });
      i++;
    } else if (op === "getmany" || op === "delmany") {
      const n = Number(k);
      const keys = args.slice(i + 2, i + 2 + n);
      if (op === "getmany") {
        tryDo("getmany", () => {
          const vs = getMany(bucket, keys);
          print("getmany:" + vs.map((v) => (v ? ` ${v[0]}=${dec.decode(v[1])}` : " none")).join(""));
        });
      } else {
        tryDo("delmany", () => {
          deleteMany(bucket, keys);
          print(`delmany ${n}: ok`);
        });
      }
      i += 1 + n;
    } else if (op === "setmany") {
      const n = Number(k);
      const pairs = [];
      for (let j = 0; j < n; j++) pairs.push([args[i + 2 + 2 * j], enc.encode(args[i + 3 + 2 * j])]);
      tryDo("setmany", () => {
        setMany(bucket, pairs);
        print(`setmany ${n}: ok`);
      });
      i += 1 + 2 * n;
    } else {
      print(`unknown op ${op}`);
      return;
    }
  }
}

function main(args) {
  const mode = args[0];
  if (mode === "log") {
    log(levels[Number(args[1])], args[2], args[3]);
    print("logged");
  } else if (mode === "config") {
    for (const key of args.slice(1)) {
      const v = configGet(key);
      print(`get ${key}: ${v === undefined ? "none" : v}`);
    }
    const all = configGetAll();
    print(`get-all: ${all.length}`);
    for (const [k, v] of all) print(`  ${k}=${v}`);
  } else if (mode === "kv") {
    kv(args.slice(1));
  } else {
    print(`unknown mode ${mode}`);
  }
}

export const run = {
  run() {
    try {
      main(getArguments().slice(1));
    } catch (e) {
      // What went wrong, for the test's message; the run still fails.
      console.error(`caps_guest_js: ${e} ${e.stack ?? ""}`);
      if (out.length) console.log(out.join("\n"));
      throw e;
    }
    // One write at the end: the output is in order whatever console buffering does.
    if (out.length) console.log(out.join("\n"));
  },
};
