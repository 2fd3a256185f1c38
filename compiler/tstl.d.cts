import tstl = require("typescript-to-lua");
export = tstl;
