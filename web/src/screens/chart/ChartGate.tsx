import { CLINICAL_ROLES, hasAnyRole, useSession } from "../../session";

/**
 * Chart screens are for clinical roles. The API refuses the front desk's chart reads anyway; this
 * only keeps the screen from offering what would be refused. The session chart, measures and the
 * alerts inbox are mounted here.
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
    <section aria-labelledby="chart-title">
      <h1 id="chart-title">Charts</h1>
      <p>The chart screens are not built yet.</p>
    </section>
  );
}
