// The data test guest in JavaScript (componentize-js): wasi:blobstore, wasmcloud:messaging
// (consumer imported, handler exported), wasmcloud:postgres and wasmcloud:secrets, one component
// for all of them (each componentize-js build costs a minute of CI). As a command, argv[1] picks
// what it does and the results go to stdout, as data_guest.c does (several commands in one run
// are separated by `::`):
//   blob-put C NAME TEXT | blob-get C NAME [START END] | blob-get-sync C NAME |
//   blob-list C PAGE | blob-info C NAME | blob-copy C A D B | blob-move C A D B |
//   blob-delete C NAME | blob-drop C
//   pub SUBJECT BODY [REPLY] | req SUBJECT BODY TIMEOUT
//   sql QUERY [PARAM...] | sql-batch QUERY | sql-prep QUERY [PARAM...]
//     a PARAM is i:N (int8), 4:N (int4), 2:N (int2), f:X (float8), d:X (numeric), t:TEXT,
//     j:JSON (jsonb), b:HEX (bytea), B:0/1 (bool), a:N,N,... (int4-array) or n (null)
//   secret NAME...
// An error value from the host prints as "error: ..." and the run exits 1 at the end.
// As a wasmcloud:messaging handler it answers a message with a reply-to on that subject
// ("js echo: BODY", through the consumer) and keeps it in the blob store; a body "fail" is an
// error result, "spin" never returns. As a wasi:http handler it publishes and shows the last
// message (handleRequest below).
import { getArguments } from "wasi:cli/environment@0.2.12";
import {
  createContainer,
  getContainer,
  deleteContainer,
  containerExists,
  copyObject,
  moveObject,
} from "wasi:blobstore/blobstore@0.2.0-draft";
import { OutgoingValue, IncomingValue } from "wasi:blobstore/types@0.2.0-draft";
import { publish, request } from "wasmcloud:messaging/consumer@0.2.0";
import { query, queryBatch } from "wasmcloud:postgres/query@0.1.1-draft";
import { prepare, exec } from "wasmcloud:postgres/prepared@0.1.1-draft";
import { get as getSecret } from "wasmcloud:secrets/store@0.1.0-draft";
import { reveal } from "wasmcloud:secrets/reveal@0.1.0-draft";

// componentize-js 0.22 emits the JavaScript class of an imported resource only for resources
// that have a constructor, method or static function; wasmcloud:secrets' `resource secret;` has
// none, so the binding of `get` refers to a class that was never defined and throws a
// ReferenceError. The bindings run in a global of their own (the initializer's, not this
// module's): define the class there, reached through the Function constructor of that realm.
const bindingsGlobal = getSecret.constructor("return this")();
bindingsGlobal["import_store_0_1_0_draft$Secret"] ??= class Secret {};

const enc = new TextEncoder();
const dec = new TextDecoder();
const out = [];
const print = (line) => out.push(line);

