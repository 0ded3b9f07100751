import type { Problem } from "../../api/problem";
import { TextField } from "../../components/Field";

export interface Credentials {
  username: string;
  password: string;
  otp: string;
}

export const noCredentials: Credentials = { username: "", password: "", otp: "" };

/**
 * A second person's own credentials, typed by them on this screen (never a name picked from a list):
 * username, password and the code from their authenticator when they have one.
 */
export function SecondPerson({ name, legend, value, onChange, problem }: { name: "checked_by" | "witness"; legend: string; value: Credentials; onChange: (c: Credentials) => void; problem: Problem | null }) {
  // The refusal's messages about the person as a whole (wrong password, not licensed, the same person).
  const messages = problem?.fieldErrors[name] ?? [];
  const set = (k: keyof Credentials) => (v: string) => onChange({ ...value, [k]: v });
  return (
    <fieldset className="second-person" aria-describedby={messages.length ? `${name}-errors` : undefined}>
      <legend>{legend}</legend>
      <p className="hint">They type their own username, password and authenticator code here.</p>
      {messages.length > 0 && (
        <ul id={`${name}-errors`} className="field-errors">
          {messages.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      )}
      <div className="grid3">
        <TextField label={`${legend}: username`} name={`${name}.username`} value={value.username} onChange={set("username")} problem={problem} autoComplete="off" />
        <TextField label={`${legend}: password`} name={`${name}.password`} type="password" value={value.password} onChange={set("password")} problem={problem} autoComplete="new-password" />
        <TextField label={`${legend}: authenticator code`} name={`${name}.otp`} value={value.otp} onChange={set("otp")} problem={problem} autoComplete="off" inputMode="numeric" hint="If they use one." />
      </div>
    </fieldset>
  );
}

export function credentialsBody(c: Credentials) {
  return { username: c.username.trim(), password: c.password, otp: c.otp.trim() };
}
