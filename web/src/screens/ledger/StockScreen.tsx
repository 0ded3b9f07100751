import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, type Page } from "../../api/client";
import { useStaff } from "../../api/hooks";
import { containerName, ledgerKeys, P, quantityLabel, STOCK_ROLES, useContainers, useProducts, type Container, type Entry } from "../../api/ledger";
import { ProblemBanner } from "../../components/ProblemBanner";
import { formatDateTime } from "../../lib/time";
import { hasAnyRole, useClinic, useSession } from "../../session";
import { WastePanel } from "./WastePanel";

/** What the cabinet holds, the wastes waiting for a witness, and the waste step. */
export function StockScreen() {
  const clinic = useClinic();
  const { roles } = useSession();
  const stock = hasAnyRole(roles, STOCK_ROLES);
  const containers = useContainers(clinic.id);
  const products = useProducts();
  const [wasting, setWasting] = useState<Container | null>(null);
  const [showEmpty, setShowEmpty] = useState(false);
  if (containers.error) return <ProblemBanner error={containers.error} />;
  const rows = (containers.data ?? []).filter((c) => c.clinic === clinic.id && (showEmpty || Number(c.on_hand_mg) > 0));
  return (
    <section aria-labelledby="stock-title">
      <h1 id="stock-title">Controlled substances</h1>
      {stock && <PendingWastes />}
      <div className="card">
        <h2>Stock on hand</h2>
        <label className="check">
          <input type="checkbox" checked={showEmpty} onChange={(e) => setShowEmpty(e.target.checked)} /> Show empty containers
        </label>
        {!containers.data ? (
          <p role="status">Loading…</p>
        ) : rows.length === 0 ? (
          <p>No containers hold stock. {stock && "Receive a lot to start."}</p>
        ) : (
          <table className="table">
            <caption className="sr-only">Containers</caption>
            <thead>
              <tr><th scope="col">Container</th><th scope="col">Kind</th><th scope="col">Expires</th><th scope="col">On hand</th>{stock && <th scope="col"><span className="sr-only">Actions</span></th>}</tr>
            </thead>
            <tbody>
              {rows.map((c) => (
                <tr key={c.id} className={wasting?.id === c.id ? "row-selected" : undefined}>
                  <td>{containerName(c, products.data)}</td>
                  <td>{c.kind.replace("_", " ")}</td>
                  <td>{c.expires_on}</td>
                  <td data-testid={`on-hand-${c.id}`}>{quantityLabel(c.on_hand_mg, products.data?.get(c.product))}</td>
                  {stock && (
                    <td>
                      {Number(c.on_hand_mg) > 0 && (
                        <button type="button" className="btn-secondary" onClick={() => setWasting(c)} aria-label={`Waste from lot ${c.lot_number} (#${c.id})`}>
                          Waste…
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {wasting && <WastePanel key={wasting.id} container={wasting} product={products.data?.get(wasting.product)} onDone={() => setWasting(null)} />}
    </section>
  );
}

/** Wastes nobody has witnessed yet: a second person confirms from their own signed-in session. */
function PendingWastes() {
  const clinic = useClinic();
  const { me } = useSession();
  const staff = useStaff();
  const queryClient = useQueryClient();
  const pending = useQuery({
    queryKey: ledgerKeys.pendingWastes,
    queryFn: () => api.get<Page<Entry>>(`${P}/entries/`, { kind: "waste", witnessed: false, page_size: 200 }),
    refetchInterval: 30_000,
  });
  const witness = useMutation({
    mutationFn: (entryId: number) => api.post<Entry>(`${P}/entries/${entryId}/witness/`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["ledger"] }),
  });
  const entries = pending.data?.results ?? [];
  if (!entries.length && !witness.error) return null;
  return (
    <section className="card" aria-labelledby="pending-title">
      <h2 id="pending-title">Wastes waiting for a witness</h2>
      <ProblemBanner error={witness.error} />
      <ul className="plain">
        {entries.map((e) => {
          const mine = e.by === me?.staff_id;
          return (
            <li key={e.id} className="pending-waste">
              {Math.abs(Number(e.change_mg)).toFixed(2)} mg from lot {e.lot_number} (#{e.container}) by {staff.data?.get(e.by) ?? `staff #${e.by}`} at {formatDateTime(e.occurred_at, clinic.timezone)}: {e.reason}{" "}
              {mine ? (
                <span className="muted">(yours: another nurse or prescriber confirms it)</span>
              ) : (
                <button type="button" className="btn-primary" disabled={witness.isPending} onClick={() => witness.mutate(e.id)}>
                  I witnessed this waste
                </button>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
