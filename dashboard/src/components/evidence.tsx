// What a decision was made on (its evidence) and what its user was told (the
// statement of reasons). Everything here comes from users or stored JSON:
// it is rendered as text only, never as HTML.
import type { Evidence, Statement } from "../api/types";
import { markByBytes, ruleSpans } from "../spans";
import { Empty, when } from "./ui";

/** Nested values as `a.b` rows (scores, model versions). */
export function flatten(scores: Record<string, unknown>, prefix = ""): [string, unknown][] {
  return Object.entries(scores).flatMap(([k, v]) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? flatten(v as Record<string, unknown>, `${prefix}${k}.`)
      : [[`${prefix}${k}`, v] as [string, unknown]],
  );
}

/** A value of stored JSON, short. */
export function show(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(3);
  if (typeof v === "string") return v;
  if (v === null || v === undefined) return "—";
  return JSON.stringify(v);
}

/** A hex hash, short (the whole one is in the title). */
export function shortHash(hash: string): string {
  return hash.length > 12 ? `${hash.slice(0, 12)}…` : hash;
}

/** `href` for a link only when it is a path of this site or http(s); else none. */
export function safeHref(url: string): string | undefined {
  if (/^\/(?![/\\])/.test(url)) return url;
  return /^https?:\/\//i.test(url) ? url : undefined;
}

const asObject = (v: unknown): Record<string, unknown> =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** Text with the spans (UTF-8 byte offsets) that made rules match marked. */
export function MarkedText({ text, spans }: { text: string; spans: { start: number; end: number }[] }) {
  return (
    <p className="content" data-testid="evidence-text">
      {markByBytes(text, spans).map((p, i) => (p.marked ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}
    </p>
  );
}

/** The details of a matched rule or pattern worth a glance, besides its name. */
const RULE_DETAILS = ["severity", "observed", "threshold", "confidence"];

function RuleLine({ rule }: { rule: Record<string, unknown> }) {
  const name = typeof rule.name === "string" && rule.name ? rule.name : "(unnamed rule)";
  const spans = Array.isArray(rule.spans) ? rule.spans.map(asObject) : [];
  const matched = spans.map((s) => s.text).filter((t): t is string => typeof t === "string" && t !== "");
  const details = RULE_DETAILS.filter((k) => rule[k] !== undefined && rule[k] !== null).map((k) => `${k} ${show(rule[k])}`);
  return (
    <li>
      <strong>{name}</strong>
      {typeof rule.action === "string" && rule.action ? ` → ${rule.action}` : ""}
      {typeof rule.explanation === "string" && rule.explanation ? `: ${rule.explanation}` : ""}
      {matched.length > 0 && <span className="muted"> (matched {matched.map((t) => `“${t}”`).join(", ")})</span>}
      {details.length > 0 && <span className="muted"> · {details.join(" · ")}</span>}
    </li>
  );
}

function Compact({ label, values }: { label: string; values: [string, unknown][] }) {
  if (values.length === 0) return null;
  return (
    <>
      <dt>{label}</dt>
      <dd>
        <ul className="inline" aria-label={label}>
          {values.map(([k, v]) => (
            <li key={k}>
              <span className="muted">{k}</span> {show(v)}
            </li>
          ))}
        </ul>
      </dd>
    </>
  );
}

/** Whether a JSON value holds anything (non-empty array or object). */
const hasAny = (v: unknown) => (Array.isArray(v) ? v.length > 0 : Object.keys(asObject(v)).length > 0);

/** A decision's evidence, or a note that none is kept. */
export function EvidenceView({ evidence }: { evidence: Evidence | null | undefined }) {
  if (!evidence) {
    return (
      <section aria-label="Evidence" className="evidence">
        <h3>Evidence</h3>
        <Empty>No evidence is kept for this decision: none was recorded, or it was deleted after the retention period.</Empty>
      </section>
    );
  }
  const e = evidence;
  const rules = Array.isArray(e.rules) ? (e.rules as unknown[]).map(asObject) : [];
  const events: unknown = e.events;
  return (
    <section aria-label="Evidence" className="evidence">
      <h3>Evidence</h3>
      {typeof e.text === "string" ? (
        <MarkedText text={e.text} spans={ruleSpans(e.rules)} />
      ) : (
        <p className="muted">No content text (the decision is not about content).</p>
      )}
      <dl className="details">
        <dt>Decision</dt>
        <dd>{e.decision}</dd>
        {e.content_type && (
          <>
            <dt>Content</dt>
            <dd>
              {e.content_type}{" "}
              {e.content_id ? <code title={e.content_id}>{e.content_id.slice(0, 8)}</code> : <span className="muted">(refused write, never stored)</span>}
            </dd>
          </>
        )}
        {e.sha256 && (
          <>
            <dt>SHA-256</dt>
            <dd>
              <code title={e.sha256}>{shortHash(e.sha256)}</code>
            </dd>
          </>
        )}
        <dt>Decided</dt>
        <dd data-testid="evidence-decided">
          {e.decided_by ? (
            <>
              by <code>{e.decided_by}</code>
            </>
          ) : (
            "automated"
          )}
          , {when(e.decided_at)}
        </dd>
        <Compact label="Models" values={flatten(asObject(e.model_versions))} />
        <Compact label="Scores" values={flatten(asObject(e.scores))} />
        <dt>Rules matched</dt>
        <dd>
          {rules.length === 0 ? (
            <span className="muted">none</span>
          ) : (
            <ul className="list" aria-label="Rules matched">
              {rules.map((r, i) => (
                <RuleLine key={i} rule={r} />
              ))}
            </ul>
          )}
        </dd>
        {hasAny(events) && (
          <>
            <dt>Detection events</dt>
            <dd>
              <details>
                <summary>{Array.isArray(events) ? `${events.length} event${events.length === 1 ? "" : "s"}` : "what the detection saw"}</summary>
                <pre className="json">{JSON.stringify(events, null, 2)}</pre>
              </details>
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}

/** The statement of reasons its user received, or a note that there is none. */
export function StatementView({ statement }: { statement: Statement | null | undefined }) {
  if (!statement) {
    return (
      <section aria-label="Statement of reasons" className="statement">
        <h3>Statement of reasons</h3>
        <Empty>No statement of reasons was issued for this decision.</Empty>
      </section>
    );
  }
  const s = statement;
  const href = s.appeal ? safeHref(s.appeal.url) : undefined;
  return (
    <section aria-label="Statement of reasons" className="statement">
      <h3>Statement of reasons</h3>
      <dl className="details">
        <dt>Decision</dt>
        <dd>{s.decision}</dd>
        <dt>Facts</dt>
        <dd>{s.facts}</dd>
        <dt>Ground</dt>
        <dd>
          <strong>{s.ground.name}</strong>: {s.ground.text}
        </dd>
        <dt>Automated</dt>
        <dd>{s.automated ? "yes" : "no, decided by a person"}</dd>
        {s.restricted_until && (
          <>
            <dt>Restricted until</dt>
            <dd>{when(s.restricted_until)}</dd>
          </>
        )}
        <dt>Appeal</dt>
        <dd>
          {s.appeal ? (
            <>
              {href ? <a href={href}>{s.appeal.url}</a> : <code>{s.appeal.url}</code>} by {when(s.appeal.deadline)}
            </>
          ) : (
            <span className="muted">no appeal open</span>
          )}
        </dd>
        <dt>Issued</dt>
        <dd>{when(s.created_at)}</dd>
      </dl>
    </section>
  );
}
