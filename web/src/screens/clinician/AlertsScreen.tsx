import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";
import type { Alert } from "../../api/chart";
import { api, type Page } from "../../api/client";
import { ProblemBanner } from "../../components/ProblemBanner";
import { formatDateTime } from "../../lib/time";
import { useClinic } from "../../session";

/** Open alerts of the clinic, newest first, each acknowledged in place. */
export function AlertsScreen() {
  const clinic = useClinic();
  const queryClient = useQueryClient();
  const alerts = useQuery({
    queryKey: ["alerts", clinic.id],
    queryFn: () => api.get<Page<Alert>>("/chart/alerts/", { clinic: clinic.id, open: 1, page_size: 100 }),
    refetchInterval: 15_000,
  });
  const ack = useMutation({
    mutationFn: (id: number) => api.post<Alert>(`/chart/alerts/${id}/acknowledge/`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["alerts"] }),
  });
  const rows = alerts.data?.results ?? [];
  return (
    <section aria-labelledby="alerts-title">
      <h1 id="alerts-title">Alerts</h1>
      <ProblemBanner error={alerts.error ?? ack.error} />
      {alerts.data && rows.length === 0 && <p>No open alerts.</p>}
      <ul className="plain alert-list">
        {rows.map((a) => (
          <li key={a.id} className={`card alert-${a.priority}`}>
            <p>
              <strong>{a.priority === "high" ? "High priority" : "Alert"}:</strong> {a.message}
            </p>
            <p className="muted">
              Raised {formatDateTime(a.raised_at, clinic.timezone)}
              {a.session && (
                <>
                  {" "}· <Link to={`/chart/sessions/${a.session}`}>Open the session chart</Link>
                </>
              )}{" "}
              · <Link to={`/chart/patients/${a.patient}/measures`}>Measures</Link> ·{" "}
              <Link to={`/chart/alerts/${a.id}`}>Who was told</Link>
            </p>
            <button type="button" className="btn-primary" onClick={() => ack.mutate(a.id)} disabled={ack.isPending}>
              Acknowledge
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
