import { Route, Routes } from "react-router";
import { CLINICAL_ROLES, hasAnyRole, useSession } from "../../session";
import { AlertDetailScreen } from "../clinician/AlertDetailScreen";
import { AlertsScreen } from "../clinician/AlertsScreen";
import { IntegrationScreen } from "../clinician/IntegrationScreen";
import { MyDayScreen } from "../clinician/MyDayScreen";
import { MeasuresScreen } from "../measures/MeasuresScreen";
import { SessionChartScreen } from "./SessionChartScreen";

/**
 * Chart screens are for clinical roles. The API refuses the front desk's chart reads anyway; this
 * only keeps the screen from offering what would be refused.
 */
export function ChartGate() {
  const { roles } = useSession();
  if (!hasAnyRole(roles, CLINICAL_ROLES)) {
    return (
      <section aria-labelledby="chart-denied">
        <h1 id="chart-denied">Charts are for clinical staff</h1>
        <p role="alert" className="banner banner-error">
          Your role ({roles.join(", ")}) does not open patients' charts.
        </p>
      </section>
    );
  }
  return (
    <Routes>
      <Route index element={<MyDayScreen />} />
      <Route path="my-day" element={<MyDayScreen />} />
      <Route path="sessions/:sessionId" element={<SessionChartScreen />} />
      <Route path="patients/:patientId/measures" element={<MeasuresScreen />} />
      <Route path="enrollments/:enrollmentId/integration" element={<IntegrationScreen />} />
      <Route path="alerts" element={<AlertsScreen />} />
      <Route path="alerts/:alertId" element={<AlertDetailScreen />} />
      <Route path="*" element={<p role="alert">No such chart screen.</p>} />
    </Routes>
  );
}
