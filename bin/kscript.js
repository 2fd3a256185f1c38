#!/usr/bin/env node
// The CLI runs from the compiled dist/ (built by `npm install` through the prepare script).
import { main } from "../dist/cli/main.js";

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

main(process.argv.slice(2)).then(exitWhenFlushed, (error) => {
  process.stderr.write(`kscript: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
  exitWhenFlushed(2);
});
