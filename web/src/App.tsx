import type { ReactNode } from "react";
import { Navigate, Route, Routes } from "react-router";
import { Layout } from "./components/Layout";
import { CheckInPage } from "./screens/checkin/CheckInPage";
import { ChartGate } from "./screens/chart/ChartGate";
import { DayBoardScreen } from "./screens/desk/DayBoardScreen";
import { FollowUpQueueScreen } from "./screens/desk/FollowUpQueueScreen";
import { EnrollScreen } from "./screens/desk/EnrollScreen";
import { PatientEditScreen } from "./screens/desk/PatientEditScreen";
import { PatientsScreen } from "./screens/desk/PatientsScreen";
import { LedgerGate } from "./screens/ledger/LedgerGate";
import { LoginScreen } from "./screens/login/LoginScreen";
import { useSession } from "./session";

function RequireSignIn({ children }: { children: ReactNode }) {
  const { token, me, clinic } = useSession();
  if (!token) return <LoginScreen />;
  if (!me) return <p className="loading" role="status">Loading…</p>;
  if (!clinic) return <p className="banner banner-error" role="alert">Your account belongs to no clinic. Ask the clinic's administrator.</p>;
  return <>{children}</>;
}

export function App() {
  return (
    <Routes>
      {/* Patients' links: no login. */}
      <Route path="/checkin/:patientId/:token" element={<CheckInPage />} />
      <Route
        element={
          <RequireSignIn>
            <Layout />
          </RequireSignIn>
        }
      >
        <Route index element={<Navigate to="/desk/board" replace />} />
        <Route path="/login" element={<Navigate to="/" replace />} />
        <Route path="/desk/board" element={<DayBoardScreen />} />
        <Route path="/desk/patients" element={<PatientsScreen />} />
        <Route path="/desk/patients/new" element={<PatientEditScreen />} />
        <Route path="/desk/patients/:patientId" element={<PatientEditScreen />} />
        <Route path="/desk/patients/:patientId/enroll" element={<EnrollScreen />} />
        <Route path="/desk/followups" element={<FollowUpQueueScreen />} />
        {/* Clinical screens live under /chart; the gate turns away roles without clinical work. */}
        <Route path="/chart/*" element={<ChartGate />} />
        {/* The controlled-substance ledger; the gate turns away the desk and therapists. */}
        <Route path="/ledger/*" element={<LedgerGate />} />
        <Route path="*" element={<p role="alert">No such screen.</p>} />
      </Route>
    </Routes>
  );
}
