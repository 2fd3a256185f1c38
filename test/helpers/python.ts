/**
 * Debian's Python for the reference parsers the tests compare with (dnspython, h11): `/usr/bin/python3`, where
 * the python3-* packages install, not whatever python3 comes first on PATH. One process per corpus: JSON in on
 * stdin, JSON out on stdout, both UTF-8 whatever the locale.
 */
import { execFile } from "node:child_process";

export function runPython<T>(script: string, input: unknown, pkg: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = execFile("/usr/bin/python3", ["-c", script], { maxBuffer: 1 << 28, env: { ...process.env, PYTHONIOENCODING: "utf-8" } }, (err, stdout, stderr) =>
      err ? reject(new Error(`${pkg} (apt-get install ${pkg}) failed: ${stderr || err.message}`)) : resolve(JSON.parse(stdout) as T),
    );
    child.stdin!.end(JSON.stringify(input));
  });
}

/** An A or AAAA RRset as dnspython reads it from a zone file: owner (lower case, final dot, labels unescaped), type, TTL, rdata in hex. */
export interface ZoneSet {
  name: string;
  type: number;
  ttl: number;
  rdata: string[];
}

const ZONES = `
import json, sys
import dns.zone, dns.rdatatype
out = []
for text in json.load(sys.stdin):
    try:
        z = dns.zone.from_text(text, relativize=False, check_origin=False)
    except Exception:
        out.append(None)
        continue
    sets = []
    for name, node in z.nodes.items():
        for rds in node.rdatasets:
            if rds.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                # Labels as bytes, unescaped: the compiler's names are not in presentation form.
                text = "".join(l.decode("latin1") + "." for l in name.labels[:-1]) or "."
                sets.append({"name": text.lower(), "type": int(rds.rdtype), "ttl": rds.ttl,
                             "rdata": sorted(rd.to_wire().hex() for rd in rds)})
    out.append(sets)
json.dump(out, sys.stdout)
`;

/** dnspython's reading of each zone file: its A and AAAA RRsets; null when it refuses the file. */
export const dnspythonZones = (zones: string[]) => runPython<(ZoneSet[] | null)[]>(ZONES, zones, "python3-dnspython");
