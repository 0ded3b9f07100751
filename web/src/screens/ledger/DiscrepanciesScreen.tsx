import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { ApiError, api, type Page } from "../../api/client";
import { useStaff } from "../../api/hooks";
import { P, type Discrepancy } from "../../api/ledger";
import { TextField } from "../../components/Field";
import { ProblemBanner } from "../../components/ProblemBanner";
import { formatDateTime } from "../../lib/time";
import { useClinic, useSession } from "../../session";

/** Counts that differed from the ledger: open until the registrant resolves them with a reason. */
export function DiscrepanciesScreen() {
  const clinic = useClinic();
  const [showResolved, setShowResolved] = useState(false);
  const list = useQuery({
    queryKey: ["ledger", "discrepancies", showResolved],
    queryFn: () => api.get<Page<Discrepancy>>(`${P}/discrepancies/`, { ...(showResolved ? {} : { open: true }), page_size: 200 }),
  });
  const rows = list.data?.results ?? [];
  return (
    <section aria-labelledby="disc-title">
      <h1 id="disc-title">Discrepancies</h1>
      <label className="check">
        <input type="checkbox" checked={showResolved} onChange={(e) => setShowResolved(e.target.checked)} /> Include resolved
      </label>
      <ProblemBanner error={list.error} />
      {!list.data ? (
        <p role="status">Loading…</p>
      ) : rows.length === 0 ? (
        <p className="banner banner-ok" role="status">No {showResolved ? "" : "open "}discrepancy: every count matched the ledger.</p>
      ) : (
        <ul className="plain">
          {rows.map((d) => (
            <li key={d.id} className="card">
              <DiscrepancyItem d={d} timeZone={clinic.timezone} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function DiscrepancyItem({ d, timeZone }: { d: Discrepancy; timeZone: string }) {
  const { roles } = useSession();
  const staff = useStaff();
  const queryClient = useQueryClient();
  const [resolution, setResolution] = useState("");
  const resolve = useMutation({
    mutationFn: () => api.post<Discrepancy>(`${P}/discrepancies/${d.id}/resolve/`, { resolution }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["ledger"] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    resolve.mutate();
  };
  const problem = resolve.error instanceof ApiError ? resolve.error.problem : null;
  return (
    <>
      <h2>
        Container #{d.container}: counted {d.counted_mg} mg, ledger {d.expected_mg} mg ({Number(d.difference_mg) > 0 ? "+" : ""}
        {d.difference_mg} mg)
      </h2>
      <p>
        Opened {d.opened_at ? formatDateTime(d.opened_at, timeZone) : ""} by count #{d.count}.{" "}
        {d.resolved_at ? `Resolved ${formatDateTime(d.resolved_at, timeZone)} by ${staff.data?.get(d.resolved_by ?? 0) ?? "the registrant"}: ${d.resolution}` : <strong>Open.</strong>}
      </p>
      {!d.resolved_at && roles.includes("prescriber") && (
        <form onSubmit={submit} aria-label={`Resolve discrepancy ${d.id}`}>
          <ProblemBanner error={resolve.error} shownFields={["resolution"]} />
          <TextField label="How it was resolved (registrant)" name="resolution" value={resolution} onChange={setResolution} problem={problem} />
          <button type="submit" className="btn-primary" disabled={resolve.isPending}>Resolve</button>
        </form>
      )}
    </>
  );
}
