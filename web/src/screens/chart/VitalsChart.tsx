import type { VitalSign } from "../../api/chart";
import { formatTime } from "../../lib/time";
import { linear, polyline, thresholdLines, valueDomain, type Point } from "./plot";

const SERIES: { key: string; field: keyof VitalSign; label: string; color: string }[] = [
  { key: "systolic", field: "systolic_mmhg", label: "Systolic", color: "#a4161a" },
  { key: "diastolic", field: "diastolic_mmhg", label: "Diastolic", color: "#b45309" },
  { key: "heart_rate", field: "heart_rate_bpm", label: "Heart rate", color: "#0b5394" },
  { key: "spo2", field: "spo2_percent", label: "SpO₂", color: "#1e6b2e" },
];
const BOX = { width: 760, height: 260, left: 40, right: 150, top: 10, bottom: 24 };

/** The flowsheet drawn: each measure against time, the clinic's thresholds as dashed lines. */
export function VitalsChart({ vitals, thresholds, timeZone }: { vitals: VitalSign[]; thresholds: Record<string, Record<string, number> | null>; timeZone: string }) {
  const times = vitals.map((v) => Date.parse(v.measured_at));
  const values = SERIES.flatMap((s) => vitals.map((v) => v[s.field]).filter((x): x is number => typeof x === "number"));
  const [lo, hi] = valueDomain(values, 60, 210);
  const t0 = times.length ? Math.min(...times) : 0;
  const t1 = times.length ? Math.max(...times) : 1;
  const x = linear(t0, t1 === t0 ? t0 + 60_000 : t1, BOX.left, BOX.width - BOX.right);
  const y = linear(lo, hi, BOX.height - BOX.bottom, BOX.top);
  const lines = thresholdLines(thresholds, y);
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${BOX.width} ${BOX.height}`} role="img" aria-labelledby="vitals-chart-title" width="100%">
        <title id="vitals-chart-title">Vitals against time with the clinic's thresholds</title>
        <line x1={BOX.left} x2={BOX.left} y1={BOX.top} y2={BOX.height - BOX.bottom} stroke="#555" />
        {[lo, (lo + hi) / 2, hi].map((v) => (
          <text key={v} x={BOX.left - 4} y={y(v) + 4} textAnchor="end" fontSize="11" fill="#222">
            {Math.round(v)}
          </text>
        ))}
        {lines.map((l) => (
          <g key={l.key} data-threshold={l.key}>
            <line x1={BOX.left} x2={BOX.width - BOX.right} y1={l.y} y2={l.y} stroke="#555" strokeDasharray="5 4" />
            <text x={BOX.width - BOX.right + 4} y={l.y + 4} fontSize="11" fill="#222">
              {l.label}
            </text>
          </g>
        ))}
        {SERIES.map((s) => {
          const points: Point[] = vitals
            .filter((v) => typeof v[s.field] === "number")
            .map((v) => ({ t: Date.parse(v.measured_at), v: v[s.field] as number }));
          return points.length ? (
            <g key={s.key}>
              <polyline points={polyline(points, x, y)} fill="none" stroke={s.color} strokeWidth="2" />
              {points.map((p) => (
                <circle key={p.t} cx={x(p.t)} cy={y(p.v)} r="3" fill={s.color} />
              ))}
            </g>
          ) : null;
        })}
        {times.length > 0 && (
          <>
            <text x={BOX.left} y={BOX.height - 6} fontSize="11" fill="#222">{formatTime(new Date(t0), timeZone)}</text>
            <text x={BOX.width - BOX.right} y={BOX.height - 6} fontSize="11" fill="#222" textAnchor="end">{formatTime(new Date(t1), timeZone)}</text>
          </>
        )}
      </svg>
      <figcaption className="legend">
        {SERIES.map((s) => (
          <span key={s.key}>
            <span className="swatch" style={{ background: s.color }} aria-hidden="true" /> {s.label}
          </span>
        ))}
        <span>- - - threshold</span>
      </figcaption>
    </figure>
  );
}
