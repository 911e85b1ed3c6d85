import { useState } from "react";
import { th, unwrap, type Api } from "../api/client";
import type { ModerationResult, Report, ReviewItem } from "../api/types";
import type { Session } from "../session";
import { useApi } from "../context";
import { useLoad } from "../hooks";
import { Highlighted } from "../components/highlight";
import { EvidenceView, flatten } from "../components/evidence";
import { Badge, Empty, ErrorBox, Loading, when } from "../components/ui";

type Decision = "approve" | "reject" | "request_changes" | "escalate";

/** The text of the content under review. */
async function contentText(api: Api, session: Session, item: ReviewItem): Promise<string> {
  const header = th(session);
  const path = { id: item.content_id };
  switch (item.content_type) {
    case "product": {
      const p = await api.GET("/api/v1/products/{id}", { params: { header, path } }).then(unwrap);
      return `${p.title}\n\n${p.description}`;
    }
    case "review": {
      const r = await api.GET("/api/v1/reviews/{id}", { params: { header, path } }).then(unwrap);
      return r.body ?? "";
    }
    case "seller_profile": {
      const s = await api.GET("/api/v1/sellers/{id}", { params: { header, path } }).then(unwrap);
      return `${s.store_name}\n\n${s.description}`;
    }
    case "user":
      return "(a reported user account: see the reports below)";
    default:
      return "(message text is shown in its conversation)";
  }
}

export function Reviews() {
  const { api, session } = useApi();
  const queue = useLoad(
    () => api.GET("/api/v1/moderation/reviews", { params: { header: th(session), query: { limit: 50 } } }).then(unwrap),
    [api, session],
  );
  const [current, setCurrent] = useState<ReviewItem | null>(null);
  return (
    <section>
      <h1>Review queue</h1>
      <ErrorBox error={queue.error} />
      <div className="split">
        <div>
          {queue.loading && !queue.data ? (
            <Loading />
          ) : queue.data?.items.length === 0 ? (
            <Empty>Nothing waits for review.</Empty>
          ) : (
            <ul className="list selectable">
              {queue.data?.items.map((item) => (
                <li key={item.id}>
                  <button type="button" className="link" onClick={() => setCurrent(item)} aria-current={current?.id === item.id}>
                    <Badge>{item.content_type}</Badge> {item.reason} <Badge tone={item.status === "escalated" ? "warn" : ""}>{item.status}</Badge>
                    {item.source === "report" && <Badge>reports · priority {item.priority}</Badge>}
                  </button>
                  <span className="muted"> {when(item.created_at)}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
        {current && (
          <ReviewPanel
            key={current.id}
            item={current}
            onDone={() => {
              setCurrent(null);
              queue.reload();
            }}
          />
        )}
      </div>
    </section>
  );
}

function ReviewPanel({ item, onDone }: { item: ReviewItem; onDone: () => void }) {
  const { api, session } = useApi();
  const header = th(session);
  const [claimed, setClaimed] = useState<ReviewItem>(item);
  const [note, setNote] = useState("");
  const [error, setError] = useState<unknown>(null);
  // The item with the evidence its decision was made on; without evidence
  // (deleted after the retention period), the content as it is now.
  const detail = useLoad(async () => {
    const review = await api.GET("/api/v1/moderation/reviews/{id}", { params: { header, path: { id: item.id } } }).then(unwrap);
    // Report items have no moderation result: their reports say why.
    const reportsOf =
      item.source === "report"
        ? api
            .GET("/api/v1/reports", { params: { header, query: { review_id: item.id, limit: 100 } } })
            .then(unwrap)
            .then((page) => page.items)
        : Promise.resolve([] as Report[]);
    if (review.evidence) return { review, current: null, reports: await reportsOf };
    const [result, text, reports] = await Promise.all([
      item.result_id
        ? api.GET("/api/v1/moderation/results/{id}", { params: { header, path: { id: item.result_id } } }).then(unwrap)
        : Promise.resolve(null),
      contentText(api, session, item),
      reportsOf,
    ]);
    return { review, current: { result: result as ModerationResult | null, text }, reports };
  }, [api, session, item]);
  const claim = async () => {
    setError(null);
    try {
      setClaimed(await api.POST("/api/v1/moderation/reviews/{id}/claim", { params: { header, path: { id: item.id } } }).then(unwrap));
    } catch (e) {
      setError(e);
    }
  };
  const decide = async (decision: Decision) => {
    setError(null);
    try {
      await api
        .POST("/api/v1/moderation/reviews/{id}/decision", { params: { header, path: { id: item.id } }, body: { decision, note } })
        .then(unwrap);
      onDone();
    } catch (e) {
      setError(e);
    }
  };
  const current = detail.data?.current;
  const spans = current?.result?.matches.flatMap((m) => m.spans) ?? [];
  const scores = flatten((current?.result?.scores ?? {}) as Record<string, unknown>);
  return (
    <article className="panel" aria-label="Review item">
      <h2>
        {item.content_type} <span className="muted">{item.content_id.slice(0, 8)}</span>
      </h2>
      <ErrorBox error={detail.error} />
      {detail.loading && !detail.data ? <Loading /> : detail.data && <EvidenceView evidence={detail.data.review.evidence} />}
      {detail.data && detail.data.reports.length > 0 && (
        <>
          <h3>Reports</h3>
          <ul className="list">
            {detail.data.reports.map((r) => (
              <li key={r.id}>
                <Badge>{r.category}</Badge> {r.text} <span className="muted">×{r.times_reported} {when(r.created_at)}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      {current && (
        <>
          <h3>Content now</h3>
          <Highlighted text={current.text} spans={spans} />
          <h3>Matched rules</h3>
          <ul className="list">
            {(current.result?.matches ?? []).map((m) => (
              <li key={m.rule_id}>
                <strong>{m.name}</strong> → {m.action}: {m.explanation}
              </li>
            ))}
          </ul>
          <h3>Scores</h3>
          <dl className="details">
            {scores.map(([k, v]) => (
              <div key={k}>
                <dt>{k}</dt>
                <dd>{typeof v === "number" ? v.toFixed(3) : String(v)}</dd>
              </div>
            ))}
          </dl>
        </>
      )}
      {claimed.claimed_by ? (
        <>
          <p className="muted">Claimed until {when(claimed.claim_expires_at)}</p>
          <label>
            Note
            <textarea value={note} onChange={(e) => setNote(e.target.value)} rows={2} name="note" />
          </label>
          <div className="actions">
            <button type="button" onClick={() => decide("approve")}>
              Approve
            </button>
            <button type="button" onClick={() => decide("reject")}>
              Reject
            </button>
            <button type="button" onClick={() => decide("request_changes")}>
              Request changes
            </button>
            <button type="button" onClick={() => decide("escalate")}>
              Escalate
            </button>
          </div>
        </>
      ) : (
        <button type="button" onClick={claim}>
          Claim
        </button>
      )}
      <ErrorBox error={error} />
    </article>
  );
}
