import { useState, type FormEvent } from "react";
import { ApiError } from "../../api/client";
import { useChartWrite, type SessionChart } from "../../api/chart";
import { Field, TextField } from "../../components/Field";
import { ProblemBanner } from "../../components/ProblemBanner";
import { formatTime, localDate, localTime, zonedIso } from "../../lib/time";
import { afterDose, capMg, dosePreview, type DoseCap } from "./doseMath";
import { MOAAS } from "./labels";
import { VitalsChart } from "./VitalsChart";

const problemOf = (e: unknown) => (e instanceof ApiError ? e.problem : null);
const nowIso = (tz: string) => zonedIso(localDate(new Date(), tz), localTime(new Date(), tz), tz);

interface Ctx {
  sessionId: number;
  staffId: number;
  timeZone: string;
  prescriber: boolean;
}

/** The dose calculator (a preview; the server computes the dose it records) and administration. */
export function DosePanel({ chart, ctx, weightKg, caps, prescribers }: { chart: SessionChart; ctx: Ctx; weightKg: string | null; caps: DoseCap[]; prescribers: { id: number; name: string }[] }) {
  const first = chart.doses.length === 0;
  const [medication, setMedication] = useState(chart.doses[0]?.medication ?? "ketamine");
  const [route, setRoute] = useState(chart.doses[0]?.route ?? "iv");
  const [mgPerKg, setMgPerKg] = useState("");
  const [mg, setMg] = useState("");
  const [conc, setConc] = useState("10");
  const [minutes, setMinutes] = useState("40");
  const [lot, setLot] = useState("");
  const [lotExpires, setLotExpires] = useState("");
  const [orderedBy, setOrderedBy] = useState<number | "">(ctx.prescriber ? ctx.staffId : "");
  const [capReason, setCapReason] = useState("");
  const write = useChartWrite(ctx.sessionId, "/chart/doses/");
  const preview = dosePreview({ route, weightKg, mgPerKg, mg, concentrationMgPerMl: conc, infusionMinutes: route === "iv" ? minutes : "" });
  const cap = capMg(caps.find((c) => c.medication === medication && c.route === route), weightKg);
  const given = chart.doses.filter((d) => d.medication === medication && d.route === route).map((d) => d.dose_mg ?? "0");
  const total = afterDose(given, preview.doseMg, cap);
  const problem = problemOf(write.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    write.mutate({
      session: ctx.sessionId,
      kind: first ? "initial" : "titration",
      medication,
      route,
      ...(mgPerKg ? { dose_mg_per_kg: mgPerKg } : { dose_mg: mg }),
      concentration_mg_per_ml: conc || null,
      infusion_minutes: route === "iv" && minutes ? Number(minutes) : null,
      lot_number: lot,
      lot_expires_on: lotExpires,
      ordered_by: orderedBy,
      started_at: nowIso(ctx.timeZone),
      cap_override_reason: capReason,
    });
  };
  return (
    <section className="card" aria-labelledby="dose-title">
      <h2 id="dose-title">Dosing</h2>
      {chart.doses.length > 0 && (
        <table>
          <caption className="sr-only">Doses given</caption>
          <thead>
            <tr><th scope="col">Time</th><th scope="col">Kind</th><th scope="col">Dose</th><th scope="col">Volume</th><th scope="col">Rate</th></tr>
          </thead>
          <tbody>
            {chart.doses.map((d) => (
              <tr key={d.id}>
                <td>{formatTime(d.started_at, ctx.timeZone)}</td>
                <td>{d.kind}</td>
                <td>{d.dose_mg} mg {d.medication} {d.route}</td>
                <td>{d.volume_ml ? `${d.volume_ml} ml` : "—"}</td>
                <td>{d.rate_mg_per_h ? `${d.rate_mg_per_h} mg/h` : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={submit} aria-label={first ? "Initial dose" : "Titration"}>
        <h3>{first ? "Initial dose" : "Titration"}</h3>
        <ProblemBanner error={write.error} shownFields={["medication", "route", "dose_mg_per_kg", "dose_mg", "concentration_mg_per_ml", "infusion_minutes", "lot_number", "lot_expires_on", "ordered_by", "cap_override_reason"]} />
        <div className="grid2">
          <Field label="Medication" name="medication" problem={problem}>
            {(p) => (
              <select {...p} value={medication} onChange={(e) => setMedication(e.target.value as typeof medication)}>
                <option value="ketamine">Ketamine (racemic)</option>
                <option value="esketamine">Esketamine (Spravato)</option>
              </select>
            )}
          </Field>
          <Field label="Route" name="route" problem={problem}>
            {(p) => (
              <select {...p} value={route} onChange={(e) => setRoute(e.target.value as typeof route)}>
                <option value="iv">Intravenous</option>
                <option value="im">Intramuscular</option>
                <option value="intranasal">Intranasal</option>
                <option value="sublingual">Sublingual</option>
                <option value="oral">Oral</option>
              </select>
            )}
          </Field>
          <TextField label="Dose (mg/kg)" name="dose_mg_per_kg" value={mgPerKg} onChange={setMgPerKg} problem={problem} hint={weightKg ? `× recent weight ${weightKg} kg` : "No recent weight on file"} />
          <TextField label="or fixed dose (mg)" name="dose_mg" value={mg} onChange={setMg} problem={problem} />
          <TextField label="Concentration (mg/ml)" name="concentration_mg_per_ml" value={conc} onChange={setConc} problem={problem} />
          {route === "iv" && <TextField label="Infusion (minutes)" name="infusion_minutes" value={minutes} onChange={setMinutes} problem={problem} inputMode="numeric" />}
          <TextField label="Lot number" name="lot_number" value={lot} onChange={setLot} problem={problem} />
          <TextField label="Lot expires on" name="lot_expires_on" value={lotExpires} onChange={setLotExpires} problem={problem} type="date" />
          <Field label="Ordered by (prescriber)" name="ordered_by" problem={problem}>
            {(p) => (
              <select {...p} value={orderedBy} onChange={(e) => setOrderedBy(e.target.value ? Number(e.target.value) : "")}>
                <option value="">Choose…</option>
                {prescribers.map((s) => (
                  <option key={s.id} value={s.id}>{s.name}</option>
                ))}
              </select>
            )}
          </Field>
        </div>
        <output className="dose-preview" aria-live="polite" data-testid="dose-preview">
          Preview: {preview.doseMg ? `${preview.doseMg} mg` : "—"}
          {preview.volumeMl && ` · ${preview.volumeMl} ml`}
          {preview.rateMgPerH && ` · ${preview.rateMgPerH} mg/h`}
          {cap && ` · session total ${total.totalMg} of cap ${cap} mg`}
          {Object.values(preview.problems).length > 0 && <span className="muted"> ({Object.values(preview.problems).join(" ")})</span>}
        </output>
        {!total.withinCap && (
          <>
            <p className="banner banner-error">This dose takes the session above its cap. Only a prescriber may give it, with a reason.</p>
            {ctx.prescriber && <TextField label="Reason for exceeding the cap" name="cap_override_reason" value={capReason} onChange={setCapReason} problem={problem} />}
          </>
        )}
        <button type="submit" className="btn-primary" disabled={write.isPending}>Record {first ? "dose" : "titration"}</button>
      </form>
    </section>
  );
}

/** The flowsheet: readings, the chart with thresholds, the entry form; alerts show with the refetched chart. */
export function VitalsPanel({ chart, ctx, thresholds }: { chart: SessionChart; ctx: Ctx; thresholds: Record<string, Record<string, number> | null> }) {
  const [f, setF] = useState({ systolic_mmhg: "", diastolic_mmhg: "", heart_rate_bpm: "", spo2_percent: "", respiratory_rate_per_min: "" });
  const write = useChartWrite(ctx.sessionId, "/chart/vitals/", [["alerts"]]);
  const problem = problemOf(write.error);
  const set = (k: keyof typeof f) => (v: string) => setF({ ...f, [k]: v });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const body: Record<string, unknown> = { session: ctx.sessionId, measured_at: nowIso(ctx.timeZone), source: "manual" };
    for (const [k, v] of Object.entries(f)) if (v.trim()) body[k] = Number(v);
    write.mutate(body, { onSuccess: () => setF({ systolic_mmhg: "", diastolic_mmhg: "", heart_rate_bpm: "", spo2_percent: "", respiratory_rate_per_min: "" }) });
  };
  return (
    <section className="card" aria-labelledby="vitals-title">
      <h2 id="vitals-title">Vitals</h2>
      <VitalsChart vitals={chart.vitals} thresholds={thresholds} timeZone={ctx.timeZone} />
      <table>
        <caption className="sr-only">Readings</caption>
        <thead>
          <tr><th scope="col">Time</th><th scope="col">BP</th><th scope="col">HR</th><th scope="col">SpO₂</th><th scope="col">RR</th></tr>
        </thead>
        <tbody>
          {chart.vitals.map((v) => (
            <tr key={v.id}>
              <td>{formatTime(v.measured_at, ctx.timeZone)}</td>
              <td>{v.systolic_mmhg ? `${v.systolic_mmhg}/${v.diastolic_mmhg}` : "—"}</td>
              <td>{v.heart_rate_bpm ?? "—"}</td>
              <td>{v.spo2_percent ?? "—"}</td>
              <td>{v.respiratory_rate_per_min ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form onSubmit={submit} aria-label="Record vitals">
        <ProblemBanner error={write.error} shownFields={Object.keys(f)} />
        <div className="grid5">
          <TextField label="Systolic (mmHg)" name="systolic_mmhg" value={f.systolic_mmhg} onChange={set("systolic_mmhg")} problem={problem} inputMode="numeric" />
          <TextField label="Diastolic (mmHg)" name="diastolic_mmhg" value={f.diastolic_mmhg} onChange={set("diastolic_mmhg")} problem={problem} inputMode="numeric" />
          <TextField label="Heart rate (bpm)" name="heart_rate_bpm" value={f.heart_rate_bpm} onChange={set("heart_rate_bpm")} problem={problem} inputMode="numeric" />
          <TextField label="SpO₂ (%)" name="spo2_percent" value={f.spo2_percent} onChange={set("spo2_percent")} problem={problem} inputMode="numeric" />
          <TextField label="Resp. rate (/min)" name="respiratory_rate_per_min" value={f.respiratory_rate_per_min} onChange={set("respiratory_rate_per_min")} problem={problem} inputMode="numeric" />
        </div>
        <button type="submit" className="btn-primary" disabled={write.isPending}>Record vitals</button>
      </form>
    </section>
  );
}

export function AlertsBanner({ chart, ctx }: { chart: SessionChart; ctx: Ctx }) {
  const open = chart.alerts.filter((a) => !a.acknowledged_at);
  if (!open.length) return null;
  return (
    <section role="alert" className="banner banner-error" aria-label="Open alerts">
      <ul className="plain">
        {open.map((a) => (
          <li key={a.id}>
            <strong>{a.priority === "high" ? "High priority: " : "Alert: "}</strong>
            {a.message} <span className="muted">({formatTime(a.raised_at, ctx.timeZone)})</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** MOAA/S and CADSS, each recorded with the time of entry. */
export function ScoresPanel({ chart, ctx }: { chart: SessionChart; ctx: Ctx }) {
  const [moaas, setMoaas] = useState("5");
  const [cadss, setCadss] = useState<number[]>(() => Array(23).fill(0));
  const sed = useChartWrite(ctx.sessionId, "/chart/sedation-scores/");
  const dis = useChartWrite(ctx.sessionId, "/chart/dissociation-scores/");
  return (
    <section className="card" aria-labelledby="scores-title">
      <h2 id="scores-title">Sedation and dissociation</h2>
      <p>
        MOAA/S: {chart.sedation.map((s) => `${s.moaas} at ${formatTime(s.measured_at, ctx.timeZone)}`).join("; ") || "none yet"}
        <br />
        CADSS: {chart.dissociation.map((s) => `${s.total} at ${formatTime(s.measured_at, ctx.timeZone)}`).join("; ") || "none yet"}
      </p>
      <form onSubmit={(e) => { e.preventDefault(); sed.mutate({ session: ctx.sessionId, measured_at: nowIso(ctx.timeZone), moaas: Number(moaas) }); }} aria-label="Record MOAA/S">
        <ProblemBanner error={sed.error} shownFields={["moaas"]} />
        <Field label="MOAA/S" name="moaas" problem={problemOf(sed.error)}>
          {(p) => (
            <select {...p} value={moaas} onChange={(e) => setMoaas(e.target.value)}>
              {[5, 4, 3, 2, 1, 0].map((n) => <option key={n} value={n}>{MOAAS[n]}</option>)}
            </select>
          )}
        </Field>
        <button type="submit" className="btn-primary" disabled={sed.isPending}>Record MOAA/S</button>
      </form>
      <details>
        <summary>CADSS (23 items, 0–4)</summary>
        <form onSubmit={(e) => { e.preventDefault(); dis.mutate({ session: ctx.sessionId, measured_at: nowIso(ctx.timeZone), items: cadss }); }} aria-label="Record CADSS">
          <ProblemBanner error={dis.error} />
          <div className="grid5">
            {cadss.map((v, i) => (
              <label key={i} className="item-score">
                Item {i + 1}{" "}
                <select value={v} onChange={(e) => setCadss(cadss.map((x, j) => (j === i ? Number(e.target.value) : x)))}>
                  {[0, 1, 2, 3, 4].map((n) => <option key={n} value={n}>{n}</option>)}
                </select>
              </label>
            ))}
          </div>
          <p>Total {cadss.reduce((a, b) => a + b, 0)}</p>
          <button type="submit" className="btn-primary" disabled={dis.isPending}>Record CADSS</button>
        </form>
      </details>
    </section>
  );
}

/** The REMS monitoring form, when the session gives esketamine. */
export function RemsPanel({ chart, ctx }: { chart: SessionChart; ctx: Ctx }) {
  const generate = useChartWrite(ctx.sessionId, "/chart/rems-forms/generate/");
  const submit = useChartWrite(ctx.sessionId, chart.rems_form ? `/chart/rems-forms/${chart.rems_form.id}/submit/` : "");
  const applies = chart.doses.some((d) => d.medication === "esketamine") || chart.rems_form;
  if (!applies) return null;
  const form = chart.rems_form;
  return (
    <section className="card" aria-labelledby="rems-title">
      <h2 id="rems-title">REMS monitoring form</h2>
      <ProblemBanner error={generate.error ?? submit.error} />
      {form ? (
        <>
          <p>Status: {form.status}; due on {form.due_on}.</p>
          <pre className="rems-data">{JSON.stringify(form.data, null, 2)}</pre>
        </>
      ) : (
        <p>No form yet.</p>
      )}
      {(!form || form.status === "draft") && (
        <button type="button" className="btn-secondary" onClick={() => generate.mutate({ session: ctx.sessionId })}>
          {form ? "Refill from the chart" : "Fill from the chart"}
        </button>
      )}{" "}
      {form?.status === "draft" && ctx.prescriber && (
        <button type="button" className="btn-primary" onClick={() => submit.mutate({})}>Submit to REMS</button>
      )}
    </section>
  );
}

