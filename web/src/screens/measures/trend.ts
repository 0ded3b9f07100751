// The PHQ-9 / GAD-7 trend chart's reference lines: the baseline (first score of the enrollment),
// the 50 % response line, and the remission threshold. The server says whether the patient
// responded or remitted; these lines only let the clinician see it.

export const SCALE_MAX: Record<string, number> = { phq9: 27, gad7: 21, pcl5: 80 };
/** Remission: a total below 5 on PHQ-9 (and by the same convention on GAD-7). */
export const REMISSION_BELOW: Record<string, number> = { phq9: 5, gad7: 5 };

export interface TrendPoint {
  completed_at: string;
  total: number | null;
}

export interface TrendLines {
  baseline: number | null;
  /** Half the baseline: at or below it is a response. */
  response: number | null;
  remission: number | null;
  max: number;
}

export function trendLines(scale: string, points: readonly TrendPoint[]): TrendLines {
  const first = points.find((p) => p.total !== null);
  const baseline = first ? first.total : null;
  return {
    baseline,
    response: baseline ? baseline / 2 : null,
    remission: REMISSION_BELOW[scale] ?? null,
    max: SCALE_MAX[scale] ?? Math.max(10, ...points.map((p) => p.total ?? 0)),
  };
}

/** Change from baseline in per cent (positive = better), one decimal, as the server rounds it. */
export function changePercent(baseline: number | null, latest: number | null): number | null {
  if (!baseline || latest === null) return null;
  return Math.round(((baseline - latest) / baseline) * 1000) / 10;
}
