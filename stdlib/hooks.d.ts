/**
 * The entry functions kscript hooks implement, one per target. A hook's entry module exports the function
 * under the entry's name (`callback`, `recv`, `process`); the kernel calls it.
 * @module
 */
import type { Data } from "./data";
import type { Action } from "./xdp";

/**
 * `xdp` target: called for every packet arriving on the interface, with a view of the whole frame
 * (Ethernet header first) and an optional argument set when attaching. Returns the packet's fate.
 */
export type XdpCallback = (this: void, pkt: Data, arg?: Data) => Action;

/**
 * `tls` target: called with the decrypted bytes of one `recv` on a kTLS socket. Return code 0 to pass the
 * data through to the application; any other code makes that recv fail, and user space then reads the
 * code and the file with getsockopt(SOL_TLS, TLS_LUA_CODE / TLS_LUA_FILE).
 */
export type TlsRecv = (this: void, msg: string) => LuaMultiReturn<[code: number, file?: string]>;

/**
 * `sock` target: called with a view of the request waiting in the socket's receive queue. Truthy lets the
 * application receive it; falsy makes the recv fail with ECONNREFUSED.
 */
export type SockProcess = (this: void, buf: Data) => boolean;
