import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { ApiError, api } from "../../api/client";
import type { Patient, PatientRequest } from "../../api/types";
import { Field, TextField } from "../../components/Field";
import { ProblemBanner } from "../../components/ProblemBanner";
import { useClinic } from "../../session";

type Form = Required<Omit<PatientRequest, "home_clinic" | "sex_at_birth" | "sms_opt_in" | "email_opt_in">> & {
  sex_at_birth: string;
  sms_opt_in: boolean;
  email_opt_in: boolean;
};

const EMPTY: Form = {
  mrn: "",
  first_name: "",
  last_name: "",
  preferred_name: "",
  date_of_birth: "",
  sex_at_birth: "",
  pronouns: "",
  phone: "",
  email: "",
  address: "",
  preferred_language: "",
  emergency_contact_name: "",
  emergency_contact_phone: "",
  emergency_contact_relationship: "",
  sms_opt_in: false,
  email_opt_in: false,
};

const TEXT_FIELDS: [keyof Form, string, string?][] = [
  ["mrn", "MRN"],
  ["first_name", "First name", "given-name"],
  ["last_name", "Last name", "family-name"],
  ["preferred_name", "Preferred name", "nickname"],
  ["pronouns", "Pronouns"],
  ["preferred_language", "Preferred language"],
];
const CONTACT_FIELDS: [keyof Form, string, string?, string?][] = [
  ["phone", "Phone", "tel", "tel"],
  ["email", "Email", "email", "email"],
  ["address", "Address", "street-address"],
  ["emergency_contact_name", "Emergency contact"],
  ["emergency_contact_phone", "Emergency contact's phone", undefined, "tel"],
  ["emergency_contact_relationship", "Relationship"],
];
const SHOWN = [...Object.keys(EMPTY)];

/** Register a patient, or edit one's demographics and contacts. */
export function PatientEditScreen() {
  const { patientId } = useParams();
  const clinic = useClinic();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const editing = patientId !== undefined;
  const [form, setForm] = useState<Form>(EMPTY);
  const [saved, setSaved] = useState(false);

  const existing = useQuery({
    queryKey: ["patient", patientId],
    queryFn: () => api.get<Patient>(`/patients/${patientId}/`),
    enabled: editing,
  });
  useEffect(() => {
    if (existing.data) {
      const p = existing.data;
      setForm({ ...EMPTY, ...Object.fromEntries(Object.entries(p).filter(([k, v]) => k in EMPTY && v !== null)) } as Form);
    }
  }, [existing.data]);

  const save = useMutation({
    mutationFn: () => {
      const body = { ...form, home_clinic: clinic.id };
      return editing ? api.patch<Patient>(`/patients/${patientId}/`, body) : api.post<Patient>("/patients/", body);
    },
    onSuccess: (p) => {
      void queryClient.invalidateQueries({ queryKey: ["patients"] });
      queryClient.setQueryData(["patient", String(p.id)], p);
      setSaved(true);
      if (!editing) navigate(`/desk/patients/${p.id}`, { replace: true });
    },
  });
  const problem = save.error instanceof ApiError ? save.error.problem : null;
  const set = (key: keyof Form) => (value: string | boolean) => {
    setSaved(false);
    setForm((f) => ({ ...f, [key]: value }));
  };

  function submit(e: FormEvent) {
    e.preventDefault();
    save.mutate();
  }

  return (
    <section aria-labelledby="patient-title">
      <p>
        <Link to="/desk/patients">← Patients</Link>
      </p>
      <h1 id="patient-title">{editing ? `${form.first_name} ${form.last_name}` : "Register a patient"}</h1>
      <ProblemBanner error={existing.error} />
      <form onSubmit={submit} className="card" noValidate>
        <ProblemBanner error={save.error} shownFields={SHOWN} />
        {saved && (
          <p role="status" className="banner banner-ok">
            Saved.
          </p>
        )}
        <h2>Demographics</h2>
        <div className="grid2">
          {TEXT_FIELDS.map(([key, label, auto]) => (
            <TextField key={key} label={label} name={key} value={String(form[key])} onChange={set(key)} problem={problem} autoComplete={auto} />
          ))}
          <TextField label="Date of birth" name="date_of_birth" type="date" value={form.date_of_birth} onChange={set("date_of_birth")} problem={problem} />
          <Field label="Sex at birth" name="sex_at_birth" problem={problem}>
            {(p) => (
              <select {...p} value={form.sex_at_birth} onChange={(e) => set("sex_at_birth")(e.target.value)}>
                <option value="">Not recorded</option>
                <option value="female">Female</option>
                <option value="male">Male</option>
                <option value="intersex">Intersex</option>
                <option value="unknown">Unknown</option>
              </select>
            )}
          </Field>
        </div>
        <h2>Contacts</h2>
        <div className="grid2">
          {CONTACT_FIELDS.map(([key, label, auto, type]) => (
            <TextField key={key} label={label} name={key} type={type ?? "text"} value={String(form[key])} onChange={set(key)} problem={problem} autoComplete={auto} />
          ))}
        </div>
        <fieldset className="checks">
          <legend>Messages</legend>
          <label>
            <input type="checkbox" checked={form.sms_opt_in} onChange={(e) => set("sms_opt_in")(e.target.checked)} /> Text messages (SMS)
          </label>
          <label>
            <input type="checkbox" checked={form.email_opt_in} onChange={(e) => set("email_opt_in")(e.target.checked)} /> Email
          </label>
        </fieldset>
        <div className="actions">
          <button type="submit" className="btn-primary" disabled={save.isPending}>
            {editing ? "Save changes" : "Register"}
          </button>
          {editing && (
            <Link to={`/desk/patients/${patientId}/enroll`} className="button-link">
              Enroll and book a program
            </Link>
          )}
        </div>
      </form>
    </section>
  );
}
