// TypeScript, loaded as the CommonJS module it is. Imported from ES modules directly, Node scans its 9 MB for
// named exports on every start (~0.2 s of each cold build); a value assigned to module.exports is not scanned.
const ts = require("typescript");
module.exports = ts;
