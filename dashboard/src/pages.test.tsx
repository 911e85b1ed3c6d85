import { describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { makeApi } from "./api/client";
import { ApiContext } from "./context";
import { Violations } from "./pages/Violations";
import { flatten } from "./pages/Reviews";

const session = { token: "a.b.c", tenantId: "0195f3a2-1b2c-7d3e-8f40-123456789abc" };

/** A fetch that answers from `reply` and keeps every request. */
function fakeFetch(reply: (url: URL, req: Request) => { status: number; body: unknown }) {
  const seen: Request[] = [];
  const impl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(input, init);
    seen.push(req);
    const { status, body } = reply(new URL(req.url), req);
    const type = status >= 400 ? "application/problem+json" : "application/json";
    return new Response(JSON.stringify(body), { status, headers: { "Content-Type": type } });
  }) as typeof fetch;
  return { impl, seen };
}

const violation = {
  id: "0195f3a2-0000-7000-8000-000000000001",
  user_id: "0195f3a2-0000-7000-8000-0000000000aa",
  type: "content",
  severity: "high",
  source: { kind: "manual" },
  reason: "counterfeit",
  action: "warning",
  ladder_step: 1,
  status: "open",
  created_at: "2026-11-26T10:00:00Z",
  updated_at: "2026-11-26T10:00:00Z",
};

function renderWith(fetchImpl: typeof fetch) {
  const api = makeApi(session, "http://warden.test", fetchImpl);
  return render(
    <ApiContext.Provider value={{ session, api }}>
      <Violations />
    </ApiContext.Provider>,
  );
}

describe("Violations page", () => {
  it("sends the token, the tenant and the chosen filters, and lists what comes back", async () => {
    const { impl, seen } = fakeFetch(() => ({ status: 200, body: { items: [violation], next_cursor: null } }));
    renderWith(impl);
    await screen.findByRole("button", { name: "counterfeit" });
    fireEvent.change(screen.getByLabelText("severity"), { target: { value: "high" } });
    fireEvent.change(screen.getByLabelText("status"), { target: { value: "open" } });
    fireEvent.click(screen.getByRole("button", { name: "Apply" }));
    await waitFor(() => expect(seen.length).toBe(2));
    const last = seen[1];
    const url = new URL(last.url);
    expect(url.pathname).toBe("/api/v1/violations");
    expect(url.searchParams.get("severity")).toBe("high");
    expect(url.searchParams.get("status")).toBe("open");
    expect(url.searchParams.get("type")).toBeNull();
    expect(last.headers.get("Authorization")).toBe("Bearer a.b.c");
    expect(last.headers.get("X-Tenant-ID")).toBe(session.tenantId);
  });

  it("shows the API's problem as a readable message", async () => {
    const { impl } = fakeFetch(() => ({
      status: 403,
      body: { type: "urn:warden:problem:forbidden", title: "Forbidden", status: 403, detail: "only staff list every violation", code: "forbidden", request_id: "r1" },
    }));
    renderWith(impl);
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe("Forbidden: only staff list every violation");
  });

  it("says so when nothing matches", async () => {
    const { impl } = fakeFetch(() => ({ status: 200, body: { items: [], next_cursor: null } }));
    renderWith(impl);
    expect(await screen.findByText("No violations match.")).toBeTruthy();
  });
});

describe("review scores", () => {
  it("are flattened to model.label rows", () => {
    expect(flatten({ offensive: 0.1, toxicity: { insult: 0.2, threat: 0.3 } })).toEqual([
      ["offensive", 0.1],
      ["toxicity.insult", 0.2],
      ["toxicity.threat", 0.3],
    ]);
  });
});
