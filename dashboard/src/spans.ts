// Matched spans of evidence text. The API gives a span as UTF-8 byte offsets
// (`start`, `end`) into the text; JavaScript strings index UTF-16 code units.
// Offsets come from stored JSON, so anything may arrive: out of range,
// reversed, overlapping, inside a character, not numbers at all.

/** A span of text by UTF-8 byte offsets, as the API gives it. */
export interface ByteSpan {
  start: number;
  end: number;
}

/** A piece of the text, marked when a span covers it. */
export interface Piece {
  text: string;
  marked: boolean;
}

/** Bytes one code point takes in UTF-8. */
function utf8Length(codePoint: number): number {
  return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
}

/**
 * The character boundaries of `text`: for each, its UTF-8 byte offset and
 * its string index, ascending, ending with the text's end. A lone surrogate
 * (not valid UTF-16) counts as U+FFFD, three bytes, as encoders write it.
 */
function boundaries(text: string): { bytes: number[]; index: number[] } {
  const bytes: number[] = [];
  const index: number[] = [];
  let b = 0;
  let i = 0;
  while (i < text.length) {
    bytes.push(b);
    index.push(i);
    const cp = text.codePointAt(i) ?? 0;
    const units = cp > 0xffff ? 2 : 1;
    b += cp >= 0xd800 && cp <= 0xdfff ? 3 : utf8Length(cp);
    i += units;
  }
  bytes.push(b);
  index.push(text.length);
  return { bytes, index };
}

/** Position in `bytes` of `byte`, or of the boundary before (`down`) or after (`up`) it. */
function find(bytes: number[], byte: number, round: "down" | "up"): number {
  let lo = 0;
  let hi = bytes.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (bytes[mid] <= byte) lo = mid;
    else hi = mid - 1;
  }
  // bytes[lo] is the last boundary at or before `byte`.
  return round === "up" && bytes[lo] < byte && lo + 1 < bytes.length ? lo + 1 : lo;
}

/**
 * The string index of `text` at UTF-8 byte offset `byte`. An offset inside a
 * character moves to that character's start (`down`, for a span's start) or
 * past its end (`up`, for a span's end); offsets before the text give 0,
 * offsets past it the text's length.
 */
export function byteToIndex(text: string, byte: number, round: "down" | "up" = "down"): number {
  const { bytes, index } = boundaries(text);
  return index[find(bytes, clampByte(byte, bytes[bytes.length - 1]), round)];
}

function clampByte(byte: number, total: number): number {
  return Math.min(Math.max(byte, 0), total);
}

const isOffset = (n: unknown): n is number => typeof n === "number" && Number.isFinite(n);

/**
 * The spans as string ranges `[start, end)` of `text`, ascending, with
 * overlapping ranges merged. Spans that are not numbers, reversed, empty or
 * wholly outside the text are dropped; spans partly outside are cut to it.
 */
export function spanRanges(text: string, spans: readonly ByteSpan[]): [number, number][] {
  const valid = spans.filter((s) => isOffset(s?.start) && isOffset(s?.end) && s.end > s.start);
  if (valid.length === 0 || text.length === 0) return [];
  const { bytes, index } = boundaries(text);
  const total = bytes[bytes.length - 1];
  const ranges: [number, number][] = [];
  for (const s of valid) {
    const start = index[find(bytes, clampByte(s.start, total), "down")];
    const end = index[find(bytes, clampByte(s.end, total), "up")];
    if (end > start) ranges.push([start, end]);
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: [number, number][] = [];
  for (const [start, end] of ranges) {
    const last = merged[merged.length - 1];
    if (last && start < last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

/**
 * Splits `text` into plain and marked pieces by byte-offset spans. The
 * pieces, joined, are exactly `text`: overlapping spans mark once and never
 * repeat text, bad spans mark nothing.
 */
export function markByBytes(text: string, spans: readonly ByteSpan[]): Piece[] {
  const out: Piece[] = [];
  let pos = 0;
  for (const [start, end] of spanRanges(text, spans)) {
    if (start > pos) out.push({ text: text.slice(pos, start), marked: false });
    out.push({ text: text.slice(start, end), marked: true });
    pos = end;
  }
  if (pos < text.length) out.push({ text: text.slice(pos), marked: false });
  return out;
}

/** The byte-offset spans of evidence rules (`rules[].spans[]`), whatever shape the JSON has. */
export function ruleSpans(rules: unknown): ByteSpan[] {
  if (!Array.isArray(rules)) return [];
  return rules.flatMap((r) => {
    const spans = r && typeof r === "object" ? (r as { spans?: unknown }).spans : undefined;
    return Array.isArray(spans) ? spans.filter((s): s is ByteSpan => !!s && typeof s === "object") : [];
  });
}
