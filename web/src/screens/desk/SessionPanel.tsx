import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { ApiError, api } from "../../api/client";
import type { DayBoard, DayBoardSession, Session } from "../../api/types";
import { Field } from "../../components/Field";
import { ProblemBanner } from "../../components/ProblemBanner";
import { kindLabel, statusLabel } from "../../lib/labels";
import { formatDateTime, formatTime } from "../../lib/time";
import { useClinic } from "../../session";
import { canConfirmRide, sessionBadges } from "./boardFlags";
import { FlagBadges } from "./FlagBadges";
import { ReschedulePanel } from "./ReschedulePanel";
import { RideConfirmForm } from "./RideConfirmForm";

/** One board block opened: who, when, where, with whom, what it is linked to, and the desk's actions. */
export function SessionPanel({ session: s, board, onClose }: { session: DayBoardSession; board: DayBoard; onClose: () => void }) {
  const clinic = useClinic();
  const tz = clinic.timezone;
  const queryClient = useQueryClient();
  const [reason, setReason] = useState("");
  const [mode, setMode] = useState<"none" | "cancel" | "reschedule">("none");
  const [notice, setNotice] = useState<string | null>(null);

  const detail = useQuery({ queryKey: ["session", s.id], queryFn: () => api.get<Session>(`/sessions/${s.id}/`) });

  const act = useMutation({
    mutationFn: (action: { path: string; body?: unknown; done: string }) => api.post<Session>(`/sessions/${s.id}/${action.path}/`, action.body),
    onSuccess: (session, action) => {
      setNotice(action.done + (session.late_cancel ? " This is a late cancellation." : ""));
      setMode("none");
      setReason("");
      queryClient.setQueryData(["session", s.id], session);
      void queryClient.invalidateQueries({ queryKey: ["day-board"] });
    },
  });
  const problem = act.error instanceof ApiError ? act.error.problem : null;
  const room = board.by_room.find((r) => r.room === s.room)?.name ?? (s.telehealth ? "Telehealth" : "No room");
  const scheduled = s.status === "scheduled";

  function cancel(e: FormEvent) {
    e.preventDefault();
    act.mutate({ path: "cancel", body: { reason }, done: "Cancelled." });
  }

  return (
    <aside className="card session-panel" aria-labelledby="panel-title">
      <div className="panel-head">
        <h2 id="panel-title">{s.patient.name}</h2>
        <button type="button" className="btn-secondary" onClick={onClose}>
          Close
        </button>
      </div>
      <dl className="facts">
        <dt>Session</dt>
        <dd>
          {kindLabel(s.kind)} · <strong>{statusLabel(s.status)}</strong>
          {s.flags.late && <span className="badge badge-warn">Late</span>}
          {s.flags.late_cancel && <span className="badge badge-danger">Late cancel</span>}
          <FlagBadges badges={sessionBadges(s)} />
        </dd>
        <dt>Time</dt>
        <dd>
          {formatDateTime(s.starts_at, tz)} – {formatTime(s.ends_at, tz)}
          <br />
          <span className="muted">
            Block {formatTime(s.block_starts_at, tz)} – {formatTime(s.block_ends_at, tz)}
          </span>
        </dd>
        <dt>Room</dt>
        <dd>{room}</dd>
        <dt>Staff</dt>
        <dd>
          {s.staff.length === 0 ? "None" : (
            <ul className="plain">
              {s.staff.map((a) => (
                <li key={`${a.staff}-${a.role}`}>
                  {a.name} <span className="muted">({a.role}, {a.mode})</span>
                </li>
              ))}
            </ul>
          )}
        </dd>
        <dt>Linked</dt>
        <dd>
          {s.linked.length === 0 ? "None" : (
            <ul className="plain">
              {s.linked.map((l) => (
                <li key={l.id}>
                  {kindLabel(l.kind)} {formatDateTime(l.starts_at, tz)} ({statusLabel(l.status)})
                </li>
              ))}
            </ul>
          )}
        </dd>
        {detail.data?.cancellation_reason && (
          <>
            <dt>Reason</dt>
            <dd>{detail.data.cancellation_reason}</dd>
          </>
        )}
      </dl>
      {notice && (
        <p role="status" className="banner banner-ok">
          {notice}
        </p>
      )}
      <ProblemBanner error={act.error} shownFields={["reason"]} />
      {scheduled && mode === "none" && (
        <div className="actions">
          <button type="button" className="btn-primary" disabled={act.isPending} onClick={() => act.mutate({ path: "check-in", done: "Checked in." })}>
            Check in
          </button>
          <button type="button" className="btn-secondary" disabled={act.isPending} onClick={() => act.mutate({ path: "no-show", done: "Marked as no-show." })}>
            No-show
          </button>
          <button type="button" className="btn-secondary" onClick={() => setMode("cancel")}>
            Cancel…
          </button>
          <button type="button" className="btn-secondary" onClick={() => setMode("reschedule")}>
            Reschedule…
          </button>
        </div>
      )}
      {mode === "cancel" && (
        <form onSubmit={cancel} className="subform">
          <Field label="Reason for cancelling" name="reason" problem={problem} hint="Cancelling inside the clinic's notice period is recorded as a late cancel.">
            {(p) => <textarea {...p} value={reason} required maxLength={300} rows={2} onChange={(e) => setReason(e.target.value)} />}
          </Field>
          <div className="actions">
            <button type="submit" className="btn-danger" disabled={act.isPending}>
              Cancel session
            </button>
            <button type="button" className="btn-secondary" onClick={() => setMode("none")}>
              Keep it
            </button>
          </div>
        </form>
      )}
      {mode === "none" && canConfirmRide(s) && <RideConfirmForm key={s.id} sessionId={s.id} onDone={setNotice} />}
      {mode === "reschedule" && (
        <ReschedulePanel
          session={s}
          onDone={(message) => {
            setNotice(message);
            setMode("none");
          }}
          onCancel={() => setMode("none")}
        />
      )}
    </aside>
  );
}
