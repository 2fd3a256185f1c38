/**
 * Source maps (v3) for packages: decoding TSTL's map, composing it through the packager's rewrites, encoding
 * the `.lua.map` that ships, and answering "which TypeScript line is Lua line N" for error messages.
 * Lines and columns are 0-based inside this module, as in the v3 format; `originalPosition` speaks 1-based
 * lines because that is what Lua errors and editors use.
 */

export interface SourceMapV3 {
  version: 3;
  file?: string;
  sourceRoot?: string;
  sources: string[];
  names: string[];
  mappings: string;
}

/** One mapping: generated column → source index, source line, source column (all 0-based). */
export interface Segment {
  column: number;
  source: number;
  sourceLine: number;
  sourceColumn: number;
}

/** A decoded map: one sorted segment list per generated line. */
export interface DecodedMap {
  sources: string[];
  lines: Segment[][];
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64_VALUE = new Map([...BASE64].map((c, i) => [c, i]));

function decodeVlqField(text: string, start: number): [value: number, next: number] {
  let result = 0;
  let shift = 0;
  let i = start;
  for (;;) {
    const digit = BASE64_VALUE.get(text[i++]);
    if (digit === undefined) throw new Error(`invalid source map: bad VLQ digit at ${i - 1}`);
    result += (digit & 31) * 2 ** shift;
    shift += 5;
    if ((digit & 32) === 0) break;
  }
  const negative = result % 2 === 1;
  const magnitude = Math.floor(result / 2);
  return [negative ? -magnitude : magnitude, i];
}

function encodeVlq(value: number): string {
  let vlq = value < 0 ? -value * 2 + 1 : value * 2;
  let out = "";
  do {
    let digit = vlq & 31;
    vlq = Math.floor(vlq / 32);
    if (vlq > 0) digit |= 32;
    out += BASE64[digit];
  } while (vlq > 0);
  return out;
}

export function decodeMap(map: SourceMapV3): DecodedMap {
  const lines: Segment[][] = [];
  let source = 0;
  let sourceLine = 0;
  let sourceColumn = 0;
  for (const lineText of map.mappings.split(";")) {
    const segments: Segment[] = [];
    let column = 0;
    for (const segmentText of lineText.split(",")) {
      if (segmentText === "") continue;
      const fields: number[] = [];
      let i = 0;
      while (i < segmentText.length) {
        const [value, next] = decodeVlqField(segmentText, i);
        fields.push(value);
        i = next;
      }
      column += fields[0];
      if (fields.length >= 4) {
        source += fields[1];
        sourceLine += fields[2];
        sourceColumn += fields[3];
        segments.push({ column, source, sourceLine, sourceColumn });
      }
    }
    segments.sort((a, b) => a.column - b.column);
    lines.push(segments);
  }
  return { sources: [...map.sources], lines };
}

export function encodeMap(decoded: DecodedMap, file: string): SourceMapV3 {
  let previousSource = 0;
  let previousLine = 0;
  let previousColumn = 0;
  const lineTexts = decoded.lines.map((segments) => {
    let previousGenerated = 0;
    return segments
      .map((s) => {
        const text =
          encodeVlq(s.column - previousGenerated) +
          encodeVlq(s.source - previousSource) +
          encodeVlq(s.sourceLine - previousLine) +
          encodeVlq(s.sourceColumn - previousColumn);
        previousGenerated = s.column;
        previousSource = s.source;
        previousLine = s.sourceLine;
        previousColumn = s.sourceColumn;
        return text;
      })
      .join(",");
  });
  return { version: 3, file, sources: decoded.sources, names: [], mappings: lineTexts.join(";") };
}

/** The segment covering (line, column): the last one at or before the column on that line. */
export function lookup(decoded: DecodedMap, line: number, column: number): Segment | undefined {
  const segments = decoded.lines[line];
  if (!segments || segments.length === 0) return undefined;
  let found: Segment | undefined;
  for (const s of segments) {
    if (s.column > column) break;
    found = s;
  }
  return found ?? segments[0];
}

/**
 * Re-express `outer` (generated → intermediate) in terms of `inner` (intermediate → original): each outer
 * segment is looked up in the inner map; segments that land on unmapped intermediate code are dropped.
 */
export function compose(outer: DecodedMap, inner: DecodedMap): DecodedMap {
  const lines = outer.lines.map((segments) =>
    segments.flatMap((s) => {
      const target = lookup(inner, s.sourceLine, s.sourceColumn);
      return target ? [{ ...target, column: s.column }] : [];
    }),
  );
  return { sources: inner.sources, lines };
}

export interface OriginalPosition {
  source: string;
  /** 1-based line in the source. */
  line: number;
  /** 1-based column in the source. */
  column: number;
}

/** Where a 1-based generated Lua line (and optional 1-based column) came from in the TypeScript. */
export function originalPosition(
  map: SourceMapV3 | DecodedMap,
  luaLine: number,
  luaColumn = 1,
): OriginalPosition | undefined {
  const decoded = "mappings" in map ? decodeMap(map) : map;
  const segment = lookup(decoded, luaLine - 1, luaColumn - 1);
  if (!segment) return undefined;
  return {
    source: decoded.sources[segment.source],
    line: segment.sourceLine + 1,
    column: segment.sourceColumn + 1,
  };
}
