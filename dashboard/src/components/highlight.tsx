// Text with the spans that made rules match marked.

export interface Span {
  text: string;
}

/** Splits `text` into plain and marked pieces, marking each span's text. */
export function pieces(text: string, spans: Span[]): { text: string; marked: boolean }[] {
  const ranges: [number, number][] = [];
  for (const s of spans) {
    if (!s.text) continue;
    let from = 0;
    for (;;) {
      const at = text.indexOf(s.text, from);
      if (at < 0) break;
      ranges.push([at, at + s.text.length]);
      from = at + s.text.length;
    }
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const out: { text: string; marked: boolean }[] = [];
  let pos = 0;
  for (const [start, end] of ranges) {
    if (end <= pos) continue;
    const s = Math.max(start, pos);
    if (s > pos) out.push({ text: text.slice(pos, s), marked: false });
    out.push({ text: text.slice(s, end), marked: true });
    pos = end;
  }
  if (pos < text.length) out.push({ text: text.slice(pos), marked: false });
  return out;
}

export function Highlighted({ text, spans }: { text: string; spans: Span[] }) {
  return (
    <p className="content">
      {pieces(text, spans).map((p, i) => (p.marked ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}
    </p>
  );
}
