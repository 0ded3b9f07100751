// Geometry for the inline-SVG charts (vitals flowsheet, scale trends): linear scales, polylines and
// the horizontal lines that mark a clinic's thresholds. Pure functions; the components only draw.

export interface Box {
  width: number;
  height: number;
  /** Inner margins for the axes' labels. */
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export type Scale = (value: number) => number;

/** Maps [d0, d1] onto [r0, r1]; a flat domain maps to the middle of the range. */
export function linear(d0: number, d1: number, r0: number, r1: number): Scale {
  if (d1 === d0) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

export function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

export interface Point {
  t: number;
  v: number;
}

export function polyline(points: readonly Point[], x: Scale, y: Scale): string {
  return points.map((p) => `${round1(x(p.t))},${round1(y(p.v))}`).join(" ");
}

export interface ThresholdLine {
  key: string;
  label: string;
  value: number;
  /** The chart's series the limit applies to. */
  series: string;
  y: number;
}

type Limits = Record<string, Record<string, number> | null | undefined>;

/** Which value of which rule is drawn on which series, and how it reads. */
const DRAWN: { rule: string; field: string; series: string; label: (v: number) => string }[] = [
  { rule: "predose_hold", field: "systolic_mmhg", series: "systolic", label: (v) => `Pre-dose hold > ${v}` },
  { rule: "predose_hold", field: "diastolic_mmhg", series: "diastolic", label: (v) => `Pre-dose hold > ${v}` },
  { rule: "bp_critical", field: "systolic_mmhg", series: "systolic", label: (v) => `Critical ≥ ${v}` },
  { rule: "bp_severe_repeated", field: "systolic_mmhg", series: "systolic", label: (v) => `Severe ≥ ${v}` },
  { rule: "hr_sustained", field: "heart_rate_bpm", series: "heart_rate", label: (v) => `HR > ${v}` },
  { rule: "spo2_low", field: "spo2_percent", series: "spo2", label: (v) => `SpO₂ < ${v}` },
];

/** The clinic's active thresholds as horizontal lines at their y on the value scale; off rules draw nothing. */
export function thresholdLines(limits: Limits, y: Scale): ThresholdLine[] {
  const lines: ThresholdLine[] = [];
  for (const d of DRAWN) {
    const rule = limits[d.rule];
    const value = rule?.[d.field];
    if (rule && typeof value === "number") {
      lines.push({ key: `${d.rule}.${d.field}`, label: d.label(value), value, series: d.series, y: round1(y(value)) });
    }
  }
  return lines;
}

/** A value domain covering the data and every threshold, padded, so no line falls off the chart. */
export function valueDomain(values: readonly number[], floor: number, ceiling: number, pad = 5): [number, number] {
  if (!values.length) return [floor, ceiling];
  const lo = Math.min(...values, floor);
  const hi = Math.max(...values, ceiling);
  return [Math.max(0, lo - pad), hi + pad];
}
