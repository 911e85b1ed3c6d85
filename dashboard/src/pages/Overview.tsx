import { useEffect, useState } from "react";
import { th, unwrap } from "../api/client";
import { useApi } from "../context";
import { useLoad } from "../hooks";
import { LiveFeed, wsUrl, type LiveEvent, type LiveStatus } from "../live";
import { Badge, ErrorBox, Loading, severityTone, when } from "../components/ui";

const startOfToday = () => {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.toISOString();
};

export function Overview() {
  const { api, session } = useApi();
  const counts = useLoad(async () => {
    const header = th(session);
    const [reviews, open, detections, recent] = await Promise.all([
      api.GET("/api/v1/moderation/reviews", { params: { header, query: { status: "pending", limit: 100 } } }).then(unwrap),
      api.GET("/api/v1/violations", { params: { header, query: { status: "open", limit: 100 } } }).then(unwrap),
      api.GET("/api/v1/behavior/detections", { params: { header, query: { from: startOfToday(), limit: 100 } } }).then(unwrap),
      api.GET("/api/v1/violations", { params: { header, query: { limit: 8 } } }).then(unwrap),
    ]);
    const n = (p: { items: unknown[]; next_cursor?: string | null }) =>
      `${p.items.length}${p.next_cursor ? "+" : ""}`;
    return { reviews: n(reviews), open: n(open), detections: n(detections), recent: recent.items };
  }, [api, session]);
  const [events, setEvents] = useState<LiveEvent[]>([]);
  const [status, setStatus] = useState<LiveStatus>("connecting");
  useEffect(() => {
    const feed = new LiveFeed({
      url: wsUrl(window.location.href, session.token),
      token: session.token,
      topics: ["violation", "detection", "moderation", "notification"],
      onEvent: (e) => setEvents((list) => [e, ...list].slice(0, 50)),
      onStatus: setStatus,
    });
    feed.start();
    return () => feed.stop();
  }, [session]);
  return (
    <section>
      <h1>Overview</h1>
      <ErrorBox error={counts.error} />
      {counts.loading && !counts.data ? (
        <Loading />
      ) : counts.data ? (
        <>
          <div className="cards">
            <a className="card" href="#/reviews">
              <strong data-testid="pending-reviews">{counts.data.reviews}</strong> pending reviews
            </a>
            <a className="card" href="#/violations">
              <strong data-testid="open-violations">{counts.data.open}</strong> open violations
            </a>
            <a className="card" href="#/detections">
              <strong data-testid="detections-today">{counts.data.detections}</strong> detections today
            </a>
          </div>
          <h2>Recent enforcement</h2>
          <ul className="list">
            {counts.data.recent.map((v) => (
              <li key={v.id}>
                <Badge tone={severityTone[v.severity]}>{v.severity}</Badge> {v.action.replace("_", " ")} — {v.type} ·{" "}
                <span className="muted">{when(v.created_at)}</span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <h2>
        Live feed <Badge tone={status === "live" ? "ok" : "warn"}>{status}</Badge>
      </h2>
      {events.length === 0 ? (
        <p className="empty">Waiting for events…</p>
      ) : (
        <ul className="list" aria-live="polite" data-testid="live-feed">
          {events.map((e) => (
            <li key={e.id}>
              <Badge>{e.topic}</Badge> {summarize(e)} <span className="muted">{when(e.occurred_at)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function summarize(e: LiveEvent): string {
  const d = e.data as Record<string, unknown>;
  for (const k of ["title", "event", "pattern_name", "reason", "action"]) {
    if (typeof d[k] === "string") return d[k] as string;
  }
  return e.topic;
}
