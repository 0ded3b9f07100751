import { useMutation, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useParams } from "react-router";
import { ApiError, api } from "../../api/client";
import type { CheckInLink, CheckInReceipt } from "../../api/types";
import { Field } from "../../components/Field";
import { ProblemBanner } from "../../components/ProblemBanner";
import { QUESTIONNAIRES, needsCrisisLine } from "./questions";

/** What a patient's link opens: no login, phone first, plain words. */
export function CheckInPage() {
  const { patientId, token } = useParams();
  const path = `/checkins/${patientId}/${token}/`;
  const link = useQuery({ queryKey: ["checkin-link", path], queryFn: () => api.publicGet<CheckInLink>(path), retry: false });

  return (
    <main id="main" className="checkin">
      {link.isPending && <p role="status">Loading your check-in…</p>}
      {link.error && <LinkRefused error={link.error} />}
      {link.data && <CheckInForm link={link.data} path={path} />}
    </main>
  );
}

function LinkRefused({ error }: { error: unknown }) {
  const status = error instanceof ApiError ? error.status : 0;
  if (status === 403 || status === 404) {
    return (
      <section aria-labelledby="refused-title" className="checkin-card">
        <h1 id="refused-title">This link no longer works</h1>
        <p>It has expired or is not complete. Please ask the clinic for a new check-in link.</p>
        <p>If you need help now, call the clinic, or in an emergency call 911.</p>
      </section>
    );
  }
  return <ProblemBanner error={error} />;
}

function CrisisLine({ line, message }: { line: string; message?: string }) {
  return (
    <section role="alert" aria-labelledby="crisis-title" className="crisis">
      <h2 id="crisis-title">You do not have to wait. Help is available now.</h2>
      <p className="crisis-line">
        Call or text <a href={`tel:${line.replace(/[^\d+]/g, "")}`}>{line}</a>
      </p>
      <p>{message ?? "If you are thinking about harming yourself, call or text this line now, or call 911."}</p>
    </section>
  );
}

function CheckInForm({ link, path }: { link: CheckInLink; path: string }) {
  const questionnaire = link.scale ? QUESTIONNAIRES[link.scale] : undefined;
  const [mood, setMood] = useState<number | null>(null);
  const [sleep, setSleep] = useState("");
  const [note, setNote] = useState("");
  const [answers, setAnswers] = useState<(number | null)[]>(() => (questionnaire ? questionnaire.items.map(() => null) : []));

  const submit = useMutation({
    mutationFn: () =>
      api.publicPost<CheckInReceipt>(path, {
        mood_0_10: mood,
        ...(sleep ? { sleep_hours: sleep } : {}),
        note,
        ...(questionnaire ? { scale: link.scale, scale_answers: answers } : {}),
      }),
  });
  const problem = submit.error instanceof ApiError ? submit.error.problem : null;
  const alreadySent = link.answered || problem?.status === 409;
  const showCrisis = submit.data?.crisis ?? (needsCrisisLine(link.scale, answers) ? { line: link.crisis_line, message: undefined } : null);

  function send(e: FormEvent) {
    e.preventDefault();
    submit.mutate();
  }

  return (
    <>
      <header className="checkin-head">
        <p className="checkin-clinic">{link.clinic_name}</p>
        <h1>Your check-in</h1>
      </header>
      {showCrisis && <CrisisLine line={showCrisis.line} message={showCrisis.message} />}
      {alreadySent && !submit.data ? (
        <section className="checkin-card" aria-labelledby="done-title">
          <h2 id="done-title">This check-in was already sent</h2>
          <p>Thank you. You do not need to do anything else with this link.</p>
        </section>
      ) : submit.data ? (
        <section className="checkin-card" aria-labelledby="done-title" role="status">
          <h2 id="done-title">Thank you, your check-in was sent</h2>
          <p>The clinic team will read it.</p>
        </section>
      ) : (
        <form onSubmit={send} className="checkin-card" noValidate>
          <ProblemBanner error={submit.error} shownFields={["mood_0_10", "sleep_hours", "note", "scale_answers"]} />
          <fieldset className="scale" aria-describedby={problem?.fieldErrors.mood_0_10 ? "mood-err" : undefined}>
            <legend>How is your mood today, from 0 (very low) to 10 (very good)?</legend>
            <div className="scale-options">
              {Array.from({ length: 11 }, (_, i) => (
                <label key={i} className="scale-option">
                  <input type="radio" name="mood" value={i} checked={mood === i} onChange={() => setMood(i)} />
                  <span>{i}</span>
                </label>
              ))}
            </div>
            {problem?.fieldErrors.mood_0_10 && (
              <p id="mood-err" className="field-errors">
                {problem.fieldErrors.mood_0_10.join(" ")}
              </p>
            )}
          </fieldset>
          <Field label="How many hours did you sleep last night? (optional)" name="sleep_hours" problem={problem}>
            {(p) => <input {...p} type="number" inputMode="decimal" min={0} max={24} step={0.5} value={sleep} onChange={(e) => setSleep(e.target.value)} />}
          </Field>
          {questionnaire && (
            <fieldset className="questionnaire">
              <legend>{questionnaire.title}</legend>
              <p>{questionnaire.intro}</p>
              {questionnaire.items.map((item, i) => (
                <fieldset key={item} className="question">
                  <legend>
                    {i + 1}. {item}
                  </legend>
                  {questionnaire.options.map((option, value) => (
                    <label key={option} className="answer">
                      <input
                        type="radio"
                        name={`q${i}`}
                        checked={answers[i] === value}
                        onChange={() => setAnswers((a) => a.map((v, j) => (j === i ? value : v)))}
                      />{" "}
                      {option}
                    </label>
                  ))}
                </fieldset>
              ))}
              {problem && (problem.fieldErrors.scale_answers ?? []).length > 0 && (
                <p className="field-errors">{problem.fieldErrors.scale_answers.join(" ")}</p>
              )}
            </fieldset>
          )}
          <Field label="Anything you want the team to know? (optional)" name="note" problem={problem}>
            {(p) => <textarea {...p} rows={3} maxLength={4000} value={note} onChange={(e) => setNote(e.target.value)} />}
          </Field>
          <button type="submit" className="btn-primary btn-large" disabled={submit.isPending}>
            {submit.isPending ? "Sending…" : "Send my check-in"}
          </button>
        </form>
      )}
      <footer className="checkin-foot">
        In a crisis, call or text <a href={`tel:${link.crisis_line.replace(/[^\d+]/g, "")}`}>{link.crisis_line}</a>, or call 911.
      </footer>
    </>
  );
}
