import { describe, expect, it, vi } from "vitest";
import { clearSession, loadSession, saveSession, signInProblem } from "./session";
import { describe as describeProblem, fieldOf } from "./api/problem";
import { pieces } from "./components/highlight";
import { byteToIndex, markByBytes, ruleSpans, spanRanges, type Piece } from "./spans";
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

/** UTF-8 byte offsets of `part` in `text`, as the API computes them. */
function bytesOf(text: string, part: string, from = 0): { start: number; end: number } {
  const at = text.indexOf(part, from);
  const enc = new TextEncoder();
  const start = enc.encode(text.slice(0, at)).length;
  return { start, end: start + enc.encode(part).length };
}

const joined = (ps: Piece[]) => ps.map((p) => p.text).join("");
const marked = (ps: Piece[]) => ps.filter((p) => p.marked).map((p) => p.text);

describe("byte offsets to string indices", () => {
  it("are the same for ASCII", () => {
    expect(byteToIndex("a scam", 0)).toBe(0);
    expect(byteToIndex("a scam", 2)).toBe(2);
    expect(byteToIndex("a scam", 6)).toBe(6);
  });

  it("count two bytes for é and Cyrillic, three for €, four (two code units) for emoji", () => {
    // "é" is 2 bytes, 1 code unit; "ж" 2 bytes, 1 unit; "€" 3 bytes, 1 unit; "😀" 4 bytes, 2 units.
    const t = "é ж € 😀 x";
    expect(byteToIndex(t, 2)).toBe(1); // after é
    expect(byteToIndex(t, 3)).toBe(2); // ж
    expect(byteToIndex(t, 6)).toBe(4); // €
    expect(byteToIndex(t, 10)).toBe(6); // 😀
    expect(byteToIndex(t, 14)).toBe(8); // after 😀
    expect(byteToIndex(t, 15)).toBe(9); // x
    expect(byteToIndex(t, 16)).toBe(10); // end
  });

  it("move offsets inside a character to its start or past its end, and clamp to the text", () => {
    const t = "a😀b";
    expect(byteToIndex(t, 2, "down")).toBe(1);
    expect(byteToIndex(t, 2, "up")).toBe(3);
    expect(byteToIndex(t, -5)).toBe(0);
    expect(byteToIndex(t, 999)).toBe(t.length);
    expect(byteToIndex("", 3)).toBe(0);
  });
});

describe("marking spans by byte offsets", () => {
  it("marks ASCII spans", () => {
    const t = "buy a replica watch";
    const out = markByBytes(t, [bytesOf(t, "replica")]);
    expect(out).toEqual([
      { text: "buy a ", marked: false },
      { text: "replica", marked: true },
      { text: " watch", marked: false },
    ]);
  });

  it("marks the right characters after multibyte text (é, Cyrillic, emoji)", () => {
    const t = "Café 😀 — продам réplica 🔥 сейчас";
    const spans = [bytesOf(t, "réplica"), bytesOf(t, "🔥"), bytesOf(t, "сейчас")];
    const out = markByBytes(t, spans);
    expect(marked(out)).toEqual(["réplica", "🔥", "сейчас"]);
    expect(joined(out)).toBe(t);
  });

  it("marks overlapping and repeated spans once, never repeating text", () => {
    const t = "ты дурак, дурак";
    const first = bytesOf(t, "дурак");
    const out = markByBytes(t, [first, bytesOf(t, "ты дур"), first, bytesOf(t, "ак, ду"), bytesOf(t, "дурак", 5)]);
    expect(joined(out)).toBe(t);
    expect(marked(out)).toEqual(["ты дурак, дурак"]);
    const inner = markByBytes("abcdef", [
      { start: 1, end: 5 },
      { start: 2, end: 3 },
    ]);
    expect(inner).toEqual([
      { text: "a", marked: false },
      { text: "bcde", marked: true },
      { text: "f", marked: false },
    ]);
  });

  it("cuts spans running past the text and drops empty, reversed, outside or malformed ones", () => {
    const t = "héllo";
    expect(markByBytes(t, [{ start: 3, end: 400 }])).toEqual([
      { text: "hé", marked: false },
      { text: "llo", marked: true },
    ]);
    const bad = [
      { start: 2, end: 2 },
      { start: 4, end: 1 },
      { start: 50, end: 60 },
      { start: -9, end: -1 },
      { start: Number.NaN, end: 3 },
      { start: "1", end: 3 } as unknown as { start: number; end: number },
      null as unknown as { start: number; end: number },
    ];
    expect(markByBytes(t, bad)).toEqual([{ text: t, marked: false }]);
    expect(spanRanges(t, bad)).toEqual([]);
  });

  it("widens a span that cuts a character in half to the whole character", () => {
    const t = "a😀b";
    expect(marked(markByBytes(t, [{ start: 2, end: 3 }]))).toEqual(["😀"]);
    expect(joined(markByBytes(t, [{ start: 2, end: 3 }]))).toBe(t);
  });

  it("gives nothing for empty text and the whole text unmarked without spans", () => {
    expect(markByBytes("", [{ start: 0, end: 3 }])).toEqual([]);
    expect(markByBytes("clean", [])).toEqual([{ text: "clean", marked: false }]);
  });

  it("reads the spans of every rule, whatever else the stored JSON holds", () => {
    const rules = [
      { name: "threat", spans: [{ start: 0, end: 4, text: "kill" }] },
      { name: "pattern without spans", observed: 12 },
      { name: "bad spans", spans: "nope" },
      null,
    ];
    expect(ruleSpans(rules)).toEqual([{ start: 0, end: 4, text: "kill" }]);
    expect(ruleSpans(null)).toEqual([]);
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
