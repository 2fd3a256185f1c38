// UDP to the discard port (9) and to another (10009) over loopback, where the starter hook runs: the first
// is dropped, the second arrives. Datagrams on lo arrive in order, so once the second is in, the first
// would have been.
import dgram from "node:dgram";
const listen = (port) =>
  new Promise((resolve) => {
    const socket = dgram.createSocket("udp4");
    const box = { count: 0 };
    socket.on("message", () => box.count++);
    socket.bind(port, "127.0.0.1", () => resolve(box));
  });
const discard = await listen(9);
const other = await listen(10009);
const tx = dgram.createSocket("udp4");
const send = (port) => new Promise((resolve) => tx.send("kscript", port, "127.0.0.1", resolve));
await send(9);
await send(10009);
while (other.count === 0) await new Promise((resolve) => setTimeout(resolve, 50));
console.log(`port 9: ${discard.count} datagrams, port 10009: ${other.count} datagrams`);
process.exit(0);
