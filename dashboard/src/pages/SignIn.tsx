import { useState, type FormEvent } from "react";
import { signInProblem, type Session } from "../session";

/** Development sign-in: paste a bearer token and pick the tenant. */
export function SignIn({ onSignIn }: { onSignIn: (s: Session) => void }) {
  const [token, setToken] = useState("");
  const [tenantId, setTenantId] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const p = signInProblem(token, tenantId);
    setProblem(p);
    if (!p) onSignIn({ token: token.trim(), tenantId: tenantId.trim() });
  };
  return (
    <main className="signin">
      <h1>Warden</h1>
      <form onSubmit={submit} aria-label="Sign in">
        <label>
          Bearer token
          <textarea value={token} onChange={(e) => setToken(e.target.value)} rows={4} required />
        </label>
        <label>
          Tenant id
          <input value={tenantId} onChange={(e) => setTenantId(e.target.value)} required />
        </label>
        {problem && (
          <div className="error" role="alert">
            {problem}
          </div>
        )}
        <button type="submit">Sign in</button>
        <p className="muted">The token stays in this tab's session storage only.</p>
      </form>
    </main>
  );
}
