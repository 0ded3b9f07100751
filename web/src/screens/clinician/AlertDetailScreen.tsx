import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import type { Alert } from "../../api/chart";
import { api, type Page } from "../../api/client";
import { useStaff } from "../../api/hooks";
import type { FollowUp } from "../../api/types";
import { ProblemBanner } from "../../components/ProblemBanner";
import { formatDateTime } from "../../lib/time";
import { useClinic } from "../../session";
import { alertKindLabel, escalationRows, nextPage } from "./escalation";

/**
 * One alert, where a page's link leads (`/alerts/:id`): what it is, whether it is still open, who
 * was told and who is paged next while nobody acknowledges it.
 */
export function AlertDetailScreen() {
  const alertId = Number(useParams().alertId);
  const clinic = useClinic();
  const queryClient = useQueryClient();
  const staff = useStaff();
  const alert = useQuery({
    queryKey: ["alert", alertId],
    queryFn: () => api.get<Alert>(`/chart/alerts/${alertId}/`),
    refetchInterval: 15_000,
  });
  const items = useQuery({
    queryKey: ["alert-escalation", alertId],
    queryFn: () => api.get<Page<FollowUp>>("/followups/", { alert: alertId, page_size: 100 }),
    refetchInterval: 15_000,
  });
  const ack = useMutation({
    mutationFn: () => api.post<Alert>(`/chart/alerts/${alertId}/acknowledge/`),
    onSuccess: () =>
      Promise.all(
        [["alert", alertId], ["alert-escalation", alertId], ["alerts"]].map((queryKey) =>
          queryClient.invalidateQueries({ queryKey }),
        ),
      ),
  });
  const a = alert.data;
  const rows = items.data ? escalationRows(items.data.results) : [];
  const next = items.data ? nextPage(items.data.results, new Date()) : undefined;
  return (
    <section aria-labelledby="alert-title">
      <p>
        <Link to="/chart/alerts">All open alerts</Link>
      </p>
      <h1 id="alert-title">{a ? `${a.priority === "high" ? "High-priority alert" : "Alert"}: ${alertKindLabel(a.kind)}` : "Alert"}</h1>
      <ProblemBanner error={alert.error ?? items.error ?? ack.error} />
      {a && (
        <div className={`card alert-${a.priority}`}>
          <p>{a.message}</p>
          <p className="muted">
            Raised {formatDateTime(a.raised_at, clinic.timezone)}
            {a.session && (
              <>
                {" "}· <Link to={`/chart/sessions/${a.session}`}>Open the session chart</Link>
              </>
            )}{" "}
            · <Link to={`/chart/patients/${a.patient}/measures`}>Measures</Link>
          </p>
          {a.acknowledged_at ? (
            <p role="status">
              Acknowledged by {(a.acknowledged_by && staff.data?.get(a.acknowledged_by)) ?? "a colleague"},{" "}
              {formatDateTime(a.acknowledged_at, clinic.timezone)}. No one else will be paged.
            </p>
          ) : (
            <>
              <p role="status">
                <strong>Open.</strong>{" "}
                {/* Nothing said of the next page until the escalation is read: "no one further" would be untrue. */}
                {!items.data
                  ? "Reading who is paged next…"
                  : next
                    ? `If no one acknowledges it, ${next.staff_name ?? "the next person"} is paged at ${formatDateTime(next.due_at, clinic.timezone)}.`
                    : "No one further is due to be paged."}
              </p>
              <button type="button" className="btn-primary" onClick={() => ack.mutate()} disabled={ack.isPending}>
                Acknowledge
              </button>
            </>
          )}
        </div>
      )}
      {items.data && (
        <table>
          <caption>Who was told</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Why</th>
              <th scope="col">How</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                <td>{formatDateTime(r.dueAt, clinic.timezone)}</td>
                <td>{r.who}</td>
                <td>{r.why}</td>
                <td>{r.how}</td>
                <td>{r.state}</td>
              </tr>
            ))}
            {rows.length === 0 && (
              <tr>
                <td colSpan={5}>No one was told through the app or paged.</td>
              </tr>
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}
