// The dose calculator's preview, with the server's arithmetic (monitoring/dose_math.py): exact
// decimals, each result rounded half-up to 0.01, the rate from the rounded dose. The server
// computes the dose it records; this only shows what it will compute.

interface Dec {
  n: bigint;
  scale: number;
}

const DECIMAL = /^\s*(\d+)(?:\.(\d+))?\s*$/;

function parseDec(text: string): Dec | null {
  const m = DECIMAL.exec(text);
  if (!m) return null;
  const frac = m[2] ?? "";
  return { n: BigInt(m[1] + frac), scale: frac.length };
}

const TEN = (k: number) => 10n ** BigInt(k);

/** Half-up division of non-negative integers. */
function roundDiv(num: bigint, den: bigint): bigint {
  return (2n * num + den) / (2n * den);
}

function toCents(d: Dec): bigint {
  return d.scale <= 2 ? d.n * TEN(2 - d.scale) : roundDiv(d.n, TEN(d.scale - 2));
}

export function formatCents(cents: bigint): string {
  const whole = cents / 100n;
  const frac = (cents % 100n).toString().padStart(2, "0");
  return `${whole}.${frac}`;
}

export interface DoseInput {
  route: string;
  /** The recent weight the server will use, as it sends it ("72.5"). */
  weightKg?: string | null;
  mgPerKg?: string;
  mg?: string;
  concentrationMgPerMl?: string;
  infusionMinutes?: string;
}

export interface DosePreview {
  doseMg: string | null;
  volumeMl: string | null;
  rateMgPerH: string | null;
  /** What keeps the preview from computing, in words, per input. */
  problems: Record<string, string>;
}

export function dosePreview(input: DoseInput): DosePreview {
  const problems: Record<string, string> = {};
  const filled = (s?: string) => s !== undefined && s.trim() !== "";
  let doseCents: bigint | null = null;
  if (filled(input.mgPerKg) === filled(input.mg)) {
    problems.dose_mg_per_kg = "Give either mg/kg (weight-based) or mg (fixed).";
  } else if (filled(input.mgPerKg)) {
    const perKg = parseDec(input.mgPerKg!);
    const weight = input.weightKg ? parseDec(input.weightKg) : null;
    if (!perKg) problems.dose_mg_per_kg = "A number, e.g. 0.5.";
    else if (!weight) problems.weight_kg = "A weight-based dose needs a recent weight.";
    else doseCents = toCents({ n: perKg.n * weight.n, scale: perKg.scale + weight.scale });
  } else {
    const mg = parseDec(input.mg!);
    if (!mg) problems.dose_mg = "A number, e.g. 35.";
    else doseCents = toCents(mg);
  }
  if (doseCents !== null && doseCents <= 0n) {
    problems.dose_mg = "The dose must be above zero.";
    doseCents = null;
  }
  let volume: bigint | null = null;
  if (filled(input.concentrationMgPerMl)) {
    const conc = parseDec(input.concentrationMgPerMl!);
    if (!conc || conc.n === 0n) problems.concentration_mg_per_ml = "Must be above zero.";
    else if (doseCents !== null) volume = roundDiv(doseCents * TEN(conc.scale), conc.n);
  }
  let rate: bigint | null = null;
  if (filled(input.infusionMinutes)) {
    const minutes = /^\s*\d+\s*$/.test(input.infusionMinutes!) ? BigInt(input.infusionMinutes!.trim()) : 0n;
    if (input.route !== "iv") problems.infusion_minutes = "Only IV doses are infused over minutes.";
    else if (minutes <= 0n) problems.infusion_minutes = "Must be at least one minute.";
    else if (doseCents !== null) rate = roundDiv(doseCents * 60n, minutes);
  }
  return {
    doseMg: doseCents === null ? null : formatCents(doseCents),
    volumeMl: volume === null ? null : formatCents(volume),
    rateMgPerH: rate === null ? null : formatCents(rate),
    problems,
  };
}

export interface DoseCap {
  medication: string;
  route: string;
  max_session_mg: string | null;
  max_session_mg_per_kg: string | null;
}

/** The session cap in mg: the lower of the fixed and the weight-based limit; null when none applies. */
export function capMg(cap: DoseCap | undefined, weightKg?: string | null): string | null {
  if (!cap) return null;
  const limits: bigint[] = [];
  const fixed = cap.max_session_mg ? parseDec(cap.max_session_mg) : null;
  if (fixed) limits.push(toCents(fixed));
  const perKg = cap.max_session_mg_per_kg ? parseDec(cap.max_session_mg_per_kg) : null;
  const weight = weightKg ? parseDec(weightKg) : null;
  if (perKg && weight) limits.push(toCents({ n: perKg.n * weight.n, scale: perKg.scale + weight.scale }));
  if (!limits.length) return null;
  return formatCents(limits.reduce((a, b) => (b < a ? b : a)));
}

/** The session's total after this dose, and whether it stays within the cap (the server decides). */
export function afterDose(givenMg: readonly string[], doseMg: string | null, cap: string | null) {
  const sum = [...givenMg, ...(doseMg ? [doseMg] : [])].reduce((acc, v) => acc + toCents(parseDec(v) ?? { n: 0n, scale: 0 }), 0n);
  const capCents = cap ? toCents(parseDec(cap)!) : null;
  return { totalMg: formatCents(sum), withinCap: capCents === null || sum <= capCents };
}
