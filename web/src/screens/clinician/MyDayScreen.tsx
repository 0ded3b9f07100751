import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, type Page } from "../../api/client";
import type { Session } from "../../api/types";
import { ProblemBanner } from "../../components/ProblemBanner";
import { dayBounds, formatDate, formatTime, localDate } from "../../lib/time";
import { kindLabel, statusLabel } from "../../lib/labels";
import { useClinic, useSession } from "../../session";

/** What comes next for the patient, from the session's status (the chart says what is unmet). */
export function nextStep(session: Pick<Session, "status" | "kind">): string {
  switch (session.status) {
    case "scheduled":
      return "Waiting for check-in";
    case "checked_in":
      return session.kind === "dosing" ? "Pre-dose checks, then the first dose" : "Ready to start";
    case "in_progress":
      return session.kind === "dosing" ? "Monitoring: vitals, sedation, discharge" : "In session: write the note";
    case "completed":
      return "Sign the note";
    default:
      return "—";
  }
}

/** The sessions the signed-in clinician is assigned to today, in the clinic's zone. */
export function MyDayScreen() {
  const clinic = useClinic();
  const { me } = useSession();
  const today = localDate(new Date(), clinic.timezone);
  const [from, to] = dayBounds(today, clinic.timezone);
  const sessions = useQuery({
    queryKey: ["my-day", clinic.id, me?.staff_id, today],
    queryFn: () =>
      api.get<Page<Session>>("/sessions/", { clinic: clinic.id, staff: me?.staff_id, starts_after: from.toISOString(), starts_before: to.toISOString(), page_size: 100 }),
    enabled: !!me?.staff_id,
    refetchInterval: 30_000,
  });
  const rows = (sessions.data?.results ?? []).filter((s) => s.status !== "cancelled").sort((a, b) => a.starts_at.localeCompare(b.starts_at));
  return (
    <section aria-labelledby="myday-title">
      <h1 id="myday-title">My day: {formatDate(today)}</h1>
      <ProblemBanner error={sessions.error} />
      {sessions.isLoading && <p role="status">Loading…</p>}
      {sessions.data && rows.length === 0 && <p>No sessions assigned to you today.</p>}
      {rows.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Patient</th>
              <th scope="col">Session</th>
              <th scope="col">Status</th>
              <th scope="col">Next step</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((s) => (
              <tr key={s.id}>
                <td>{formatTime(s.starts_at, clinic.timezone)}</td>
                <td>
                  <Link to={`/chart/sessions/${s.id}`}>{s.patient_name}</Link>
                </td>
                <td>{kindLabel(s.kind)}</td>
                <td>{statusLabel(s.status)}</td>
                <td>{nextStep(s)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
