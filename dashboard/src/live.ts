// The live feed over GET /api/v1/ws: authenticates with ?access_token= (a
// browser cannot set headers on a WebSocket), subscribes, reconnects by itself
// with backoff and resumes from the last event seen (`last_event_id`), so no
// event is missed or shown twice.

export interface LiveEvent {
  id: string;
  topic: string;
  occurred_at: string;
  data: Record<string, unknown>;
}

export type LiveStatus = "connecting" | "live" | "reconnecting" | "closed";

export interface LiveOptions {
  url: string;
  token: string;
  topics: string[];
  onEvent: (e: LiveEvent) => void;
  onStatus?: (s: LiveStatus) => void;
  /** Socket constructor (tests pass a fake). */
  socket?: (url: string) => WebSocket;
  /** Delay before reconnect attempt `n` (1-based), ms. */
  backoff?: (n: number) => number;
}

export function wsUrl(base: string, token: string): string {
  const u = new URL("/api/v1/ws", base);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  u.searchParams.set("access_token", token);
  return u.toString();
}

export class LiveFeed {
  private ws: WebSocket | null = null;
  private lastEventId: string | null = null;
  private seen = new Set<string>();
  private attempts = 0;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly opts: LiveOptions) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.close(1000);
    this.ws = null;
    this.opts.onStatus?.("closed");
  }

  get resumeFrom(): string | null {
    return this.lastEventId;
  }

  private connect(): void {
    const make = this.opts.socket ?? ((u: string) => new WebSocket(u));
    this.opts.onStatus?.(this.attempts === 0 ? "connecting" : "reconnecting");
    const ws = make(this.opts.url);
    this.ws = ws;
    ws.onopen = () => {
      const msg: Record<string, unknown> = { type: "subscribe", topics: this.opts.topics };
      if (this.lastEventId) msg.last_event_id = this.lastEventId;
      ws.send(JSON.stringify(msg));
    };
    ws.onmessage = (m: MessageEvent) => {
      let msg: { type?: string; event?: LiveEvent };
      try {
        msg = JSON.parse(String(m.data));
      } catch {
        return;
      }
      if (msg.type === "subscribed") {
        this.attempts = 0;
        this.opts.onStatus?.("live");
      } else if (msg.type === "event" && msg.event) {
        const e = msg.event;
        // Resuming on a socket that was still open may repeat an event.
        if (this.seen.has(e.id)) return;
        this.seen.add(e.id);
        if (this.seen.size > 5000) this.seen = new Set([e.id]);
        this.lastEventId = e.id;
        this.opts.onEvent(e);
      }
    };
    ws.onclose = () => {
      if (this.stopped || this.ws !== ws) return;
      this.attempts += 1;
      const delay = (this.opts.backoff ?? ((n) => Math.min(30_000, 500 * 2 ** (n - 1))))(this.attempts);
      this.opts.onStatus?.("reconnecting");
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }
}
