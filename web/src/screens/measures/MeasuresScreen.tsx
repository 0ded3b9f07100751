import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useParams } from "react-router";
import type { Alert, ScaleTrend } from "../../api/chart";
import { api, type Page } from "../../api/client";
import type { components } from "../../api/schema";
import type { Enrollment, Patient } from "../../api/types";
import { ProblemBanner } from "../../components/ProblemBanner";
import { formatDateTime } from "../../lib/time";
import { useClinic } from "../../session";
import { scaleName, TrendChart } from "./TrendChart";

type ScaleResponse = components["schemas"]["ScaleResponse"];
const ITEMS: Record<string, number> = { phq9: 9, gad7: 7 };
const ANSWERS = ["0: not at all", "1: several days", "2: more than half the days", "3: nearly every day"];

/** A patient's rating scales: entered item by item, and their trends per enrollment. */
export function MeasuresScreen() {
  const patientId = Number(useParams().patientId);
  const clinic = useClinic();
  const queryClient = useQueryClient();
  const patient = useQuery({ queryKey: ["patient", patientId], queryFn: () => api.get<Patient>(`/patients/${patientId}/`) });
  const enrollments = useQuery({ queryKey: ["enrollments", patientId], queryFn: () => api.get<Page<Enrollment>>("/enrollments/", { patient: patientId }) });
  const [enrollment, setEnrollment] = useState<number | "">("");
  const chosen = enrollment || enrollments.data?.results[0]?.id || "";
  const trends = useQuery({
    queryKey: ["trends", patientId, chosen],
    queryFn: () => api.get<ScaleTrend[]>("/chart/scale-responses/trend/", { patient: patientId, enrollment: chosen || undefined }),
    enabled: enrollments.isSuccess,
  });
  const item9 = useQuery({
    queryKey: ["alerts", "item9", patientId],
    queryFn: () => api.get<Page<Alert>>("/chart/alerts/", { patient: patientId, kind: "phq9_item9", open: 1 }),
  });
  const [scale, setScale] = useState("phq9");
  const [answers, setAnswers] = useState<(number | null)[]>(() => Array(9).fill(null));
  const record = useMutation({
    mutationFn: () => api.post<ScaleResponse>("/chart/scale-responses/", { patient: patientId, scale, answers, enrollment: chosen || null, source: "clinician" }),
    onSuccess: () => {
      setAnswers(Array(ITEMS[scale]).fill(null));
      return Promise.all([["trends"], ["alerts"]].map((k) => queryClient.invalidateQueries({ queryKey: k })));
    },
  });
  const chooseScale = (s: string) => {
    setScale(s);
    setAnswers(Array(ITEMS[s]).fill(null));
  };
  const name = patient.data ? `${patient.data.first_name} ${patient.data.last_name}` : "";
  return (
    <section aria-labelledby="measures-title">
      <h1 id="measures-title">Measures{name && `: ${name}`}</h1>
      <ProblemBanner error={patient.error ?? trends.error} />
      {(item9.data?.results ?? []).map((a) => (
        <p key={a.id} role="alert" className="banner banner-error">
          <strong>PHQ-9 item 9 (thoughts of self-harm):</strong> {a.message} Raised {formatDateTime(a.raised_at, clinic.timezone)}.
        </p>
      ))}
      {record.data?.high_risk && <p role="alert" className="banner banner-error">Item 9 answered above 0: an alert went to the care team.</p>}
      <div className="toolbar">
        <label>
          Enrollment{" "}
          <select value={chosen} onChange={(e) => setEnrollment(e.target.value ? Number(e.target.value) : "")}>
            {(enrollments.data?.results ?? []).map((en) => (
              <option key={en.id} value={en.id}>
                #{en.id} {String((en as Record<string, unknown>).template_name ?? "")} {String((en as Record<string, unknown>).status ?? "")}
              </option>
            ))}
            <option value="">All responses</option>
          </select>
        </label>
      </div>
      <div className="grid-trends">
        {(trends.data ?? []).filter((t) => t.scale === "phq9" || t.scale === "gad7").map((t) => (
          <TrendChart key={t.scale} trend={t} timeZone={clinic.timezone} />
        ))}
        {trends.data && trends.data.length === 0 && <p>No rating scales in this enrollment yet.</p>}
      </div>
      <form className="card" onSubmit={(e) => { e.preventDefault(); record.mutate(); }} aria-labelledby="scale-entry-title">
        <h2 id="scale-entry-title">Enter a rating scale</h2>
        <ProblemBanner error={record.error} />
        <label>
          Scale{" "}
          <select value={scale} onChange={(e) => chooseScale(e.target.value)}>
            <option value="phq9">PHQ-9</option>
            <option value="gad7">GAD-7</option>
          </select>
        </label>
        <p className="muted">Over the last two weeks, how often has the patient been bothered by…</p>
        {answers.map((v, i) => (
          <fieldset key={`${scale}-${i}`} className="scale-item">
            <legend>{scaleName(scale)} item {i + 1}{scale === "phq9" && i === 8 ? " (thoughts of being better off dead or of self-harm)" : ""}</legend>
            {ANSWERS.map((label, n) => (
              <label key={n} className="check">
                <input type="radio" name={`${scale}-item-${i}`} checked={v === n} onChange={() => setAnswers(answers.map((x, j) => (j === i ? n : x)))} /> {label}
              </label>
            ))}
          </fieldset>
        ))}
        <p>Total so far: {answers.reduce<number>((a, b) => a + (b ?? 0), 0)}</p>
        <button type="submit" className="btn-primary" disabled={record.isPending || answers.some((a) => a === null)}>Record {scaleName(scale)}</button>
      </form>
    </section>
  );
}
