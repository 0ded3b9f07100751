import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { ApiError, api } from "../../api/client";
import type { Token } from "../../api/types";
import { TextField } from "../../components/Field";
import { ProblemBanner } from "../../components/ProblemBanner";
import { useSession } from "../../session";

const FIELDS = ["username", "password", "otp"] as const;

export function LoginScreen() {
  const { signIn, signedOutReason } = useSession();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [otp, setOtp] = useState("");
  const [needsOtp, setNeedsOtp] = useState(false);

  const login = useMutation({
    mutationFn: () =>
      api.publicPost<Token>("/auth/login/", { username, password, ...(needsOtp || otp ? { otp } : {}) }),
    onSuccess: (data) => signIn(data.token),
    onError: (err) => {
      // The server asks for the code only for roles that need one.
      if (err instanceof ApiError && (err.problem.type.endsWith("otp_required") || "otp" in err.problem.fieldErrors)) {
        setNeedsOtp(true);
      }
    },
  });
  const problem = login.error instanceof ApiError ? login.error.problem : null;

  function submit(e: FormEvent) {
    e.preventDefault();
    login.mutate();
  }

  return (
    <main id="main" className="login">
      <h1>KAT Clinic</h1>
      <form onSubmit={submit} className="card login-card" aria-labelledby="login-title">
        <h2 id="login-title">Sign in</h2>
        {signedOutReason && !login.error && (
          <p role="status" className="banner banner-info">
            {signedOutReason}
          </p>
        )}
        <ProblemBanner error={login.error} shownFields={FIELDS} />
        <TextField label="Username" name="username" value={username} onChange={setUsername} problem={problem} autoComplete="username" required />
        <TextField label="Password" name="password" type="password" value={password} onChange={setPassword} problem={problem} autoComplete="current-password" required />
        {needsOtp && (
          <TextField
            label="One-time code"
            name="otp"
            value={otp}
            onChange={setOtp}
            problem={problem}
            autoComplete="one-time-code"
            inputMode="numeric"
            hint="The 6-digit code from your authenticator app (clinical roles)."
          />
        )}
        <button type="submit" className="btn-primary" disabled={login.isPending}>
          {login.isPending ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
