import { ApiError } from "../api/client";
import { unplacedErrors } from "../api/problem";

/** A refusal's `detail`, and the field messages no input on the screen shows. */
export function ProblemBanner({ error, shownFields = [] }: { error: unknown; shownFields?: readonly string[] }) {
  if (!error) return null;
  if (!(error instanceof ApiError)) {
    return (
      <div role="alert" className="banner banner-error">
        {String((error as Error).message ?? error)}
      </div>
    );
  }
  const extra = unplacedErrors(error.problem, shownFields);
  return (
    <div role="alert" className="banner banner-error">
      <p className="banner-detail">{error.problem.detail}</p>
      {extra.length > 0 && (
        <ul>
          {extra.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