// An err result arrives as an exception carrying the WIT error value as its payload.
class Failed extends Error {}
function attempt(what, f) {
  try {
    return f();
  } catch (e) {
    if (e instanceof Failed || e.payload === undefined) throw e;
    throw new Failed(`${what}: ${describeError(e.payload)}`);
  }
}
function describeError(p) {
  if (typeof p === "string") return p;
  if (p.tag === "query-error") return `query-error ${describeError(p.val)}`;
  if (p.val === undefined) return p.tag;
  return `${p.tag}: ${typeof p.val === "string" ? p.val : describeError(p.val)}`;
}

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
function unhex(text) {
  const b = new Uint8Array(text.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(text.substr(2 * i, 2), 16);
  return b;
}

// ---------------------------------------------------------------- wasi:blobstore

function openContainer(name, create) {
  if (create && !attempt("container", () => containerExists(name))) {
    return attempt("container", () => createContainer(name));
  }
  return attempt("container", () => getContainer(name));
}

function blobPut([c, name, text]) {
  const container = openContainer(c, true);
  const value = OutgoingValue.newOutgoingValue();
  const body = attempt("write body", () => value.outgoingValueWriteBody());
  const bytes = enc.encode(text);
  // In pieces, as a streaming writer would.
  for (let done = 0; done < bytes.length; done += 4) {
    attempt("write", () => body.blockingWriteAndFlush(bytes.subarray(done, done + 4)));
  }
  attempt("write-data", () => container.writeData(name, value));
  attempt("finish", () => OutgoingValue.finish(value));
  print(`stored ${bytes.length}`);
}

function blobGet([c, name, start, end], sync) {
  const container = openContainer(c, false);
  const from = start === undefined ? 0n : BigInt(start);
  const to = end === undefined ? 0xffffffffffffffffn : BigInt(end);
  const value = attempt("get-data", () => container.getData(name, from, to));
  print(`size ${value.size()}`);
  if (sync) {
    const data = attempt("consume-sync", () => IncomingValue.incomingValueConsumeSync(value));
    print(`data ${dec.decode(data)}`);
    return;
  }
  const stream = attempt("consume-async", () => IncomingValue.incomingValueConsumeAsync(value));
  const chunks = [];
  for (;;) {
    try {
      chunks.push(dec.decode(stream.blockingRead(3n), { stream: true }));
    } catch (e) {
      if (e.payload?.tag === "closed") break;
      throw new Failed("read failed");
    }
  }
  print(`data ${chunks.join("")}`);
}

function blobList([c, page]) {
  const names = attempt("list-objects", () => openContainer(c, false).listObjects());
  for (;;) {
    const [list, end] = attempt("read-stream-object-names", () =>
      names.readStreamObjectNames(BigInt(page)),
    );
    print(["page", ...list].join(" "));
    if (end) break;
  }
}

function blobInfo([c, name]) {
  const info = attempt("object-info", () => openContainer(c, false).objectInfo(name));
  print(`info ${info.name} in ${info.container} size ${info.size}`);
}

function blobCopy([c, a, d, b], move) {
  const what = move ? "move-object" : "copy-object";
  const src = { container: c, object: a };
  const dest = { container: d, object: b };
  attempt(what, () => (move ? moveObject : copyObject)(src, dest));
  print(move ? "moved" : "copied");
}

function blobDelete([c, name]) {
  const container = openContainer(c, false);
  attempt("delete-object", () => container.deleteObject(name));
  print(`deleted, has-object ${attempt("has-object", () => container.hasObject(name)) ? 1 : 0}`);
}

function blobDrop([c]) {
  attempt("delete-container", () => deleteContainer(c));
  print(`dropped, exists ${attempt("container-exists", () => containerExists(c)) ? 1 : 0}`);
}

// ---------------------------------------------------------------- wasmcloud:messaging

function pub([subject, body, reply]) {
  attempt("publish", () => publish({ subject, body: enc.encode(body), replyTo: reply }));
  print("published");
}

function req([subject, body, timeout]) {
  const r = attempt("request", () => request(subject, enc.encode(body), Number(timeout)));
  print(`reply on ${r.subject}: ${dec.decode(r.body)}`);
}

// ---------------------------------------------------------------- wasmcloud:postgres

function param(spec) {
  const v = spec.slice(2);
  switch (spec[0]) {
    case "i": return { tag: "int8", val: BigInt(v) };
    case "4": return { tag: "int4", val: Number(v) };
    case "2": return { tag: "int2", val: Number(v) };
    case "f": return { tag: "float8", val: toHashableF64(Number(v)) };
    case "d": return { tag: "numeric", val: v };
    case "t": return { tag: "text", val: v };
    case "j": return { tag: "jsonb", val: v };
    case "b": return { tag: "bytea", val: unhex(v) };
    case "B": return { tag: "bool", val: v === "1" };
    case "a": return { tag: "int4-array", val: v.split(",").map(Number) };
    default: return { tag: "null" };
  }
}

// hashable-f64 is (mantissa, exponent, sign) with value sign * mantissa * 2^exponent.
function toHashableF64(x) {
  if (x === 0) return [0n, 0, 1];
  const sign = x < 0 ? -1 : 1;
  let m = Math.abs(x);
  let e = 0;
  while (!Number.isInteger(m)) {
    m *= 2;
    e--;
  }
  return [BigInt(m), e, sign];
}
const fromHashableF64 = ([m, e, sign]) => sign * Number(m) * 2 ** e;

function showValue(v) {
  switch (v.tag) {
    case "null": return "null";
    case "float8":
    case "float4":
    case "double":
    case "real": return `${v.tag}:${fromHashableF64(v.val)}`;
    case "bytea": return `bytea:${hex(v.val)}`;
    case "date": return v.val.tag === "ymd" ? `date:${v.val.val.join("-")}` : `date:${v.val.tag}`;
  }
  if (Array.isArray(v.val) || ArrayBuffer.isView(v.val)) return `${v.tag}:[${v.val.join(",")}]`;
  if (v.val === undefined || typeof v.val === "object") return v.tag;
  return `${v.tag}:${v.val}`;
}

function sql([text, ...params]) {
  const rows = attempt("query", () => query(text, params.map(param)));
  print(`rows ${rows.length}`);
  for (const row of rows) print(row.map((e) => `${e.columnName}=${showValue(e.value)}`).join(" "));
}

function sqlBatch([text]) {
  attempt("query-batch", () => queryBatch(text));
  print("batch ok");
}

function sqlPrep([text, ...params]) {
  const token = attempt("prepare", () => prepare(text));
  print(`affected ${attempt("exec", () => exec(token, params.map(param)))}`);
}

// ---------------------------------------------------------------- wasmcloud:secrets

function secrets(names) {
  for (const name of names) {
    try {
      const v = reveal(attempt("get", () => getSecret(name)));
      print(`${name}: ${v.tag} ${v.tag === "string" ? v.val : hex(v.val)}`);
    } catch (e) {
      if (!(e instanceof Failed)) throw e;
      print(`${name}: error ${e.message}`);
    }
  }
}

const modes = {
  "blob-put": blobPut,
  "blob-get": (a) => blobGet(a, false),
  "blob-get-sync": (a) => blobGet(a, true),
  "blob-list": blobList,
  "blob-info": blobInfo,
  "blob-copy": (a) => blobCopy(a, false),
  "blob-move": (a) => blobCopy(a, true),
  "blob-delete": blobDelete,
  "blob-drop": blobDrop,
  pub,
  req,
  sql,
  "sql-batch": sqlBatch,
  "sql-prep": sqlPrep,
  secret: secrets,
};

export const run = {
  run() {
    // Several commands in one run, separated by `::` (one start of the JavaScript engine).
    const commands = [[]];
    for (const a of getArguments().slice(1)) {
      if (a === "::") commands.push([]);
      else commands[commands.length - 1].push(a);
    }
    let failed = false;
    for (const [mode, ...args] of commands) {
      try {
        if (!modes[mode]) throw new Failed(`unknown mode ${mode}`);
        modes[mode](args);
      } catch (e) {
        if (!(e instanceof Failed)) {
          console.error(`data_guest_js: ${e} ${e.stack ?? ""}`);
          if (out.length) console.log(out.join("\n"));
          throw e;
        }
        print(`error: ${e.message}`);
        failed = true;
      }
    }
    // One write at the end: the output is in order whatever console buffering does.
    if (out.length) console.log(out.join("\n"));
    // wasi:cli/run's result: an error is exit status 1.
    if (failed) throw new Error("failed");
  },
};

// The last message handled is kept in the blob store (container "inbox", object "last") as
// "SUBJECT: BODY", which GET /last answers with: a component exporting both handlers, served by
// `cirrus serve`, shows that both run and share the backends.
function storeLast(text) {
  const c = containerExists("inbox") ? getContainer("inbox") : createContainer("inbox");
  const value = OutgoingValue.newOutgoingValue();
  value.outgoingValueWriteBody().blockingWriteAndFlush(enc.encode(text));
  c.writeData("last", value);
  OutgoingValue.finish(value);
}

export const handler = {
  handleMessage(msg) {
    const body = dec.decode(msg.body);
    if (body === "fail") throw "asked to fail";
    // Never returns: for the host's --timeout.
    if (body === "spin") for (;;);
    if (msg.replyTo !== undefined) {
      publish({ subject: msg.replyTo, body: enc.encode(`js echo: ${body}`), replyTo: undefined });
    }
    storeLast(`${msg.subject}: ${body}`);
  },
};

// wasi:http/incoming-handler (the fetch event):
//   POST /publish/SUBJECT   publishes the request body on SUBJECT through the consumer
//   GET  /last              the last message handled (see storeLast), 404 before the first
async function handleRequest(request) {
  const path = new URL(request.url).pathname;
  if (request.method === "POST" && path.startsWith("/publish/")) {
    const body = new Uint8Array(await request.arrayBuffer());
    try {
      publish({ subject: path.slice("/publish/".length), body, replyTo: undefined });
    } catch (e) {
      return new Response(`error: ${describeError(e.payload ?? String(e))}\n`, { status: 400 });
    }
    return new Response("published\n");
  }
  if (request.method === "GET" && path === "/last") {
    try {
      const value = getContainer("inbox").getData("last", 0n, 0xffffffffffffffffn);
      return new Response(IncomingValue.incomingValueConsumeSync(value));
    } catch {
      return new Response("nothing yet\n", { status: 404 });
    }
  }
  return new Response("not found\n", { status: 404 });
}

addEventListener("fetch", (event) => event.respondWith(handleRequest(event.request)));
