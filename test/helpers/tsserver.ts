/** A tsserver process driven over its protocol, as editors drive it (for the tests). */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";

export interface Location {
  line: number;
  offset: number;
}
export interface ServerDiagnostic {
  start: Location;
  end: Location;
  text: string;
  code: number;
  source?: string;
}
export interface CodeFix {
  description: string;
  changes: { fileName: string; textChanges: { start: Location; end: Location; newText: string }[] }[];
}

/** A tsserver child process: requests go in as JSON lines, responses come back Content-Length framed. */
export class TsServer {
  private readonly process: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, (body: unknown) => void>();
  private buffer = Buffer.alloc(0);
  private seq = 0;

  /** `tsserver` is the path of a TypeScript's lib/tsserver.js. */
  constructor(tsserver: string, args: string[]) {
    this.process = spawn(process.execPath, [tsserver, ...args], { stdio: "pipe" });
    this.process.stdout.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      for (;;) {
        const header = this.buffer.indexOf("\r\n\r\n");
        if (header < 0) return;
        const length = Number(/Content-Length: (\d+)/.exec(this.buffer.subarray(0, header).toString())![1]);
        if (this.buffer.length < header + 4 + length) return;
        const message = JSON.parse(this.buffer.subarray(header + 4, header + 4 + length).toString()) as {
          type: string;
          request_seq: number;
          success: boolean;
          message?: string;
          body?: unknown;
        };
        this.buffer = this.buffer.subarray(header + 4 + length);
        if (message.type !== "response") continue;
        if (!message.success) throw new Error(`tsserver: ${message.message}`);
        this.pending.get(message.request_seq)?.(message.body);
      }
    });
  }

  request<T>(command: string, args: object): Promise<T> {
    const seq = ++this.seq;
    const answer = new Promise<T>((resolve) => this.pending.set(seq, resolve as (body: unknown) => void));
    this.process.stdin.write(JSON.stringify({ seq, type: "request", command, arguments: args }) + "\n");
    return answer;
  }

  close(): void {
    this.process.kill();
  }
}
