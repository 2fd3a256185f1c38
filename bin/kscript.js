#!/usr/bin/env node
// The CLI runs from the compiled dist/ (shipped in the package; `npm run build` in a checkout). Commands that
// only talk to /dev/kscript take a quick path that loads the device client alone (cli/device.ts).
import { quickMain } from "../dist/cli/device.js";

/**
 * Exits once everything written has reached stdout and stderr: a pipe to a slow reader (`| less`, a CI log)
 * takes output asynchronously, and process.exit would drop what is still queued. A reader that went away
 * (`| head`) ends the wait with EPIPE: nobody is left to read the rest.
 */
function exitWhenFlushed(code) {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error) => process.exit(error.code === "EPIPE" ? code : 2));
    stream.write("", done);
  }
}

function internalError(error) {
  process.stderr.write(`kscript: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
  exitWhenFlushed(2);
}

const argv = process.argv.slice(2);
try {
  const quick = quickMain(argv);
  if (quick !== undefined) exitWhenFlushed(quick);
  else import("../dist/cli/main.js").then(({ main }) => main(argv)).then(exitWhenFlushed, internalError);
} catch (error) {
  internalError(error);
}
