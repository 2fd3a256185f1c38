export * from "./client.js";
export * from "./protocol.js";
