import { describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { makeApi } from "./api/client";
import { ApiContext } from "./context";
import { Violations } from "./pages/Violations";
import { Reviews } from "./pages/Reviews";
import { flatten } from "./components/evidence";

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
  user_name: "Sam Seller",
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

function renderWith(fetchImpl: typeof fetch, page = <Violations />) {
  const api = makeApi(session, "http://warden.test", fetchImpl);
  return render(<ApiContext.Provider value={{ session, api }}>{page}</ApiContext.Provider>);
}

/** Evidence of a rejected text: "é" and "ж" are 2 bytes, "😀" 4, so byte offsets differ from string indices. */
const evidenceText = "Café 😀 жулик: replica Rolex";
const evidence = {
  id: "0195f3a2-0000-7000-8000-0000000000e1",
  decision: "reject",
  content_type: "product",
  content_id: "0195f3a2-0000-7000-8000-0000000000c1",
  text: evidenceText,
  sha256: "ab".repeat(32),
  model_versions: { toxicity: "tox-block==0.1.2" },
  scores: { offensive: 0.2 },
  // "жулик" starts at byte 11 (C a f é=2 space 😀=4 space), "replica" at byte 23.
  rules: [
    { name: "Scam words", action: "reject", explanation: "calls someone a crook", spans: [{ start: 11, end: 21, text: "жулик" }] },
    { name: "Replicas", action: "require_review", explanation: "replicas", spans: [{ start: 23, end: 30, text: "replica" }] },
  ],
  events: [],
  decided_by: null,
  decided_at: "2026-11-26T10:00:00Z",
};

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

  it("names the user, with the id on hover", async () => {
    const { impl } = fakeFetch(() => ({ status: 200, body: { items: [violation, { ...violation, id: "0195f3a2-0000-7000-8000-000000000002", user_name: null, reason: "nameless" }], next_cursor: null } }));
    renderWith(impl);
    const named = await screen.findByText("Sam Seller");
    expect(named.getAttribute("title")).toBe(violation.user_id);
    // Without a name, the start of the id stands in.
    expect(screen.getByText(violation.user_id.slice(0, 8)).getAttribute("title")).toBe(violation.user_id);
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

describe("Violation dialog", () => {
  const statement = {
    id: "0195f3a2-0000-7000-8000-0000000000f1",
    user_id: violation.user_id,
    decision: "warning",
    facts: "A listing of yours was refused for scam words.",
    ground: { name: "Scam words", text: "No calling people crooks." },
    automated: true,
    appeal: { url: `/api/v1/violations/${violation.id}/appeal`, deadline: "2026-12-10T10:00:00Z" },
    created_at: "2026-11-26T10:00:00Z",
  };

  it("loads the violation with its evidence and statement, and marks the spans", async () => {
    const appealed = { ...violation, status: "appealed", appeal: { id: "a1", violation_id: violation.id, user_id: violation.user_id, text: "it was a joke", status: "pending", created_at: "2026-11-27T10:00:00Z" } };
    const { impl, seen } = fakeFetch((url) =>
      url.pathname === `/api/v1/violations/${violation.id}`
        ? { status: 200, body: { ...appealed, evidence, statement } }
        : { status: 200, body: { items: [appealed], next_cursor: null } },
    );
    renderWith(impl);
    fireEvent.click(await screen.findByRole("button", { name: "counterfeit" }));
    const dialog = await screen.findByRole("dialog");
    await waitFor(() => expect(dialog.querySelectorAll("mark").length).toBe(2));
    expect(Array.from(dialog.querySelectorAll("mark")).map((m) => m.textContent)).toEqual(["жулик", "replica"]);
    expect(screen.getByTestId("evidence-text").textContent).toBe(evidenceText);
    const reasons = screen.getByRole("region", { name: "Statement of reasons" });
    expect(reasons.textContent).toContain("A listing of yours was refused for scam words.");
    expect(reasons.textContent).toContain("Scam words: No calling people crooks.");
    expect(screen.getByRole("link").getAttribute("href")).toBe(statement.appeal.url);
    expect(dialog.textContent).toContain("it was a joke");
    expect(screen.getByRole("button", { name: "Overturn" })).toBeTruthy();
    expect(seen.some((r) => new URL(r.url).pathname === `/api/v1/violations/${violation.id}`)).toBe(true);
  });

  it("says so when the evidence is gone", async () => {
    const { impl } = fakeFetch((url) =>
      url.pathname === `/api/v1/violations/${violation.id}`
        ? { status: 200, body: { ...violation, evidence: null, statement: null } }
        : { status: 200, body: { items: [violation], next_cursor: null } },
    );
    renderWith(impl);
    fireEvent.click(await screen.findByRole("button", { name: "counterfeit" }));
    expect(await screen.findByText(/deleted after the retention period/)).toBeTruthy();
    expect(screen.getByText("No statement of reasons was issued for this decision.")).toBeTruthy();
    expect(document.querySelector("mark")).toBeNull();
  });
});

describe("Review item", () => {
  const item = {
    id: "0195f3a2-0000-7000-8000-0000000000d1",
    content_type: "product",
    content_id: "0195f3a2-0000-7000-8000-0000000000c1",
    result_id: "0195f3a2-0000-7000-8000-0000000000b1",
    reason: "Replicas",
    status: "pending",
    created_at: "2026-11-26T10:00:00Z",
    updated_at: "2026-11-26T10:00:00Z",
  };

  it("shows the evidence the decision was made on", async () => {
    const { impl, seen } = fakeFetch((url) =>
      url.pathname === `/api/v1/moderation/reviews/${item.id}`
        ? { status: 200, body: { ...item, history: [], evidence } }
        : { status: 200, body: { items: [item], next_cursor: null } },
    );
    renderWith(impl, <Reviews />);
    fireEvent.click(await screen.findByRole("button", { name: /Replicas/ }));
    const panel = await screen.findByRole("article", { name: "Review item" });
    await waitFor(() => expect(panel.querySelectorAll("mark").length).toBe(2));
    expect(Array.from(panel.querySelectorAll("mark")).map((m) => m.textContent)).toEqual(["жулик", "replica"]);
    expect(screen.getByRole("list", { name: "Rules matched" }).textContent).toContain("Replicas → require_review");
    expect(seen.some((r) => new URL(r.url).pathname.includes("/moderation/results/"))).toBe(false);
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
