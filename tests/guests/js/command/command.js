// A wasi:cli/command written in JavaScript (componentize-js). It prints a greeting, its
// arguments and the environment variables it was given (sorted, so the output is stable),
// works a little (JSON, Map, RegExp, BigInt, string building), says something on stderr, and
// exits with status 1 when one of its arguments is `--fail`.
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

export const run = {
  run() {
    const args = getArguments();
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
