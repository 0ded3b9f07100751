import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import { api, ApiError, type Page } from "../../api/client";
import type { components } from "../../api/schema";
import type { Session } from "../../api/types";
import { Field } from "../../components/Field";
import { ProblemBanner } from "../../components/ProblemBanner";
import { formatDateTime } from "../../lib/time";
import { useClinic } from "../../session";

type Plan = components["schemas"]["IntegrationPlan"];
const lines = (text: string) => text.split("\n").map((l) => l.trim()).filter(Boolean);

/** A therapist's integration plan for one enrollment (new version on save), and its integration sessions' notes. */
export function IntegrationScreen() {
  const enrollmentId = Number(useParams().enrollmentId);
  const clinic = useClinic();
  const queryClient = useQueryClient();
  const plans = useQuery({ queryKey: ["integration-plan", enrollmentId], queryFn: () => api.get<Page<Plan>>("/integration-plans/", { enrollment: enrollmentId }) });
  const sessions = useQuery({
    queryKey: ["integration-sessions", enrollmentId],
    queryFn: () => api.get<Page<Session>>("/sessions/", { enrollment: enrollmentId, kind: "integration", page_size: 100 }),
  });
  const plan = plans.data?.results[0];
  const [themes, setThemes] = useState("");
  const [goals, setGoals] = useState("");
  const [practices, setPractices] = useState("");
  const [homework, setHomework] = useState("");
  useEffect(() => {
    if (!plan) return;
    setThemes(plan.themes.join("\n"));
    setGoals(plan.goals.join("\n"));
    setPractices(plan.practices.join("\n"));
    setHomework(plan.homework);
  }, [plan]);
  const save = useMutation({
    mutationFn: () =>
      api.post<Plan>("/integration-plans/", { enrollment: enrollmentId, expected_version: plan?.version, themes: lines(themes), goals: lines(goals), practices: lines(practices), homework }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["integration-plan", enrollmentId] }),
  });
  const problem = save.error instanceof ApiError ? save.error.problem : null;
  const area = (label: string, name: string, value: string, set: (v: string) => void, hint?: string) => (
    <Field label={label} name={name} problem={problem} hint={hint}>
      {(p) => <textarea {...p} rows={3} value={value} onChange={(e) => set(e.target.value)} />}
    </Field>
  );
  return (
    <section aria-labelledby="plan-title">
      <h1 id="plan-title">Integration plan</h1>
      <ProblemBanner error={plans.error ?? save.error} shownFields={["themes", "goals", "practices", "homework"]} />
      {plan && <p className="muted">Version {plan.version}, updated {formatDateTime(plan.updated_at, clinic.timezone)}</p>}
      <form className="card" onSubmit={(e) => { e.preventDefault(); save.mutate(); }} aria-label="Integration plan">
        {area("Themes", "themes", themes, setThemes, "One per line")}
        {area("Goals", "goals", goals, setGoals, "One per line")}
        {area("Practices", "practices", practices, setPractices, "One per line")}
        {area("Homework", "homework", homework, setHomework)}
        <button type="submit" className="btn-primary" disabled={save.isPending}>Save a new version</button>
      </form>
      <h2>Integration sessions and their notes</h2>
      <ul>
        {(sessions.data?.results ?? []).map((s) => (
          <li key={s.id}>
            <Link to={`/chart/sessions/${s.id}`}>{formatDateTime(s.starts_at, clinic.timezone)}</Link> ({s.status})
          </li>
        ))}
      </ul>
    </section>
  );
}
