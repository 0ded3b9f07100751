import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { ApiError, api } from "../../api/client";
import type { DayBoardSession, Session } from "../../api/types";
import { Field } from "../../components/Field";
import { ProblemBanner } from "../../components/ProblemBanner";
import { kindLabel } from "../../lib/labels";
import { formatDateTime, localDate, localTime, zonedIso } from "../../lib/time";
import { useClinic } from "../../session";

interface Move {
  session: number;
  starts_at: string;
  room: number | null;
  telehealth: boolean;
  staff: { role: string; staff: number }[];
}

/**
 * Move one session. When its integration session would leave its window, the API refuses and
 * proposes moving both: the desk sees the proposal and can accept it in one step.
 */
export function ReschedulePanel({ session, onDone, onCancel }: { session: DayBoardSession; onDone: (message: string) => void; onCancel: () => void }) {
  const clinic = useClinic();
  const tz = clinic.timezone;
  const queryClient = useQueryClient();
  const [date, setDate] = useState(localDate(new Date(session.starts_at), tz));
  const [time, setTime] = useState(localTime(new Date(session.starts_at), tz));

  const done = (message: string) => {
    void queryClient.invalidateQueries({ queryKey: ["day-board"] });
    void queryClient.invalidateQueries({ queryKey: ["session"] });
    onDone(message);
  };

  const move = useMutation({
    mutationFn: () => api.post<Session>(`/sessions/${session.id}/reschedule/`, { starts_at: zonedIso(date, time, tz) }),
    onSuccess: (moved) => done(`Moved to ${formatDateTime(moved.starts_at, tz)}.`),
  });
  const together = useMutation({
    mutationFn: (moves: Move[]) => api.post<Session[]>("/sessions/reschedule-together/", { moves }),
    onSuccess: (moved) => done(`Moved together: ${moved.map((m) => `${kindLabel(m.kind)} ${formatDateTime(m.starts_at, tz)}`).join("; ")}.`),
  });

  const problem = move.error instanceof ApiError ? move.error.problem : null;
  const proposal = (problem?.body.proposal as Move[] | null | undefined) ?? null;

  function submit(e: FormEvent) {
    e.preventDefault();
    together.reset();
    move.mutate();
  }

  return (
    <form onSubmit={submit} className="subform" aria-label="Reschedule">
      <div className="grid2">
        <Field label={`New date (${tz})`} name="starts_at" problem={problem}>
          {(p) => <input {...p} type="date" value={date} required onChange={(e) => setDate(e.target.value)} />}
        </Field>
        <Field label="New start time" name="starts_at_time">
          {(p) => <input {...p} type="time" value={time} required step={300} onChange={(e) => setTime(e.target.value)} />}
        </Field>
      </div>
      <ProblemBanner error={move.error} shownFields={["starts_at"]} />
      {proposal && proposal.length > 0 && (
        <div className="banner banner-info">
          <p className="banner-detail">Move them together instead:</p>
          <ul>
            {proposal.map((m) => (
              <li key={m.session}>
                {m.session === session.id ? kindLabel(session.kind) : "Linked session"} to {formatDateTime(m.starts_at, tz)}
              </li>
            ))}
          </ul>
          <button type="button" className="btn-primary" disabled={together.isPending} onClick={() => together.mutate(proposal)}>
            Move both
          </button>
        </div>
      )}
      <ProblemBanner error={together.error} />
      <div className="actions">
        <button type="submit" className="btn-primary" disabled={move.isPending}>
          Move
        </button>
        <button type="button" className="btn-secondary" onClick={onCancel}>
          Back
        </button>
      </div>
    </form>
  );
}
