/** @jsxImportSource hono/jsx */
// Charts as inline SVG rendered on the server: no library, no CDN, no script. Each chart names itself to assistive
// technology (role="img" with a title and a description of its range and last values) and carries its data as a
// table under a disclosure, so nothing is only in the picture. Colours come from the stylesheet (series-N classes).

export interface Series {
  name: string;
  values: (number | null)[];
}

const W = 640;
const H = 180;
const PAD = { left: 48, right: 12, top: 12, bottom: 24 };

/** A readable number: from 100 up whole with separators (1,690), below to 3 significant digits; null a dash. */
export function fmt(n: number | null | undefined, unit = ''): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '–';
  const text =
    Number.isInteger(n) || Math.abs(n) >= 100
      ? Math.round(n).toLocaleString('en-US')
      : Number(n.toPrecision(3)).toString();
  return unit ? `${text} ${unit}` : text;
}

/** The largest value of every series (at least 1, so an idle chart still has a scale). */
function scaleMax(series: Series[]): number {
  let max = 0;
  for (const s of series) for (const v of s.values) if (v !== null && v > max) max = v;
  return max > 0 ? max : 1;
}

/** Polyline segments of one series: a null (no data that minute) breaks the line. */
function segments(values: (number | null)[], max: number): string[] {
  const n = values.length;
  const x = (i: number) => PAD.left + (n <= 1 ? 0 : (i * (W - PAD.left - PAD.right)) / (n - 1));
  const y = (v: number) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);
  const out: string[] = [];
  let current: string[] = [];
  values.forEach((v, i) => {
    if (v === null) {
      if (current.length) out.push(current.join(' '));
      current = [];
      return;
    }
    current.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
  });
  if (current.length) out.push(current.join(' '));
  return out;
}

function describe(series: Series[], labels: string[], unit: string): string {
  const last = labels.length - 1;
  const parts = series.map((s) => {
    const seen = s.values.filter((v): v is number => v !== null);
    const max = seen.length ? Math.max(...seen) : null;
    return `${s.name}: latest ${fmt(s.values[last] ?? null, unit)}, highest ${fmt(max, unit)}`;
  });
  return `${labels[0] ?? ''} to ${labels[last] ?? ''}. ${parts.join('; ')}.`;
}

export function LineChart(props: { id: string; title: string; labels: string[]; series: Series[]; unit?: string }) {
  const { id, title, labels, series } = props;
  const unit = props.unit ?? '';
  const max = scaleMax(series);
  return (
    <figure class="chart" id={id}>
      <figcaption aria-hidden="true">{title}</figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-labelledby={`${id}-svg-title ${id}-desc`}
        preserveAspectRatio="none"
        focusable="false"
      >
        <title id={`${id}-svg-title`}>{title}</title>
        <desc id={`${id}-desc`}>{describe(series, labels, unit)}</desc>
        <line class="axis" x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} />
        <line class="axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={H - PAD.bottom} />
        <text class="tick" x={PAD.left - 4} y={PAD.top + 4} text-anchor="end">
          {fmt(max)}
        </text>
        <text class="tick" x={PAD.left - 4} y={H - PAD.bottom} text-anchor="end">
          0
        </text>
        <text class="tick" x={PAD.left} y={H - 6}>
          {labels[0] ?? ''}
        </text>
        <text class="tick" x={W - PAD.right} y={H - 6} text-anchor="end">
          {labels[labels.length - 1] ?? ''}
        </text>
        {series.map((s, i) =>
          segments(s.values, max).map((points) =>
            points.includes(' ') ? (
              <polyline class={`line series-${i}`} points={points} />
            ) : (
              <circle class={`dot series-${i}`} cx={points.split(',')[0]} cy={points.split(',')[1]} r="2.5" />
            ),
          ),
        )}
      </svg>
      <ul class="legend" aria-hidden="true">
        {series.map((s, i) => (
          <li>
            <span class={`swatch series-${i}`} /> {s.name}
          </li>
        ))}
      </ul>
      <details>
        <summary>Data table: {title}</summary>
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Minute (UTC)</th>
                {series.map((s) => (
                  <th scope="col">{s.name}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {labels.map((label, row) => (
                <tr>
                  <th scope="row">{label}</th>
                  {series.map((s) => (
                    <td>{fmt(s.values[row] ?? null)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

/** A horizontal bar per row (e.g. revenue per hour, hottest SKUs), its value written beside it. */
export function BarChart(props: { id: string; title: string; rows: { label: string; value: number; text: string }[] }) {
  const { id, title, rows } = props;
  const max = Math.max(1, ...rows.map((r) => r.value));
  const rowH = 22;
  const height = Math.max(rowH, rows.length * rowH);
  return (
    <figure class="chart" id={id}>
      <figcaption aria-hidden="true">{title}</figcaption>
      {rows.length === 0 ? (
        <p class="muted">Nothing in this window.</p>
      ) : (
        <svg viewBox={`0 0 ${W} ${height}`} role="img" aria-labelledby={`${id}-svg-title ${id}-desc`} focusable="false">
          <title id={`${id}-svg-title`}>{title}</title>
          <desc id={`${id}-desc`}>{rows.map((r) => `${r.label}: ${r.text}`).join('; ')}</desc>
          {rows.map((r, i) => (
            <g>
              <text class="tick" x="0" y={i * rowH + 15}>
                {r.label}
              </text>
              <rect
                class="bar series-0"
                x="170"
                y={i * rowH + 4}
                height={rowH - 8}
                width={Math.max(1, (r.value / max) * (W - 170 - 120))}
              />
              <text class="tick" x={W - 4} y={i * rowH + 15} text-anchor="end">
                {r.text}
              </text>
            </g>
          ))}
        </svg>
      )}
    </figure>
  );
}
