/** The kernel module's generated headers must be what the dialect table makes now. */
import fs from "node:fs";
import path from "node:path";
import { expect, test } from "vitest";
import { GENERATE_COMMAND, generatedHeaders } from "../../common/generate-c.js";
import { packageRoot } from "../../common/paths.js";

test.each([...generatedHeaders()])("%s is up to date with common/dialect.ts", (file, text) => {
  const abs = path.join(packageRoot, file);
  const checkedIn = fs.existsSync(abs) ? fs.readFileSync(abs, "utf8") : "(missing)";
  expect(checkedIn === text, `${file} is stale: run \`${GENERATE_COMMAND}\` and commit the result`).toBe(true);
});
