// The signed-in session: a bearer token and the tenant it acts in, kept in
// sessionStorage only (gone when the tab closes; never in localStorage).

export interface Session {
  token: string;
  tenantId: string;
}

const KEY = "warden.session";

export function loadSession(storage: Storage = sessionStorage): Session | null {
  const raw = storage.getItem(KEY);
  if (!raw) return null;
  try {
    const s = JSON.parse(raw) as Partial<Session>;
    return s.token && s.tenantId ? { token: s.token, tenantId: s.tenantId } : null;
  } catch {
    return null;
  }
}

export function saveSession(s: Session, storage: Storage = sessionStorage): void {
  storage.setItem(KEY, JSON.stringify(s));
}

export function clearSession(storage: Storage = sessionStorage): void {
  storage.removeItem(KEY);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Why the sign-in form cannot be submitted, or null when it can. */
export function signInProblem(token: string, tenantId: string): string | null {
  if (token.trim().split(".").length !== 3) return "Paste a JWT (three dot-separated parts).";
  if (!UUID.test(tenantId.trim())) return "The tenant id is a UUID.";
  return null;
}
