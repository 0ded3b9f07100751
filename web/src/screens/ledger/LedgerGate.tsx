import { NavLink, Route, Routes } from "react-router";
import { LEDGER_ROLES, REPORT_ROLES, STOCK_ROLES } from "../../api/ledger";
import { hasAnyRole, useSession } from "../../session";
import { CountScreen } from "./CountScreen";
import { DiscrepanciesScreen } from "./DiscrepanciesScreen";
import { ReceiveScreen } from "./ReceiveScreen";
import { ReportsScreen } from "./ReportsScreen";
import { StockScreen } from "./StockScreen";

/**
 * The controlled-substance ledger: nurses and prescribers handle stock, prescribers and admins read
 * the reports; the front desk and therapists see none of it (and the API refuses them anyway).
 */
export function LedgerGate() {
  const { roles } = useSession();
  if (!hasAnyRole(roles, LEDGER_ROLES)) {
    return (
      <section aria-labelledby="ledger-denied">
        <h1 id="ledger-denied">The controlled-substance ledger is for nurses, prescribers and admins</h1>
        <p role="alert" className="banner banner-error">
          Your role ({roles.join(", ")}) does not open the ledger.
        </p>
      </section>
    );
  }
  const stock = hasAnyRole(roles, STOCK_ROLES);
  const reports = hasAnyRole(roles, REPORT_ROLES);
  return (
    <div className="ledger">
      <nav aria-label="Ledger" className="subnav">
        <ul>
          <li><NavLink to="/ledger" end>Stock</NavLink></li>
          {stock && <li><NavLink to="/ledger/receive">Receive a lot</NavLink></li>}
          {stock && <li><NavLink to="/ledger/count">Blind count</NavLink></li>}
          {reports && <li><NavLink to="/ledger/discrepancies">Discrepancies</NavLink></li>}
          {reports && <li><NavLink to="/ledger/reports">Reports</NavLink></li>}
        </ul>
      </nav>
      <Routes>
        <Route index element={<StockScreen />} />
        {stock && <Route path="receive" element={<ReceiveScreen />} />}
        {stock && <Route path="count" element={<CountScreen />} />}
        {reports && <Route path="discrepancies" element={<DiscrepanciesScreen />} />}
        {reports && <Route path="reports" element={<ReportsScreen />} />}
        <Route path="*" element={<p role="alert">This ledger screen is not open to your role.</p>} />
      </Routes>
    </div>
  );
}
