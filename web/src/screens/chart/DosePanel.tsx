import { useState, type FormEvent } from "react";
import { useChartWrite, type SessionChart } from "../../api/chart";
import { containerName, ledgerKeys, useContainers, usePolicy, useProducts, useSessionDraws } from "../../api/ledger";
import { Field, TextField } from "../../components/Field";
import { ProblemBanner } from "../../components/ProblemBanner";
import { formatTime, localDate } from "../../lib/time";
import { nowIso, problemOf, type Ctx } from "./ChartPanels";
import { afterDose, capMg, dosePreview, type DoseCap } from "./doseMath";

const CONTROLLED = ["ketamine", "esketamine"];

interface DosePanelProps {
  chart: SessionChart;
  ctx: Ctx;
  clinicId: number;
  /** The signed-in role keeps the controlled-substance ledger (nurse, prescriber). */
  ledger: boolean;
  weightKg: string | null;
  caps: DoseCap[];
  prescribers: { id: number; name: string }[];
}

/**
 * The dose calculator (a preview; the server computes the dose it records) and administration.
 * Where the clinic keeps a controlled-substance ledger, a ketamine or esketamine dose is drawn from a
 * container picked here (required by the clinic's policy, on by default): the dose and its draw are
 * recorded together, and the container gives the lot, its expiry and the concentration.
 */
