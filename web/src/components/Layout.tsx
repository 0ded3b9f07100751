import { NavLink, Outlet } from "react-router";
import { LEDGER_ROLES } from "../api/ledger";
import { CLINICAL_ROLES, DESK_ROLES, hasAnyRole, useSession } from "../session";

/** The signed-in shell: the clinic, the screens this role works in, the switcher and sign-out. */
export function Layout() {
  const { me, clinic, roles, setClinic, signOut } = useSession();
  const desk = hasAnyRole(roles, DESK_ROLES);
  const clinical = hasAnyRole(roles, CLINICAL_ROLES);
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">KAT Clinic</span>
        <nav aria-label="Main">
          <ul>
            <li>
              <NavLink to="/desk/board">Day board</NavLink>
            </li>
            {clinical && (
              <>
                <li>
                  <NavLink to="/chart/my-day">My day</NavLink>
                </li>
                <li>
                  <NavLink to="/chart/alerts">Alerts</NavLink>
                </li>
              </>
            )}
            {hasAnyRole(roles, LEDGER_ROLES) && (
              <li>
                <NavLink to="/ledger">Controlled</NavLink>
              </li>
            )}
            {desk && (
              <>
                <li>
                  <NavLink to="/desk/patients">Patients</NavLink>
                </li>
                <li>
                  <NavLink to="/desk/followups">Follow-ups</NavLink>
                </li>
              </>
            )}
          </ul>
        </nav>
        <div className="topbar-right">
          {me && me.clinics.length > 1 ? (
            <label className="clinic-switcher">
              Clinic{" "}
              <select value={clinic?.id} onChange={(e) => setClinic(Number(e.target.value))}>
                {me.clinics.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </select>
            </label>
          ) : (
            <span className="clinic-name">{clinic?.name}</span>
          )}
          <span className="whoami">
            {me?.name} ({roles.join(", ")})
          </span>
          <button type="button" className="btn-secondary" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" className="content">
        <Outlet />
      </main>
    </div>
  );
}
