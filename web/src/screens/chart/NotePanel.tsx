import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, ApiError } from "../../api/client";
import { chartKey, type ClinicalNote } from "../../api/chart";
import { Field } from "../../components/Field";
import { ProblemBanner } from "../../components/ProblemBanner";
import { formatDateTime } from "../../lib/time";

/** The sections each kind of note holds (the server refuses others). */
export const NOTE_SECTIONS: Record<string, { key: string; label: string }[]> = {
  preparation: [
    { key: "intentions", label: "Intentions" },
    { key: "psychoeducation", label: "Psychoeducation" },
    { key: "set_and_setting", label: "Set and setting" },
  ],
  dosing: [
    { key: "pre_dose_checks", label: "Pre-dose checks" },
    { key: "therapist_observations", label: "Therapist's observations" },
    { key: "patient_experience", label: "Patient's experience" },
  ],
  integration: [
    { key: "themes", label: "Themes" },
    { key: "insights", label: "Insights" },
    { key: "homework", label: "Homework" },
    { key: "mood", label: "Mood" },
    { key: "risk_check", label: "Risk check" },
  ],
  general: [],
};

const problemOf = (e: unknown) => (e instanceof ApiError ? e.problem : null);

/** The session's note: drafted, saved with its ETag, signed (then read-only), co-signed, amended by addenda. */
export function NotePanel({ sessionId, sessionKind, note, staffId, timeZone, prescriber }: { sessionId: number; sessionKind: string; note: ClinicalNote | null; staffId: number; timeZone: string; prescriber: boolean }) {
  const kind = note?.kind ?? (NOTE_SECTIONS[sessionKind] ? sessionKind : "general");
  const sections = NOTE_SECTIONS[kind] ?? [];
  const initial = (note?.sections ?? {}) as Record<string, string>;
  const [draft, setDraft] = useState<Record<string, string>>(() => Object.fromEntries(sections.map((s) => [s.key, String(initial[s.key] ?? "")])));
  const [body, setBody] = useState(note?.body ?? "");
  const [addendum, setAddendum] = useState("");
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: chartKey(sessionId) });
  const save = useMutation({
    mutationFn: () =>
      note
        ? api.patchIfMatch(`/chart/notes/${note.id}/`, { sections: draft, body }, note.etag)
        : api.post(`/chart/notes/`, { session: sessionId, sections: draft, body }),
    onSuccess: refresh,
  });
  const sign = useMutation({ mutationFn: () => api.post(`/chart/notes/${note!.id}/sign/`), onSuccess: refresh });
  const cosign = useMutation({ mutationFn: () => api.post(`/chart/notes/${note!.id}/cosign/`), onSuccess: refresh });
  const amend = useMutation({ mutationFn: () => api.post(`/chart/notes/${note!.id}/addenda/`, { body: addendum }), onSuccess: () => { setAddendum(""); return refresh(); } });
  const signed = note?.status === "signed";
  const error = save.error ?? sign.error ?? cosign.error;
  return (
    <section className="card" aria-labelledby="note-title">
      <h2 id="note-title">
        {kind.charAt(0).toUpperCase() + kind.slice(1)} note{" "}
        {note && <span className={`badge ${signed ? "badge-ok" : "badge-warn"}`}>{signed ? "Signed" : "Draft"}</span>}
      </h2>
      <ProblemBanner error={error} shownFields={["sections", "body"]} />
      {signed ? (
        <div className="note-signed" data-testid="signed-note">
          {sections.map((s) => (
            <div key={s.key}>
              <h3>{s.label}</h3>
              <p>{String(initial[s.key] ?? "") || "—"}</p>
            </div>
          ))}
          {note.body && <p>{note.body}</p>}
          <p className="muted">
            Signed {note.signed_at ? formatDateTime(note.signed_at, timeZone) : ""}
            {note.cosigned_at ? `; co-signed ${formatDateTime(note.cosigned_at, timeZone)}` : ""}. A signed note cannot be changed; add an addendum.
          </p>
          {kind === "dosing" && prescriber && !note.cosigned_at && note.author !== staffId && (
            <button type="button" className="btn-secondary" onClick={() => cosign.mutate()} disabled={cosign.isPending}>Co-sign</button>
          )}
        </div>
      ) : (
        <form onSubmit={(e) => { e.preventDefault(); save.mutate(); }} aria-label="Note">
          {sections.map((s) => (
            <Field key={s.key} label={s.label} name={`sections.${s.key}`} problem={problemOf(save.error)}>
              {(p) => <textarea {...p} rows={3} value={draft[s.key]} onChange={(e) => setDraft({ ...draft, [s.key]: e.target.value })} />}
            </Field>
          ))}
          <Field label="Note" name="body" problem={problemOf(save.error)}>
            {(p) => <textarea {...p} rows={3} value={body} onChange={(e) => setBody(e.target.value)} />}
          </Field>
          <button type="submit" className="btn-secondary" disabled={save.isPending}>Save draft</button>{" "}
          {note && (
            <button type="button" className="btn-primary" onClick={() => sign.mutate()} disabled={sign.isPending}>Sign note</button>
          )}
        </form>
      )}
      {note && note.addenda.length > 0 && (
        <>
          <h3>Addenda</h3>
          <ol className="addenda">
            {note.addenda.map((a) => (
              <li key={a.id}>
                <p>{a.body}</p>
                <p className="muted">{formatDateTime(a.created_at, timeZone)}</p>
              </li>
            ))}
          </ol>
        </>
      )}
      {signed && (
        <form onSubmit={(e) => { e.preventDefault(); amend.mutate(); }} aria-label="Addendum">
          <ProblemBanner error={amend.error} shownFields={["body"]} />
          <Field label="Addendum" name="body" problem={problemOf(amend.error)}>
            {(p) => <textarea {...p} rows={2} value={addendum} onChange={(e) => setAddendum(e.target.value)} />}
          </Field>
          <button type="submit" className="btn-primary" disabled={amend.isPending}>Add addendum</button>
        </form>
      )}
    </section>
  );
}