export function DosePanel({ chart, ctx, clinicId, ledger, weightKg, caps, prescribers }: DosePanelProps) {
  const first = chart.doses.length === 0;
  const [medication, setMedication] = useState(chart.doses[0]?.medication ?? "ketamine");
  const [route, setRoute] = useState(chart.doses[0]?.route ?? "iv");
  const [mgPerKg, setMgPerKg] = useState("");
  const [mg, setMg] = useState("");
  const [devices, setDevices] = useState("2");
  const [conc, setConc] = useState("10");
  const [minutes, setMinutes] = useState("40");
  const [lot, setLot] = useState("");
  const [lotExpires, setLotExpires] = useState("");
  const [containerId, setContainerId] = useState("");
  const [orderedBy, setOrderedBy] = useState<number | "">(ctx.prescriber ? ctx.staffId : "");
  const [capReason, setCapReason] = useState("");
  const policy = usePolicy(clinicId, ledger);
  const keepsLedger = ledger && !!policy.data?.keeps_ledger;
  const containers = useContainers(clinicId, keepsLedger);
  const products = useProducts(keepsLedger);
  const draws = useSessionDraws(ctx.sessionId, keepsLedger);
  const plain = useChartWrite(ctx.sessionId, "/chart/doses/");
  const drawn = useChartWrite(ctx.sessionId, "/controlled/draws/", [ledgerKeys.sessionDraws(ctx.sessionId), ["ledger", "containers"]]);

  const controlled = CONTROLLED.includes(medication);
  const required = controlled && !!policy.data?.require_container;
  const today = localDate(new Date(), ctx.timeZone);
  const choices = (containers.data ?? []).filter((c) => {
    const product = products.data?.get(c.product);
    return c.clinic === clinicId && product?.medication === medication && Number(c.on_hand_mg) > 0 && c.expires_on >= today;
  });
  const container = controlled && keepsLedger ? choices.find((c) => String(c.id) === containerId) : undefined;
  const product = container ? products.data?.get(container.product) : undefined;
  const wholeDevices = !!product?.unit_mg;
  const concentration = container ? (product?.concentration_mg_per_ml ?? "") : conc;
  const doseMg = wholeDevices && /^\d+$/.test(devices) ? String(Number(devices) * Number(product!.unit_mg)) : mg;
  const preview = dosePreview({ route, weightKg, mgPerKg: wholeDevices ? "" : mgPerKg, mg: doseMg, concentrationMgPerMl: concentration, infusionMinutes: route === "iv" ? minutes : "" });
  const cap = capMg(caps.find((c) => c.medication === medication && c.route === route), weightKg);
  const given = chart.doses.filter((d) => d.medication === medication && d.route === route).map((d) => d.dose_mg ?? "0");
  const total = afterDose(given, preview.doseMg, cap);
  const write = container ? drawn : plain;
  const problem = problemOf(write.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const common = {
      session: ctx.sessionId,
      kind: first ? "initial" : "titration",
      route,
      infusion_minutes: route === "iv" && minutes ? Number(minutes) : null,
      ordered_by: orderedBy,
      started_at: nowIso(ctx.timeZone),
      cap_override_reason: capReason,
    };
    if (container) {
      drawn.mutate({ ...common, container: container.id, ...(wholeDevices ? { devices: Number(devices) } : mgPerKg ? { dose_mg_per_kg: mgPerKg } : { dose_mg: mg }) });
    } else {
      plain.mutate({ ...common, medication, ...(mgPerKg ? { dose_mg_per_kg: mgPerKg } : { dose_mg: mg }), concentration_mg_per_ml: conc || null, lot_number: lot, lot_expires_on: lotExpires });
    }
  };
  return (
    <section className="card" aria-labelledby="dose-title">
      <h2 id="dose-title">Dosing</h2>
      {chart.doses.length > 0 && (
        <table>
          <caption className="sr-only">Doses given</caption>
          <thead>
            <tr><th scope="col">Time</th><th scope="col">Kind</th><th scope="col">Dose</th><th scope="col">Volume</th><th scope="col">Rate</th><th scope="col">Container and lot</th></tr>
          </thead>
          <tbody>
            {chart.doses.map((d) => {
              const draw = draws.data?.get(d.id);
              return (
                <tr key={d.id}>
                  <td>{formatTime(d.started_at, ctx.timeZone)}</td>
                  <td>{d.kind}</td>
                  <td>{d.dose_mg} mg {d.medication} {d.route}</td>
                  <td>{d.volume_ml ? `${d.volume_ml} ml` : "—"}</td>
                  <td>{d.rate_mg_per_h ? `${d.rate_mg_per_h} mg/h` : "—"}</td>
                  <td>{draw ? `#${draw.container}, lot ${draw.lot_number}` : `lot ${d.lot_number}`}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <form onSubmit={submit} aria-label={first ? "Initial dose" : "Titration"}>
        <h3>{first ? "Initial dose" : "Titration"}</h3>
        <ProblemBanner error={write.error} shownFields={["medication", "route", "container", "devices", "dose_mg_per_kg", "dose_mg", "concentration_mg_per_ml", "infusion_minutes", "lot_number", "lot_expires_on", "ordered_by", "cap_override_reason"]} />
        <div className="grid2">
          <Field label="Medication" name="medication" problem={problem}>
            {(p) => (
              <select {...p} value={medication} onChange={(e) => { setMedication(e.target.value as typeof medication); setContainerId(""); }}>
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
          {controlled && keepsLedger && (
            <Field label="Drawn from container" name="container" problem={problem} hint={required ? "Required: the clinic's policy records every controlled dose with its container." : "Optional at this clinic."}>
              {(p) => (
                <select {...p} value={containerId} onChange={(e) => setContainerId(e.target.value)} required={required}>
                  <option value="">{required ? "Choose the container…" : "No container"}</option>
                  {choices.map((c) => (
                    <option key={c.id} value={c.id}>
                      {containerName(c, products.data)}: {c.on_hand_mg} mg left, expires {c.expires_on}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          )}
          {wholeDevices ? (
            <TextField label="Devices" name="devices" value={devices} onChange={setDevices} problem={problem} inputMode="numeric" hint={`${product!.unit_mg} mg each, used whole`} />
          ) : (
            <>
              <TextField label="Dose (mg/kg)" name="dose_mg_per_kg" value={mgPerKg} onChange={setMgPerKg} problem={problem} hint={weightKg ? `× recent weight ${weightKg} kg` : "No recent weight on file"} />
              <TextField label="or fixed dose (mg)" name="dose_mg" value={mg} onChange={setMg} problem={problem} />
            </>
          )}
          {container ? (
            <p className="hint">Lot {container.lot_number}, expires {container.expires_on}{concentration ? `, ${concentration} mg/ml` : ""} (from the container).</p>
          ) : required ? (
            <p className="hint">The lot, its expiry and the concentration come from the container.</p>
          ) : (
            <>
              <TextField label="Concentration (mg/ml)" name="concentration_mg_per_ml" value={conc} onChange={setConc} problem={problem} />
              <TextField label="Lot number" name="lot_number" value={lot} onChange={setLot} problem={problem} />
              <TextField label="Lot expires on" name="lot_expires_on" value={lotExpires} onChange={setLotExpires} problem={problem} type="date" />
            </>
          )}
          {route === "iv" && <TextField label="Infusion (minutes)" name="infusion_minutes" value={minutes} onChange={setMinutes} problem={problem} inputMode="numeric" />}
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
