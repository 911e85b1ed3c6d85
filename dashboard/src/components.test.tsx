import { describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { SignIn } from "./pages/SignIn";
import { BarChart } from "./components/charts";
import { ErrorBox } from "./components/ui";
import { ApiProblem } from "./api/problem";
import { EvidenceView, StatementView, safeHref } from "./components/evidence";
import type { Evidence } from "./api/types";

describe("SignIn", () => {
  it("explains what is wrong and signs in only with a JWT and a tenant UUID", () => {
    const onSignIn = vi.fn();
    render(<SignIn onSignIn={onSignIn} />);
    fireEvent.change(screen.getByLabelText("Bearer token"), { target: { value: "nope" } });
    fireEvent.change(screen.getByLabelText("Tenant id"), { target: { value: "0195f3a2-1b2c-7d3e-8f40-123456789abc" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(screen.getByRole("alert").textContent).toMatch(/JWT/);
    expect(onSignIn).not.toHaveBeenCalled();
    fireEvent.change(screen.getByLabelText("Bearer token"), { target: { value: "a.b.c" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(onSignIn).toHaveBeenCalledWith({ token: "a.b.c", tenantId: "0195f3a2-1b2c-7d3e-8f40-123456789abc" });
  });
});

describe("BarChart", () => {
  it("draws one bar per category, longest for the largest count", () => {
    const { container } = render(<BarChart title="By severity" counts={{ low: 1, high: 4, medium: 2 }} />);
    const bars = Array.from(container.querySelectorAll("rect"));
    expect(bars).toHaveLength(3);
    const widths = bars.map((b) => Number(b.getAttribute("width")));
    expect(widths[0]).toBeGreaterThan(widths[1]);
    expect(screen.getByRole("img").getAttribute("aria-label")).toBe("By severity: high 4, medium 2, low 1");
  });

  it("says so when there is nothing to draw", () => {
    render(<BarChart title="By type" counts={{}} />);
    expect(screen.getByText("Nothing in this period.")).toBeTruthy();
  });
});

describe("ErrorBox", () => {
  it("shows a problem's title and detail, not its raw body", () => {
    render(<ErrorBox error={new ApiProblem({ title: "Forbidden", detail: "only moderators review", code: "forbidden", status: 403 })} />);
    expect(screen.getByRole("alert").textContent).toBe("Forbidden: only moderators review");
  });
});

describe("Evidence and statement of reasons", () => {
  // A rejected message as GET /violations/{id} gives it: spans are UTF-8 byte
  // offsets ("Привет" is 12 bytes, "é" 2, "😀" 4).
  const text = "Привет 😀 café <b>idiot</b>, I will find you";
  const enc = new TextEncoder();
  const span = (part: string) => {
    const start = enc.encode(text.slice(0, text.indexOf(part))).length;
    return { start, end: start + enc.encode(part).length, text: part };
  };
  const detail = {
    id: "0195f3a2-0000-7000-8000-000000000001",
    user_id: "0195f3a2-0000-7000-8000-0000000000aa",
    evidence: {
      id: "0195f3a2-0000-7000-8000-0000000000e1",
      decision: "reject",
      content_type: "message",
      content_id: null,
      text,
      sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
      model_versions: { toxicity: "tox-block==0.1.2", offensive: "alt-profanity-check==1.9.1" },
      scores: { toxicity: { threat: 0.91, insult: 0.4 }, offensive: 0.75, language: "en" },
      rules: [
        { name: "Threats", action: "reject", explanation: "threatens a person", spans: [span("I will find you")] },
        { name: "Insults", action: "flag", explanation: "insults", spans: [span("idiot")] },
      ],
      events: [],
      decided_by: null,
      decided_at: "2026-11-26T10:00:00Z",
    },
    statement: {
      id: "0195f3a2-0000-7000-8000-0000000000f1",
      user_id: "0195f3a2-0000-7000-8000-0000000000aa",
      decision: "warning" as const,
      facts: "Your message was refused: it matched Threats.",
      ground: { name: "Threats", text: "No threats against anyone." },
      automated: true,
      appeal: { url: "/api/v1/violations/0195f3a2-0000-7000-8000-000000000001/appeal", deadline: "2026-12-10T10:00:00Z" },
      created_at: "2026-11-26T10:00:00Z",
    },
  };

  it("marks the matched spans of multibyte text and renders markup in it as text", () => {
    // The generated type says `Record<string, never>` for free-form JSON.
    const { container } = render(<EvidenceView evidence={detail.evidence as unknown as Evidence} />);
    const marks = Array.from(container.querySelectorAll("mark")).map((m) => m.textContent);
    expect(marks).toEqual(["idiot", "I will find you"]);
    expect(screen.getByTestId("evidence-text").textContent).toBe(text);
    expect(container.querySelector("b")).toBeNull();
    expect(screen.getByText("message", { exact: false }).textContent).toMatch(/never stored/);
    expect(screen.getByTitle(detail.evidence.sha256).textContent).toBe("9f86d081884c…");
    expect(screen.getByTestId("evidence-decided").textContent).toMatch(/^automated, /);
    expect(screen.getByRole("list", { name: "Models" }).textContent).toMatch(/toxicity\s*tox-block==0.1.2/);
    const scores = screen.getByRole("list", { name: "Scores" }).textContent;
    expect(scores).toMatch(/toxicity.threat\s*0.910/);
    expect(scores).toMatch(/language\s*en/);
    const rules = screen.getByRole("list", { name: "Rules matched" });
    expect(rules.textContent).toMatch(/Threats → reject: threatens a person/);
    expect(rules.textContent).toMatch(/matched “idiot”/);
    expect(screen.queryByText("Detection events")).toBeNull();
  });

  it("names the person who decided and shows a detection's events", () => {
    const events = { event_ids: ["e1", "e2"], window: { observed: 12, above: 10 } };
    const fromDetection = {
      ...detail.evidence,
      decision: "detection",
      text: null,
      sha256: null,
      content_type: null,
      model_versions: {},
      scores: {},
      rules: [{ name: "Login storm", severity: "high", observed: 12, threshold: 10 }],
      events,
      decided_by: "0195f3a2-0000-7000-8000-0000000000bb",
    };
    render(<EvidenceView evidence={fromDetection as unknown as Evidence} />);
    expect(screen.getByTestId("evidence-decided").textContent).toMatch(/^by 0195f3a2-0000-7000-8000-0000000000bb, /);
    expect(screen.getByText("Detection events")).toBeTruthy();
    expect(screen.getByText(/"event_ids"/).textContent).toContain('"e2"');
    expect(screen.getByRole("list", { name: "Rules matched" }).textContent).toMatch(/Login storm · severity high · observed 12 · threshold 10/);
    expect(screen.getByText(/No content text/)).toBeTruthy();
  });

  it("shows the statement of reasons: decision, facts, ground, automation and how to appeal", () => {
    render(<StatementView statement={detail.statement} />);
    const section = screen.getByRole("region", { name: "Statement of reasons" });
    expect(section.textContent).toContain("warning");
    expect(section.textContent).toContain("Your message was refused: it matched Threats.");
    expect(section.textContent).toContain("Threats: No threats against anyone.");
    expect(section.textContent).toMatch(/Automatedyes/);
    const link = screen.getByRole("link");
    expect(link.getAttribute("href")).toBe(detail.statement.appeal.url);
    expect(section.textContent).toContain(`by ${new Date(detail.statement.appeal.deadline).toLocaleString()}`);
  });

  it("links only to paths and http(s), and says when no appeal is open", () => {
    render(<StatementView statement={{ ...detail.statement, automated: false, appeal: { url: "javascript:alert(1)", deadline: "2026-12-10T10:00:00Z" } }} />);
    expect(screen.queryByRole("link")).toBeNull();
    expect(screen.getByText("javascript:alert(1)")).toBeTruthy();
    expect(screen.getByText("no, decided by a person")).toBeTruthy();
    cleanup();
    render(<StatementView statement={{ ...detail.statement, appeal: null }} />);
    expect(screen.getByText("no appeal open")).toBeTruthy();
    expect(safeHref("//evil.example/x")).toBeUndefined();
    expect(safeHref("https://warden.example/appeal")).toBe("https://warden.example/appeal");
  });

  it("says so when no evidence or statement is kept", () => {
    render(
      <>
        <EvidenceView evidence={null} />
        <StatementView statement={null} />
      </>,
    );
    expect(screen.getByText(/deleted after the retention period/)).toBeTruthy();
    expect(screen.getByText("No statement of reasons was issued for this decision.")).toBeTruthy();
    expect(document.querySelector("mark")).toBeNull();
  });
});
