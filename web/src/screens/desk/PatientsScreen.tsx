import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api, type Page } from "../../api/client";
import type { Patient } from "../../api/types";
import { ProblemBanner } from "../../components/ProblemBanner";
import { formatDate } from "../../lib/time";
import { useClinic } from "../../session";

/** Find a patient by name or MRN; register a new one. Demographics only: no clinical panels. */
export function PatientsScreen() {
  const clinic = useClinic();
  const [params, setParams] = useSearchParams();
  const search = params.get("q") ?? "";
  const [typed, setTyped] = useState(search);

  const patients = useQuery({
    queryKey: ["patients", clinic.id, search],
    queryFn: ({ signal }) => api.get<Page<Patient>>("/patients/", { home_clinic: clinic.id, search }, signal),
  });

  return (
    <section aria-labelledby="patients-title">
      <div className="toolbar">
        <h1 id="patients-title">Patients</h1>
        <form
          role="search"
          className="toolbar"
          onSubmit={(e) => {
            e.preventDefault();
            setParams(typed ? { q: typed } : {}, { replace: true });
          }}
        >
          <div className="field">
            <label htmlFor="patient-search">Name or MRN</label>
            <input id="patient-search" type="search" value={typed} onChange={(e) => setTyped(e.target.value)} />
          </div>
          <button type="submit" className="btn-primary">
            Search
          </button>
        </form>
        <Link to="/desk/patients/new" className="button-link">
          Register a patient
        </Link>
      </div>
      <ProblemBanner error={patients.error} />
      {patients.data && (
        <table>
          <caption className="sr-only">Patients{search ? ` matching ${search}` : ""}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">MRN</th>
              <th scope="col">Date of birth</th>
              <th scope="col">Phone</th>
              <th scope="col">Program</th>
            </tr>
          </thead>
          <tbody>
            {patients.data.results.map((p) => (
              <tr key={p.id}>
                <td>
                  <Link to={`/desk/patients/${p.id}`}>
                    {p.last_name}, {p.first_name}
                    {p.preferred_name ? ` (${p.preferred_name})` : ""}
                  </Link>
                </td>
                <td>{p.mrn}</td>
                <td>{formatDate(p.date_of_birth)}</td>
                <td>{p.phone}</td>
                <td>
                  <Link to={`/desk/patients/${p.id}/enroll`}>Enroll and book</Link>
                </td>
              </tr>
            ))}
            {patients.data.results.length === 0 && (
              <tr>
                <td colSpan={5}>No patient matches.</td>
              </tr>
            )}
          </tbody>
        </table>
      )}
      {patients.data && patients.data.count > patients.data.results.length && (
        <p className="muted">
          Showing {patients.data.results.length} of {patients.data.count}: narrow the search.
        </p>
      )}
    </section>
  );
}
