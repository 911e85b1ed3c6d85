import { describe, expect, it, vi } from "vitest";
import { clearSession, loadSession, saveSession, signInProblem } from "./session";
import { describe as describeProblem, fieldOf } from "./api/problem";
import { pieces } from "./components/highlight";
import { LiveFeed, wsUrl } from "./live";

const JWT = "aaa.bbb.ccc";
const TENANT = "0195f3a2-1b2c-7d3e-8f40-123456789abc";

describe("session", () => {
  it("keeps token and tenant in the given storage and forgets them", () => {
    const store = new Map<string, string>();
    const storage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
      removeItem: (k: string) => void store.delete(k),
    } as unknown as Storage;
    expect(loadSession(storage)).toBeNull();
    saveSession({ token: JWT, tenantId: TENANT }, storage);
    expect(loadSession(storage)).toEqual({ token: JWT, tenantId: TENANT });
    clearSession(storage);
    expect(loadSession(storage)).toBeNull();
  });

  it("refuses a token that is not a JWT and a tenant that is not a UUID", () => {
    expect(signInProblem("not-a-token", TENANT)).toMatch(/JWT/);
    expect(signInProblem(JWT, "acme")).toMatch(/UUID/);
    expect(signInProblem(JWT, TENANT)).toBeNull();
  });
});

describe("problems", () => {
  it("read as title and detail, and name the field of a validation error", () => {
    const p = { title: "Invalid input", detail: "window.seconds: 1 to 86400", status: 400, code: "invalid_input" };
    expect(describeProblem(p)).toBe("Invalid input: window.seconds: 1 to 86400");
    expect(fieldOf(p)).toBe("window.seconds");
    expect(fieldOf({ title: "Forbidden", detail: "only staff may do this" })).toBeNull();
    expect(describeProblem(null)).toMatch(/could not be reached/);
  });
});

describe("highlight", () => {
  it("marks every occurrence of each span and nothing else", () => {
    const out = pieces("a scam, a real scam", [{ text: "scam" }]);
    expect(out).toEqual([
      { text: "a ", marked: false },
      { text: "scam", marked: true },
      { text: ", a real ", marked: false },
      { text: "scam", marked: true },
    ]);
    expect(pieces("clean text", [{ text: "scam" }])).toEqual([{ text: "clean text", marked: false }]);
  });
});

/** A fake WebSocket the test drives. */
class FakeSocket {
  static made: FakeSocket[] = [];
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  constructor(public url: string) {
    FakeSocket.made.push(this);
  }
  send(s: string) {
    this.sent.push(s);
  }
  close() {}
  event(id: string) {
    this.onmessage?.({ data: JSON.stringify({ type: "event", event: { id, topic: "violation", occurred_at: "", data: {} } }) });
  }
}

describe("live feed", () => {
  it("puts the token in the URL (browsers cannot set WebSocket headers)", () => {
    expect(wsUrl("https://w.example/dashboard/", "t.o.k")).toBe("wss://w.example/api/v1/ws?access_token=t.o.k");
  });

  it("reconnects by itself and resumes after the last event, without repeats", () => {
    vi.useFakeTimers();
    FakeSocket.made = [];
    const got: string[] = [];
    const statuses: string[] = [];
    const feed = new LiveFeed({
      url: "ws://x/api/v1/ws",
      token: JWT,
      topics: ["violation"],
      onEvent: (e) => got.push(e.id),
      onStatus: (s) => statuses.push(s),
      socket: (u) => new FakeSocket(u) as unknown as WebSocket,
      backoff: () => 100,
    });
    feed.start();
    const first = FakeSocket.made[0];
    first.onopen?.();
    expect(JSON.parse(first.sent[0])).toEqual({ type: "subscribe", topics: ["violation"] });
    first.onmessage?.({ data: JSON.stringify({ type: "subscribed", topics: ["violation"] }) });
    first.event("e1");
    first.event("e2");
    first.onclose?.();
    expect(statuses).toContain("reconnecting");
    vi.advanceTimersByTime(100);
    const second = FakeSocket.made[1];
    expect(second).toBeDefined();
    second.onopen?.();
    expect(JSON.parse(second.sent[0])).toEqual({ type: "subscribe", topics: ["violation"], last_event_id: "e2" });
    second.event("e2");
    second.event("e3");
    expect(got).toEqual(["e1", "e2", "e3"]);
    feed.stop();
    second.onclose?.();
    vi.advanceTimersByTime(1000);
    expect(FakeSocket.made.length).toBe(2);
    vi.useRealTimers();
  });
});
