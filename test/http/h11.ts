/**
 * The second reference: Python's h11 as a server (Debian's python3-h11, so the system's /usr/bin/python3, not
 * whatever python3 comes first on PATH), each input given in one receive and then EOF. One Python process
 * parses every input: a process per input would cost seconds.
 */
import { runPython } from "../helpers/python.js";
import type { ReferenceOutcome } from "./corpus.js";

const SCRIPT = `
import h11, json, sys

def connection(data):
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(data)
    return conn

def asks_keep_alive(request):
    tokens = {t.strip().lower() for name, value in request.headers if name == b"connection" for t in value.split(b",")}
    return request.http_version < b"1.1" and b"keep-alive" in tokens and b"close" not in tokens

def parse(data):
    conn = connection(data)
    outcome = {"messages": [], "end": "ok"}
    eof = False
    try:
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                # Every byte parsed: from here on, an error is EOF inside a request.
                conn.receive_data(b"")
                eof = True
            elif type(event) is h11.Request:
                message = {"method": event.method.decode("latin1"), "url": event.target.decode("latin1"), "bodyLength": 0}
                keep_alive = asks_keep_alive(event)
            elif type(event) is h11.Data:
                message["bodyLength"] += len(event.data)
            elif type(event) is h11.EndOfMessage:
                outcome["messages"].append(message)
                # h11 reads the next request only once this one is answered.
                conn.send(h11.Response(status_code=200, headers=[("content-length", "0")]))
                conn.send(h11.EndOfMessage())
                if conn.our_state is conn.their_state is h11.DONE:
                    conn.start_next_cycle()
                elif keep_alive:
                    # h11 never keeps an HTTP/1.0 connection (RFC 9112 §9.3 leaves that to the server); llhttp does when
                    # asked, and so does a new Connection here, so that h11 judges what follows.
                    conn = connection(conn.trailing_data[0])
            else:
                # ConnectionClosed; or PAUSED, after a CONNECT the 200 accepted: a tunnel, no more HTTP.
                return outcome
    except h11.RemoteProtocolError as e:
        return {**outcome, "end": "incomplete" if eof else "error", "error": str(e)}

json.dump([parse(text.encode("latin1")) for text in json.load(sys.stdin.buffer)], sys.stdout)
`;

/** h11's reading of each input. */
export const h11Outcomes = (inputs: string[]) => runPython<ReferenceOutcome[]>(SCRIPT, inputs, "python3-h11");
