import { useState, type FormEvent } from "react";
import { ApiError } from "../../api/client";
import { useChartWrite, type SessionChart } from "../../api/chart";
import { Field, TextField } from "../../components/Field";
import { ProblemBanner } from "../../components/ProblemBanner";
import { formatTime, localDate, localTime, zonedIso } from "../../lib/time";
import { MOAAS } from "./labels";
import { VitalsChart } from "./VitalsChart";

export const problemOf = (e: unknown) => (e instanceof ApiError ? e.problem : null);
export const nowIso = (tz: string) => zonedIso(localDate(new Date(), tz), localTime(new Date(), tz), tz);

export interface Ctx {
  sessionId: number;
  staffId: number;
  timeZone: string;
  prescriber: boolean;
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

