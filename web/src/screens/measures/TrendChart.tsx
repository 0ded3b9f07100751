import type { ScaleTrend } from "../../api/chart";
import { formatDate, localDate } from "../../lib/time";
import { linear, polyline, round1 } from "../chart/plot";
import { trendLines, type TrendPoint } from "./trend";

const BOX = { width: 640, height: 240, left: 36, right: 130, top: 10, bottom: 26 };
const NAMES: Record<string, string> = { phq9: "PHQ-9", gad7: "GAD-7", pcl5: "PCL-5", cssrs: "C-SSRS" };
export const scaleName = (scale: string) => NAMES[scale] ?? scale;

/** One scale's totals over an enrollment, with the baseline, the 50 % response line and remission. */
export function TrendChart({ trend, timeZone }: { trend: ScaleTrend; timeZone: string }) {
  const points = (trend.points as unknown as TrendPoint[]).filter((p) => p.total !== null);
  const lines = trendLines(trend.scale, points);
  const times = points.map((p) => Date.parse(p.completed_at));
  const t0 = times.length ? Math.min(...times) : 0;
  const t1 = times.length ? Math.max(...times) : 1;
  const x = linear(t0, t1 === t0 ? t0 + 86_400_000 : t1, BOX.left, BOX.width - BOX.right);
  const y = linear(0, lines.max, BOX.height - BOX.bottom, BOX.top);
  const refs = [
    lines.baseline !== null && { key: "baseline", label: `Baseline ${lines.baseline}`, v: lines.baseline, dash: "2 3" },
    lines.response !== null && { key: "response", label: `50 % response ${lines.response}`, v: lines.response, dash: "6 4" },
    lines.remission !== null && { key: "remission", label: `Remission < ${lines.remission}`, v: lines.remission, dash: "1 0" },
  ].filter(Boolean) as { key: string; label: string; v: number; dash: string }[];
  const titleId = `trend-${trend.scale}-title`;
  return (
    <figure className="chart card">
      <figcaption>
        <strong>{scaleName(trend.scale)}</strong>: baseline {trend.baseline ?? "—"}, latest {trend.latest ?? "—"}
        {trend.change_percent !== null && `, ${trend.change_percent} % better`}
        {trend.response && <span className="badge badge-ok">Response</span>}
        {trend.remission && <span className="badge badge-ok">Remission</span>}
      </figcaption>
      <svg viewBox={`0 0 ${BOX.width} ${BOX.height}`} width="100%" role="img" aria-labelledby={titleId}>
        <title id={titleId}>{`${scaleName(trend.scale)} totals over time`}</title>
        <line x1={BOX.left} x2={BOX.left} y1={BOX.top} y2={BOX.height - BOX.bottom} stroke="#555" />
        {[0, lines.max].map((v) => (
          <text key={v} x={BOX.left - 4} y={y(v) + 4} fontSize="11" textAnchor="end" fill="#222">{v}</text>
        ))}
        {refs.map((r) => (
          <g key={r.key} data-line={r.key}>
            <line x1={BOX.left} x2={BOX.width - BOX.right} y1={round1(y(r.v))} y2={round1(y(r.v))} stroke={r.key === "remission" ? "#1e6b2e" : "#555"} strokeDasharray={r.dash} />
            <text x={BOX.width - BOX.right + 4} y={y(r.v) + 4} fontSize="11" fill="#222">{r.label}</text>
          </g>
        ))}
        {points.length > 0 && (
          <>
            <polyline points={polyline(points.map((p) => ({ t: Date.parse(p.completed_at), v: p.total! })), x, y)} fill="none" stroke="#0b5394" strokeWidth="2" />
            {points.map((p) => (
              <circle key={p.completed_at} cx={x(Date.parse(p.completed_at))} cy={y(p.total!)} r="3.5" fill="#0b5394">
                <title>{`${formatDate(localDate(new Date(p.completed_at), timeZone))}: ${p.total}`}</title>
              </circle>
            ))}
            <text x={BOX.left} y={BOX.height - 6} fontSize="11" fill="#222">{formatDate(localDate(new Date(t0), timeZone))}</text>
            <text x={BOX.width - BOX.right} y={BOX.height - 6} fontSize="11" fill="#222" textAnchor="end">{formatDate(localDate(new Date(t1), timeZone))}</text>
          </>
        )}
      </svg>
    </figure>
  );
}
