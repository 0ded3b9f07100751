import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ApiError, api, saveFile } from "../../api/client";
import { P, useRegistrations, type DistributionSummary, type Reconciliation } from "../../api/ledger";
import { Field, TextField } from "../../components/Field";
import { ProblemBanner } from "../../components/ProblemBanner";
import { localDate } from "../../lib/time";
import { useClinic } from "../../session";

/** The dispensing log (CSV), the reconciliation of the period, and distributions against the 5 % limit. */
export function ReportsScreen() {
  const clinic = useClinic();
  const registrations = useRegistrations(clinic.id);
  const today = localDate(new Date(), clinic.timezone);
  const [registrationId, setRegistrationId] = useState("");
  const [start, setStart] = useState(`${today.slice(0, 8)}01`);
  const [end, setEnd] = useState(today);
  const registration = registrationId || String(registrations.data?.[0]?.id ?? "");
  const period = { start, end };
  const reconciliation = useQuery({
    queryKey: ["ledger", "reconciliation", clinic.id, start, end],
    queryFn: () => api.get<Reconciliation[]>(`${P}/reports/reconciliation/`, { clinic: clinic.id, ...period }),
    enabled: !!start && !!end,
  });
  const distributions = useQuery({
    queryKey: ["ledger", "distributions", registration, end.slice(0, 4)],
    queryFn: () => api.get<DistributionSummary>(`${P}/reports/distributions/`, { registration, year: end.slice(0, 4) }),
    enabled: !!registration && end.length === 10,
  });
  const download = useMutation({
    mutationFn: () => api.download(`${P}/reports/dispensing-log/`, { registration, ...period }, "dispensing-log.csv"),
    onSuccess: ({ blob, filename }) => saveFile(blob, filename),
  });
  const problem = download.error instanceof ApiError ? download.error.problem : null;
  const rows = reconciliation.data ?? [];
  const differing = rows.filter((r) => r.difference_mg !== null && Number(r.difference_mg) !== 0);
  return (
    <section aria-labelledby="reports-title">
      <h1 id="reports-title">Ledger reports</h1>
      <div className="card">
        <div className="toolbar">
          <Field label="DEA registration" name="registration" problem={problem}>
            {(p) => (
              <select {...p} value={registration} onChange={(e) => setRegistrationId(e.target.value)}>
                {(registrations.data ?? []).map((r) => (
                  <option key={r.id} value={r.id}>{r.number} ({r.name})</option>
                ))}
              </select>
            )}
          </Field>
          <TextField label="From" name="start" type="date" value={start} onChange={setStart} problem={problem} />
          <TextField label="To" name="end" type="date" value={end} onChange={setEnd} problem={problem} />
          <button type="button" className="btn-primary" disabled={!registration || download.isPending} onClick={() => download.mutate()}>
            Download the dispensing log (CSV)
          </button>
        </div>
        <ProblemBanner error={download.error} shownFields={["registration", "start", "end"]} />
        <p className="hint">One row per ledger entry with what 21 CFR 1304.22(c) asks (patient's name and address, drug, strength, form, quantity, date, who administered it) and each container's running balance. Every download is recorded in the audit trail.</p>
      </div>
      <div className="card">
        <h2>Reconciliation</h2>
        <ProblemBanner error={reconciliation.error} />
        {reconciliation.data && (
          <>
            <p role="status" className={differing.length ? "banner banner-error" : "banner banner-ok"} data-testid="reconciliation-summary">
              {differing.length ? `${differing.length} container(s) counted differently from the ledger.` : "Zero discrepancy: every count in the period matches the ledger."}
            </p>
            <table className="table">
              <caption className="sr-only">Per container over the period</caption>
              <thead>
                <tr><th scope="col">Container</th><th scope="col">Opening</th><th scope="col">Received</th><th scope="col">Administered</th><th scope="col">Wasted</th><th scope="col">Other</th><th scope="col">Expected</th><th scope="col">Counted</th><th scope="col">Difference</th></tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.container_id}>
                    <td>lot {r.lot_number} (#{r.container_id})</td>
                    <td>{r.opening_mg}</td>
                    <td>{r.received_mg}</td>
                    <td>{r.administered_mg}</td>
                    <td>{r.wasted_mg}</td>
                    <td>{r.other_mg}</td>
                    <td>{r.expected_mg}</td>
                    <td>{r.counted_mg ?? "not counted"}</td>
                    <td>{r.difference_mg ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p className="hint">All figures in mg. Difference: the period's last count against what the ledger held when it was counted.</p>
          </>
        )}
      </div>
      {distributions.data && (
        <div className="card">
          <h2>Distributions in {distributions.data.year}</h2>
          <p className={distributions.data.within_limit ? undefined : "banner banner-error"}>{distributions.data.note}</p>
        </div>
      )}
    </section>
  );
}
