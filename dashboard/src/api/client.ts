// The typed API client: openapi-fetch over the types generated from
// api-spec/openapi.json, with the session's token and tenant on every call.
import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./schema";
import { ApiProblem, type Problem } from "./problem";
import type { Session } from "../session";

export type Api = ReturnType<typeof createClient<paths>>;

export function makeApi(session: Session, baseUrl = "", fetchImpl?: typeof fetch): Api {
  const api = createClient<paths>(fetchImpl ? { baseUrl, fetch: fetchImpl } : { baseUrl });
  const auth: Middleware = {
    onRequest({ request }) {
      request.headers.set("Authorization", `Bearer ${session.token}`);
      request.headers.set("X-Tenant-ID", session.tenantId);
      return request;
    },
  };
  api.use(auth);
  return api;
}

/** The tenant header every tenant route declares (the middleware sets it too). */
export function th(session: Session): { "X-Tenant-ID": string } {
  return { "X-Tenant-ID": session.tenantId };
}

/** The data of an openapi-fetch result, or throws its problem. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || result.data === undefined) {
    if (result.response.status === 204) return undefined as T;
    throw new ApiProblem((result.error ?? { title: `HTTP ${result.response.status}` }) as Problem);
  }
  return result.data;
}
