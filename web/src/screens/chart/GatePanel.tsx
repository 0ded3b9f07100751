import { useState, type FormEvent } from "react";
import { useChartWrite, type ChecklistItem, type ChecklistStatus } from "../../api/chart";
import { api } from "../../api/client";
import { Field, TextField } from "../../components/Field";
import { ProblemBanner } from "../../components/ProblemBanner";
import { ApiError } from "../../api/client";
import { zonedIso, localDate, localTime } from "../../lib/time";
import { CONTRAINDICATION_LABELS, itemLabel } from "./labels";
import { useMutation, useQueryClient } from "@tanstack/react-query";

interface Ctx {
  sessionId: number;
  patientId: number;
  staffId: number;
  timeZone: string;
  prescriber: boolean;
}

const nowIso = (tz: string) => zonedIso(localDate(new Date(), tz), localTime(new Date(), tz), tz);
const problemOf = (e: unknown) => (e instanceof ApiError ? e.problem : null);

/** The pre-dose gate (or the discharge criteria): every unmet item, each recordable in place, overridable by a prescriber. */
export function ChecklistPanel({ title, stage, status, ctx }: { title: string; stage: "gate" | "discharge"; status: ChecklistStatus; ctx: Ctx }) {
  const unmet = status.unmet as unknown as ChecklistItem[];
  const overridden = status.overridden as unknown as ChecklistItem[];
  return (
    <section className="card" aria-labelledby={`${stage}-title`}>
      <h2 id={`${stage}-title`}>
        {title}{" "}
        <span className={`badge ${status.ready ? "badge-ok" : "badge-warn"}`}>{status.ready ? "Ready" : `${unmet.length} unmet`}</span>
      </h2>
      {unmet.length === 0 && <p>Every item is met.</p>}
      <ul className="checklist">
        {unmet.map((item) => (
          <li key={item.item} data-item={item.item}>
            <p>
              <span aria-hidden="true">☐ </span>
              <strong>{itemLabel(item.item)}</strong>: {item.detail}
            </p>
            {stage === "gate" && <RecordInPlace item={item.item} ctx={ctx} />}
            {ctx.prescriber && <OverrideForm stage={stage} item={item.item} ctx={ctx} />}
          </li>
        ))}
        {overridden.map((item) => (
          <li key={item.item} data-item={item.item} className="overridden">
            <p>
              <span aria-hidden="true">☑ </span>
              <strong>{itemLabel(item.item)}</strong>: overridden. “{item.override?.reason}”
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}

function OverrideForm({ stage, item, ctx }: { stage: string; item: string; ctx: Ctx }) {
  const [reason, setReason] = useState("");
  const [open, setOpen] = useState(false);
  const write = useChartWrite(ctx.sessionId, "/chart/overrides/");
  if (!open)
    return (
      <button type="button" className="btn-secondary" onClick={() => setOpen(true)}>
        Override {itemLabel(item).toLowerCase()}
      </button>
    );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    write.mutate({ session: ctx.sessionId, stage, item, reason }, { onSuccess: () => setOpen(false) });
  };
  return (
    <form onSubmit={submit} className="inline-form">
      <ProblemBanner error={write.error} shownFields={["reason"]} />
      <TextField label={`Reason for overriding ${itemLabel(item).toLowerCase()}`} name="reason" value={reason} onChange={setReason} problem={problemOf(write.error)} hint="At least 10 characters; kept on the chart." />
      <button type="submit" className="btn-danger" disabled={write.isPending}>
        Record override
      </button>
    </form>
  );
}

/** The form that meets one gate item where it is listed. */
function RecordInPlace({ item, ctx }: { item: string; ctx: Ctx }) {
  if (item === "consent") return <ConsentForm ctx={ctx} />;
  if (item === "contraindication_screen") return <ScreenForm ctx={ctx} />;
  if (item === "ride_confirmed" || item === "fasting_confirmed") return <AttestationForm ctx={ctx} which={item} />;
  if (item === "weight_recent") return <WeightForm ctx={ctx} />;
  return null;
}

function ConsentForm({ ctx }: { ctx: Ctx }) {
  const [version, setVersion] = useState("v1");
  const write = useChartWrite(ctx.sessionId, "/chart/consents/");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    write.mutate({ patient: ctx.patientId, document_version: version, medications: [], routes: [], signed_at: nowIso(ctx.timeZone), witness: ctx.staffId });
  };
  return (
    <form onSubmit={submit} className="inline-form">
      <ProblemBanner error={write.error} shownFields={["document_version"]} />
      <TextField label="Consent document version" name="document_version" value={version} onChange={setVersion} problem={problemOf(write.error)} />
      <button type="submit" className="btn-primary" disabled={write.isPending}>Record signed consent (witnessed by me)</button>
    </form>
  );
}

function ScreenForm({ ctx }: { ctx: Ctx }) {
  const [answers, setAnswers] = useState<Record<string, boolean>>(() => Object.fromEntries(Object.keys(CONTRAINDICATION_LABELS).map((k) => [k, false])));
  const write = useChartWrite(ctx.sessionId, "/chart/contraindication-screens/");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const today = localDate(new Date(), ctx.timeZone);
    const until = new Date(Date.parse(`${today}T12:00:00Z`) + 90 * 86_400_000).toISOString().slice(0, 10);
    write.mutate({ patient: ctx.patientId, answers, notes: "", screened_at: nowIso(ctx.timeZone), reviewed_by: ctx.staffId, valid_until: until });
  };
  return (
    <form onSubmit={submit} className="inline-form">
      <ProblemBanner error={write.error} shownFields={["answers"]} />
      <fieldset>
        <legend>Contraindications present (tick any that apply)</legend>
        {Object.entries(CONTRAINDICATION_LABELS).map(([key, label]) => (
          <label key={key} className="check">
            <input type="checkbox" checked={answers[key]} onChange={(e) => setAnswers({ ...answers, [key]: e.target.checked })} /> {label}
          </label>
        ))}
      </fieldset>
      <button type="submit" className="btn-primary" disabled={write.isPending}>Record screen (reviewed by me)</button>
    </form>
  );
}

function AttestationForm({ ctx, which }: { ctx: Ctx; which: string }) {
  const [name, setName] = useState("");
  const [phone, setPhone] = useState("");
  const [lastAte, setLastAte] = useState("");
  const write = useChartWrite(ctx.sessionId, "/chart/attestations/");
  const problem = problemOf(write.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const body: Record<string, unknown> = { session: ctx.sessionId };
    if (which === "ride_confirmed") Object.assign(body, { escort_name: name, escort_phone: phone });
    else Object.assign(body, { fasting_confirmed: true, last_ate_at: lastAte ? zonedIso(localDate(new Date(), ctx.timeZone), lastAte, ctx.timeZone) : null });
    write.mutate(body);
  };
  return (
    <form onSubmit={submit} className="inline-form">
      <ProblemBanner error={write.error} shownFields={["escort_name", "escort_phone", "last_ate_at"]} />
      {which === "ride_confirmed" ? (
        <>
          <TextField label="Escort's name" name="escort_name" value={name} onChange={setName} problem={problem} />
          <TextField label="Escort's phone" name="escort_phone" value={phone} onChange={setPhone} problem={problem} type="tel" inputMode="tel" />
          <button type="submit" className="btn-primary" disabled={write.isPending}>Attest the ride home</button>
        </>
      ) : (
        <>
          <TextField label="Last ate at (today, clinic time)" name="last_ate_at" value={lastAte} onChange={setLastAte} problem={problem} type="time" />
          <button type="submit" className="btn-primary" disabled={write.isPending}>Attest fasting</button>
        </>
      )}
    </form>
  );
}

function WeightForm({ ctx }: { ctx: Ctx }) {
  const [kg, setKg] = useState("");
  const queryClient = useQueryClient();
  const write = useMutation({
    mutationFn: (body: unknown) => api.post(`/patients/${ctx.patientId}/weights/`, body),
    onSuccess: () => Promise.all([["chart", ctx.sessionId], ["weights", ctx.patientId]].map((k) => queryClient.invalidateQueries({ queryKey: k }))),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    write.mutate({ weight_kg: kg, measured_at: nowIso(ctx.timeZone) });
  };
  return (
    <form onSubmit={submit} className="inline-form">
      <ProblemBanner error={write.error} shownFields={["weight_kg"]} />
      <Field label="Weight (kg)" name="weight_kg" problem={problemOf(write.error)}>
        {(p) => <input {...p} inputMode="decimal" value={kg} onChange={(e) => setKg(e.target.value)} />}
      </Field>
      <button type="submit" className="btn-primary" disabled={write.isPending}>Record weight</button>
    </form>
  );
}
