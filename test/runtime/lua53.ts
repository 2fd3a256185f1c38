/** Debian's `lua5.3` (64-bit integers, like the kernel's Lua) as the reference the emulator is held to. */
import { execFileSync } from "node:child_process";

export const LUA53 = process.env.LUA53 ?? "lua5.3";

/** Runs `code` in native Lua 5.3 and returns what it writes to stdout. */
export function runNative(code: string): string {
  try {
    return execFileSync(LUA53, ["-"], { input: code, encoding: "utf8", timeout: 20_000 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === "ENOENT") throw new Error(`${LUA53} is needed as the 64-bit reference: apt-get install -y lua5.3`);
    throw new Error(`${LUA53} failed: ${err.stderr ?? err.message}`);
  }
}

/** Lua source of a function rendering a value as `<math.type or type> <tostring>`, e.g. `integer 5`. */
export const RENDER = `local function render(ok, r)
  if not ok then return "error" end
  return (math.type(r) or type(r)) .. " " .. tostring(r)
end`;
