import { useId, type ReactNode } from "react";
import { errorsFor, type Problem } from "../api/problem";

interface FieldProps {
  label: string;
  /** The API's field name: its messages from a refusal are shown under the input. */
  name: string;
  problem?: Problem | null;
  hint?: string;
  children: (props: { id: string; name: string; "aria-invalid": boolean; "aria-describedby"?: string }) => ReactNode;
}

/** A labelled input with its hint and the refusal's messages for this field, where the user typed. */
export function Field({ label, name, problem, hint, children }: FieldProps) {
  const id = useId();
  const messages = errorsFor(problem, name);
  const describedBy = [hint ? `${id}-hint` : "", messages.length ? `${id}-err` : ""].filter(Boolean).join(" ");
  return (
    <div className={`field${messages.length ? " field-invalid" : ""}`}>
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
      {children({ id, name, "aria-invalid": messages.length > 0, "aria-describedby": describedBy || undefined })}
      {messages.length > 0 && (
        <ul id={`${id}-err`} className="field-errors">
          {messages.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

interface TextFieldProps {
  label: string;
  name: string;
  value: string;
  onChange: (value: string) => void;
  problem?: Problem | null;
  type?: string;
  required?: boolean;
  autoComplete?: string;
  hint?: string;
  inputMode?: "numeric" | "text" | "tel" | "email";
}

export function TextField({ label, name, value, onChange, problem, type = "text", required, autoComplete, hint, inputMode }: TextFieldProps) {
  return (
    <Field label={label} name={name} problem={problem} hint={hint}>
      {(p) => (
        <input
          {...p}
          type={type}
          value={value}
          required={required}
          autoComplete={autoComplete}
          inputMode={inputMode}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </Field>
  );
}
