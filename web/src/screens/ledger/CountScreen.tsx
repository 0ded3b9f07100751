import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { ApiError, api } from "../../api/client";
import { P, type Count, type CountSheetContainer } from "../../api/ledger";
import { Field } from "../../components/Field";
import { ProblemBanner } from "../../components/ProblemBanner";
import { formatDateTime, localDate, localTime, zonedIso } from "../../lib/time";
import { useClinic } from "../../session";

/**
 * The blind count: the counter sees which containers to count, never how much the ledger expects,
 * and enters what they see. Differences open discrepancies for the registrant, not for the counter.
 */
export function CountScreen() {
  const clinic = useClinic();
  const queryClient = useQueryClient();
  const sheet = useQuery({
    queryKey: ["ledger", "count-sheet", clinic.id],
    queryFn: () => api.get<CountSheetContainer[]>(`${P}/containers/count-sheet/`, { clinic: clinic.id }),
  });
  const [kind, setKind] = useState<"shift" | "daily" | "biennial">("daily");
  const [counted, setCounted] = useState<Record<number, string>>({});
  const [recorded, setRecorded] = useState<Count | null>(null);
  const record = useMutation({
    mutationFn: () => {
      const now = new Date();
      return api.post<Count>(`${P}/counts/`, {
        clinic: clinic.id,
        kind,
        counted_at: zonedIso(localDate(now, clinic.timezone), localTime(now, clinic.timezone), clinic.timezone),
        lines: (sheet.data ?? []).map((c) =>
          c.counts_devices ? { container: c.id, counted_devices: Number(counted[c.id] ?? "") } : { container: c.id, counted_mg: counted[c.id] ?? "" },
        ),
      });
    },
    onSuccess: async (count) => {
      setRecorded(count);
      setCounted({});
      await queryClient.invalidateQueries({ queryKey: ["ledger"] });
    },
  });
  const problem = record.error instanceof ApiError ? record.error.problem : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    record.mutate();
  };
  if (sheet.error) return <ProblemBanner error={sheet.error} />;
  return (
    <section aria-labelledby="count-title">
      <h1 id="count-title">Blind count</h1>
      <p>Count what is in the cabinet and enter what you see. The ledger's figures are not shown; any difference goes to the registrant.</p>
      {recorded && (
        <p role="status" className="banner banner-ok">
          Count recorded at {formatDateTime(recorded.counted_at, clinic.timezone)}: {recorded.lines.length} container{recorded.lines.length === 1 ? "" : "s"} counted.
        </p>
      )}
      {!sheet.data ? (
        <p role="status">Loading the count sheet…</p>
      ) : sheet.data.length === 0 ? (
        <p>No container holds stock: nothing to count.</p>
      ) : (
        <form className="card" onSubmit={submit} aria-label="Blind count">
          <ProblemBanner error={record.error} shownFields={["kind"]} />
          <Field label="Kind of count" name="kind" problem={problem}>
            {(p) => (
              <select {...p} value={kind} onChange={(e) => setKind(e.target.value as typeof kind)}>
                <option value="shift">Shift count</option>
                <option value="daily">Daily count</option>
                <option value="biennial">Biennial inventory</option>
              </select>
            )}
          </Field>
          <table className="table">
            <caption>Count sheet</caption>
            <thead>
              <tr><th scope="col">Product</th><th scope="col">Lot</th><th scope="col">Expires</th><th scope="col">Counted</th></tr>
            </thead>
            <tbody>
              {sheet.data.map((c) => (
                <tr key={c.id}>
                  <td>{c.product_name} {c.strength} ({c.kind.replace("_", " ")} #{c.id})</td>
                  <td>{c.lot_number}</td>
                  <td>{c.expires_on}</td>
                  <td>
                    <label className="count-input">
                      <span className="sr-only">Counted {c.counts_devices ? "devices" : "mg"} in lot {c.lot_number} (#{c.id})</span>
                      <input value={counted[c.id] ?? ""} onChange={(e) => setCounted({ ...counted, [c.id]: e.target.value })} inputMode="decimal" required aria-invalid={!!problem?.fieldErrors[`lines[${c.id}]`]} />{" "}
                      {c.counts_devices ? "devices" : "mg"}
                    </label>
                    {problem?.fieldErrors[`lines[${c.id}]`] && <span className="field-errors"> {problem.fieldErrors[`lines[${c.id}]`].join(" ")}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <button type="submit" className="btn-primary" disabled={record.isPending}>Record count</button>
        </form>
      )}
    </section>
  );
}
