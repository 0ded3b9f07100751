import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useParams } from "react-router";
import { ApiError, api, type Page } from "../../api/client";
import { useRooms, useStaff } from "../../api/hooks";
import type { Enrollment, Patient, PlannedSession, ProgramBookingResult, ProgramTemplate } from "../../api/types";
import { Field } from "../../components/Field";
import { ProblemBanner } from "../../components/ProblemBanner";
import { kindLabel } from "../../lib/labels";
import { addDays, formatDateTime, formatTime, localDate } from "../../lib/time";
import { useClinic } from "../../session";

/** Enroll a patient in a program, preview every proposed session, and book them all at once. */
export function EnrollScreen() {
  const { patientId } = useParams();
  const clinic = useClinic();
  const tz = clinic.timezone;
  const queryClient = useQueryClient();
  const [templateId, setTemplateId] = useState<number | null>(null);
  const [dateFrom, setDateFrom] = useState(addDays(localDate(new Date(), tz), 1));

  const patient = useQuery({ queryKey: ["patient", patientId], queryFn: () => api.get<Patient>(`/patients/${patientId}/`) });
  const enrollments = useQuery({
    queryKey: ["enrollments", patientId],
    queryFn: () => api.get<Page<Enrollment>>("/enrollments/", { patient: patientId, status: "active" }),
  });
  const templates = useQuery({
    queryKey: ["templates", "published"],
    queryFn: () => api.get<Page<ProgramTemplate>>("/program-templates/", { state: "published", page_size: 100 }),
  });
  const rooms = useRooms(clinic.id);
  const staff = useStaff();

  const enroll = useMutation({
    mutationFn: () => api.post<Enrollment>("/enrollments/", { patient: Number(patientId), template: templateId }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["enrollments", patientId] }),
  });

  const enrollment = enrollments.data?.results[0] ?? null;
  const planned = useQuery({
    queryKey: ["planned", enrollment?.id],
    queryFn: () => api.get<PlannedSession[]>(`/enrollments/${enrollment!.id}/planned-sessions/`),
    enabled: !!enrollment,
  });
  const stepOf = new Map((planned.data ?? []).map((p) => [p.id, p]));

  const preview = useMutation({
    mutationFn: () =>
      api.post<ProgramBookingResult>("/scheduling/program-booking/", { enrollment: enrollment!.id, date_from: dateFrom, preview: true }),
  });
  const book = useMutation({
    mutationFn: () => api.post<ProgramBookingResult>("/scheduling/program-booking/", { enrollment: enrollment!.id, date_from: dateFrom }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["planned"] });
      void queryClient.invalidateQueries({ queryKey: ["day-board"] });
    },
  });
  const previewProblem = preview.error instanceof ApiError ? preview.error.problem : null;
  const refusedSequence = (book.error instanceof ApiError ? book.error : preview.error instanceof ApiError ? preview.error : null)?.problem.body
    .sequence as number | undefined;
  const toBook = (planned.data ?? []).filter((p) => p.status === "to_book").length;

  function submitPreview(e: FormEvent) {
    e.preventDefault();
    book.reset();
    preview.mutate();
  }

  const proposal = book.data?.proposal ?? preview.data?.proposal ?? [];
  const firstDay = book.data?.sessions[0] ? localDate(new Date(book.data.sessions[0].starts_at), tz) : null;

  return (
    <section aria-labelledby="enroll-title">
      <p>
        <Link to={`/desk/patients/${patientId}`}>← Patient</Link>
      </p>
      <h1 id="enroll-title">
        Enroll and book{patient.data ? `: ${patient.data.first_name} ${patient.data.last_name}` : ""}
      </h1>
      <ProblemBanner error={patient.error ?? enrollments.error ?? templates.error} />

      {enrollments.data && !enrollment && (
        <form
          className="card"
          onSubmit={(e) => {
            e.preventDefault();
            enroll.mutate();
          }}
        >
          <fieldset className="choices">
            <legend>Program</legend>
            {(templates.data?.results ?? []).map((t) => (
              <label key={t.id} className="choice">
                <input type="radio" name="template" value={t.id} checked={templateId === t.id} onChange={() => setTemplateId(t.id)} />{" "}
                <strong>{t.name}</strong> <span className="muted">(version {t.version})</span>
                {t.description && <span className="choice-desc">{t.description}</span>}
              </label>
            ))}
          </fieldset>
          <ProblemBanner error={enroll.error} />
          <button type="submit" className="btn-primary" disabled={!templateId || enroll.isPending}>
            Enroll
          </button>
        </form>
      )}

      {enrollment && (
        <div className="card">
          <h2>
            {enrollment.template_name} <span className="muted">(enrolled, {toBook} sessions to book)</span>
          </h2>
          <form onSubmit={submitPreview} className="toolbar">
            <Field label={`First day (${tz})`} name="date_from" problem={previewProblem}>
              {(p) => <input {...p} type="date" value={dateFrom} required onChange={(e) => setDateFrom(e.target.value)} />}
            </Field>
            <button type="submit" className="btn-secondary" disabled={preview.isPending || toBook === 0}>
              {preview.isPending ? "Finding times…" : "Preview the sessions"}
            </button>
          </form>
          <ProblemBanner error={preview.error} shownFields={["date_from"]} />
          {proposal.length > 0 && (
            <table>
              <caption>{book.data ? `Booked: ${book.data.sessions.length} sessions` : `Proposed: ${proposal.length} sessions`}</caption>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Step</th>
                  <th scope="col">When</th>
                  <th scope="col">Staff</th>
                  <th scope="col">Room</th>
                </tr>
              </thead>
              <tbody>
                {proposal.map((item) => {
                  const p = stepOf.get(item.planned_session);
                  return (
                    <tr key={item.planned_session} className={item.sequence === refusedSequence ? "row-refused" : undefined}>
                      <td>{item.sequence}</td>
                      <td>
                        {p?.step_label ?? "Session"} <span className="muted">({kindLabel(p?.kind ?? "")})</span>
                      </td>
                      <td>
                        {formatDateTime(item.starts_at, tz)} – {formatTime(item.ends_at, tz)}
                      </td>
                      <td>{item.staff.map((a) => `${staff.data?.get(a.staff) ?? `#${a.staff}`} (${a.role})`).join(", ") || "—"}</td>
                      <td>{item.telehealth ? "Telehealth" : item.room ? (rooms.data?.get(item.room)?.name ?? `#${item.room}`) : "—"}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
          {preview.data && !book.data && (
            <div className="actions">
              <button type="button" className="btn-primary" disabled={book.isPending} onClick={() => book.mutate()}>
                {book.isPending ? "Booking…" : `Accept and book all ${proposal.length} sessions`}
              </button>
            </div>
          )}
          <ProblemBanner error={book.error} />
          {book.data && (
            <p role="status" className="banner banner-ok">
              Booked {book.data.sessions.length} sessions.{" "}
              {firstDay && <Link to={`/desk/board?date=${firstDay}`}>See the first one on the day board</Link>}
            </p>
          )}
        </div>
      )}
    </section>
  );
}
