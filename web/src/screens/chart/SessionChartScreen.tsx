import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { useChart, useLimits, useWeights, type ChecklistItem } from "../../api/chart";
import { api } from "../../api/client";
import { useStaff } from "../../api/hooks";
import type { Session } from "../../api/types";
import { ProblemBanner } from "../../components/ProblemBanner";
import { formatDateTime, formatTime } from "../../lib/time";
import { kindLabel, statusLabel } from "../../lib/labels";
import { STOCK_ROLES } from "../../api/ledger";
import { hasAnyRole, useClinic, useSession } from "../../session";
import { AlertsBanner, RemsPanel, ScoresPanel, VitalsPanel } from "./ChartPanels";
import { DosePanel } from "./DosePanel";
import type { DoseCap } from "./doseMath";
import { ChecklistPanel } from "./GatePanel";
import { NotePanel } from "./NotePanel";

/** One session's chart: gate, dosing, vitals, scores, discharge, note, REMS. Refetched every 15 s and after each write. */
export function SessionChartScreen() {
  const sessionId = Number(useParams().sessionId);
  const clinic = useClinic();
  const { me, roles } = useSession();
  const chart = useChart(sessionId);
  const session = useQuery({ queryKey: ["session", sessionId], queryFn: () => api.get<Session>(`/sessions/${sessionId}/`) });
  const limits = useLimits(sessionId);
  const weights = useWeights(session.data?.patient);
  const staff = useStaff();
  if (chart.error) return <ProblemBanner error={chart.error} />;
  if (!chart.data || !session.data || !me?.staff_id) return <p role="status" className="loading">Loading the chart…</p>;
  const c = chart.data;
  const s = session.data;
  const prescriber = roles.includes("prescriber");
  const ctx = { sessionId, patientId: s.patient, staffId: me.staff_id, timeZone: clinic.timezone, prescriber };
  const weight = weights.data?.[0]?.weight_kg ?? null;
  const thresholds = (limits.data?.thresholds ?? {}) as Record<string, Record<string, number> | null>;
  const caps = (limits.data?.dose_caps ?? []) as unknown as DoseCap[];
  const prescribers = s.assignments.filter((a) => a.role === "prescriber").map((a) => ({ id: a.staff, name: a.staff_name }));
  if (prescriber && !prescribers.some((p) => p.id === me.staff_id)) prescribers.push({ id: me.staff_id, name: staff.data?.get(me.staff_id) ?? me.name });
  const readyAt = (c.discharge.unmet as unknown as ChecklistItem[]).find((i) => i.item === "monitoring_time")?.ready_at;
  return (
    <div className="chart-screen">
      <header className="panel-head">
        <div>
          <h1>
            {s.patient_name}: {kindLabel(s.kind)} session
          </h1>
          <p>
            {formatDateTime(s.starts_at, clinic.timezone)} · {statusLabel(s.status)} · weight {weight ? `${weight} kg` : "not on file"} ·{" "}
            <Link to={`/chart/patients/${s.patient}/measures`}>Measures</Link>
            {s.enrollment && (
              <>
                {" "}· <Link to={`/chart/enrollments/${s.enrollment}/integration`}>Integration plan</Link>
              </>
            )}
          </p>
        </div>
      </header>
      <AlertsBanner chart={c} ctx={ctx} />
      <div className="chart-columns">
        <div>
          {s.kind === "dosing" && <ChecklistPanel title="Pre-dose gate" stage="gate" status={c.gate} ctx={ctx} />}
          {s.kind === "dosing" && <DosePanel chart={c} ctx={ctx} clinicId={clinic.id} ledger={hasAnyRole(roles, STOCK_ROLES)} weightKg={weight} caps={caps} prescribers={prescribers} />}
          {s.kind === "dosing" && <ScoresPanel chart={c} ctx={ctx} />}
          {s.kind === "dosing" && (
            <>
              <ChecklistPanel title="Discharge" stage="discharge" status={c.discharge} ctx={ctx} />
              {readyAt && <p className="banner banner-info">Monitoring time is met at {formatTime(readyAt, clinic.timezone)}.</p>}
            </>
          )}
        </div>
        <div>
          {(s.kind === "dosing" || c.vitals.length > 0) && <VitalsPanel chart={c} ctx={ctx} thresholds={thresholds} />}
          <NotePanel key={c.note ? `${c.note.id}-${c.note.version}` : "new"} sessionId={sessionId} sessionKind={s.kind} note={c.note} staffId={me.staff_id} timeZone={clinic.timezone} prescriber={prescriber} />
          <RemsPanel chart={c} ctx={ctx} />
        </div>
      </div>
    </div>
  );
}
