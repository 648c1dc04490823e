// A wasi:http/proxy handler written in JavaScript (componentize-js, fetch event). It answers
//   GET  /          200 "hello from JavaScript\n"
//   POST /echo      200 with the request body; header x-echo is echoed back
//   GET  /fetch     makes an outgoing GET request to the URL in header x-fetch-url, or else in
//                   environment variable FETCH_URL, and answers "fetched STATUS: BODY"
//   anything else   404
// and sets header x-echo on every response when the request had one.
import { getEnvironment } from "wasi:cli/environment@0.2.12";

function env(name) {
  for (const [key, value] of getEnvironment()) if (key === name) return value;
  return undefined;
}

async function handle(request) {
  const url = new URL(request.url);
  const headers = new Headers({ "content-type": "text/plain" });
  const echo = request.headers.get("x-echo");
  if (echo !== null) headers.set("x-echo", echo);

  if (request.method === "GET" && url.pathname === "/") {
    return new Response("hello from JavaScript\n", { headers });
  }
  if (request.method === "POST" && url.pathname === "/echo") {
    const body = await request.arrayBuffer();
    return new Response(body, { headers });
  }
  if (request.method === "GET" && url.pathname === "/fetch") {
    const target = request.headers.get("x-fetch-url") ?? env("FETCH_URL");
    if (!target) return new Response("no x-fetch-url header or FETCH_URL\n", { status: 400, headers });
    try {
      const upstream = await fetch(target);
      const text = await upstream.text();
      return new Response(`fetched ${upstream.status}: ${text}`, { headers });
    } catch (e) {
      return new Response(`fetch failed: ${e}\n`, { status: 502, headers });
    }
  }
  return new Response("not found\n", { status: 404, headers });
}

addEventListener("fetch", (event) => event.respondWith(handle(event.request)));
