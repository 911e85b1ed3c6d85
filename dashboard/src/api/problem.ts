// API errors are application/problem+json (RFC 9457); people read `title`
// and `detail`, never a stack or a raw body.

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  request_id?: string;
  [member: string]: unknown;
}

export class ApiProblem extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(describe(problem));
    this.problem = problem;
  }
}

/** A readable sentence for a problem. */
export function describe(p: Problem | undefined | null): string {
  if (!p || typeof p !== "object") return "The server could not be reached.";
  const title = typeof p.title === "string" ? p.title : "Request failed";
  const detail = typeof p.detail === "string" && p.detail ? `: ${p.detail}` : "";
  return `${title}${detail}`;
}

/** The field a validation message names (`path: message`), if any. */
export function fieldOf(p: Problem | undefined | null): string | null {
  const detail = p?.detail;
  if (typeof detail !== "string") return null;
  const m = /^([A-Za-z_][\w.[\]]*): /.exec(detail);
  return m ? m[1] : null;
}
