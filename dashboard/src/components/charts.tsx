// Charts in plain SVG: bars for counts by category, a line for a time series.

export function BarChart({ title, counts }: { title: string; counts: Record<string, number> }) {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  const max = Math.max(1, ...entries.map(([, n]) => n));
  const row = 26;
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      {entries.length === 0 ? (
        <p className="empty">Nothing in this period.</p>
      ) : (
        <svg
          role="img"
          aria-label={`${title}: ${entries.map(([k, n]) => `${k} ${n}`).join(", ")}`}
          viewBox={`0 0 320 ${entries.length * row}`}
          width="100%"
        >
          {entries.map(([k, n], i) => (
            <g key={k} transform={`translate(0 ${i * row})`}>
              <text x="0" y="17" className="label">
                {k}
              </text>
              <rect x="110" y="4" height="18" width={(n / max) * 170} rx="3" className="bar" />
              <text x={116 + (n / max) * 170} y="17" className="value">
                {n}
              </text>
            </g>
          ))}
        </svg>
      )}
    </figure>
  );
}

export function LineChart({
  title,
  points,
}: {
  title: string;
  points: { start: string; count: number }[];
}) {
  const w = 600;
  const h = 180;
  const pad = 28;
  const max = Math.max(1, ...points.map((p) => p.count));
  const x = (i: number) => pad + (points.length <= 1 ? 0 : (i / (points.length - 1)) * (w - 2 * pad));
  const y = (n: number) => h - pad - (n / max) * (h - 2 * pad);
  const path = points.map((p, i) => `${i === 0 ? "M" : "L"}${x(i)},${y(p.count)}`).join(" ");
  return (
    <figure className="chart wide">
      <figcaption>{title}</figcaption>
      {points.length === 0 ? (
        <p className="empty">No data.</p>
      ) : (
        <svg role="img" aria-label={`${title}, ${points.length} points, peak ${max}`} viewBox={`0 0 ${w} ${h}`} width="100%">
          <line x1={pad} y1={h - pad} x2={w - pad} y2={h - pad} className="axis" />
          <text x="2" y={pad} className="label">
            {max}
          </text>
          <text x="2" y={h - pad} className="label">
            0
          </text>
          <path d={path} className="line" fill="none" />
          {points.map((p, i) => (
            <circle key={p.start} cx={x(i)} cy={y(p.count)} r="3" className="dot">
              <title>{`${new Date(p.start).toLocaleString()}: ${p.count}`}</title>
            </circle>
          ))}
        </svg>
      )}
    </figure>
  );
}
