// TypeScript-to-Lua, loaded as the CommonJS module it is (see typescript.cjs): its re-exports would otherwise
// be scanned file by file on every start.
const tstl = require("typescript-to-lua");
module.exports = tstl;
