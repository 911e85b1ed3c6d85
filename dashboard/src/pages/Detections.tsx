import { useState } from "react";
import { th, unwrap } from "../api/client";
import type { BacktestReport, Detection, Pattern, Rule } from "../api/types";
import { useApi } from "../context";
import { useLoad } from "../hooks";
import { JsonEditor } from "../components/JsonEditor";
import { Badge, Dialog, Empty, ErrorBox, Loading, severityTone, when } from "../components/ui";

export function Detections() {
  const { api, session } = useApi();
  const header = th(session);
  const list = useLoad(
    () => api.GET("/api/v1/behavior/detections", { params: { header, query: { limit: 50 } } }).then(unwrap),
    [api, session],
  );
  const [note, setNote] = useState("");
  const [error, setError] = useState<unknown>(null);
  const review = async (d: Detection, status: "confirmed" | "dismissed") => {
    setError(null);
    try {
      await api
        .POST("/api/v1/behavior/detections/{id}/review", { params: { header, path: { id: d.id } }, body: { status, note } })
        .then(unwrap);
      list.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section>
      <h1>Detections</h1>
      <ErrorBox error={list.error ?? error} />
      <label>
        Review note
        <input value={note} onChange={(e) => setNote(e.target.value)} name="note" />
      </label>
      {list.loading && !list.data ? (
        <Loading />
      ) : list.data?.items.length === 0 ? (
        <Empty>No detections.</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th>When</th>
              <th>Pattern</th>
              <th>Severity</th>
              <th>Group</th>
              <th>Observed</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.data?.items.map((d) => (
              <tr key={d.id}>
                <td>{when(d.detected_at)}</td>
                <td>
                  {d.pattern_name} {d.mode === "shadow" && <Badge>shadow</Badge>}
                </td>
                <td>
                  <Badge tone={severityTone[d.severity]}>{d.severity}</Badge>
                </td>
                <td>{d.group_key}</td>
                <td>
                  {d.observed}
                  {d.threshold != null ? ` > ${d.threshold}` : ""}
                </td>
                <td>{d.status}</td>
                <td>
                  {d.status === "open" && (
                    <>
                      <button type="button" onClick={() => review(d as Detection, "confirmed")}>
                        Confirm
                      </button>
                      <button type="button" onClick={() => review(d as Detection, "dismissed")}>
                        Dismiss
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Patterns />
      <Rules />
    </section>
  );
}

const NEW_PATTERN = {
  name: "Failed logins from one address",
  condition: { all: [{ field: "action", op: "eq", value: "auth_failure" }] },
  window: { seconds: 60, per: "ip", aggregate: "count", above: 5 },
  severity: "high",
  cooldown_seconds: 300,
  mode: "shadow",
};

function Patterns() {
  const { api, session } = useApi();
  const header = th(session);
  const list = useLoad(
    () => api.GET("/api/v1/behavior/patterns", { params: { header, query: { limit: 100 } } }).then(unwrap),
    [api, session],
  );
  const [editing, setEditing] = useState<Pattern | "new" | null>(null);
  const [backtest, setBacktest] = useState<Pattern | null>(null);
  return (
    <>
      <h2>Behavior patterns</h2>
      <ErrorBox error={list.error} />
      <button type="button" onClick={() => setEditing("new")}>
        New pattern
      </button>
      {list.data?.items.length === 0 && <Empty>No patterns yet.</Empty>}
      <ul className="list">
        {list.data?.items.map((p) => (
          <li key={p.id}>
            <strong>{p.name}</strong> <Badge tone={severityTone[p.severity]}>{p.severity}</Badge>{" "}
            <button type="button" className="link" onClick={() => setEditing(p as Pattern)}>
              edit
            </button>{" "}
            <button type="button" className="link" onClick={() => setBacktest(p as Pattern)}>
              backtest
            </button>
          </li>
        ))}
      </ul>
      {editing && (
        <Dialog title={editing === "new" ? "New pattern" : `Pattern ${editing.name}`} onClose={() => setEditing(null)}>
          <JsonEditor
            label="Pattern (JSON)"
            initial={editing === "new" ? NEW_PATTERN : strip(editing)}
            onSave={async (body) => {
              const saved =
                editing === "new"
                  ? await api.POST("/api/v1/behavior/patterns", { params: { header }, body: body as never }).then(unwrap)
                  : await api
                      .PUT("/api/v1/behavior/patterns/{id}", { params: { header, path: { id: editing.id } }, body: body as never })
                      .then(unwrap);
              list.reload();
              return saved;
            }}
          />
        </Dialog>
      )}
      {backtest && <Backtest pattern={backtest} onClose={() => setBacktest(null)} />}
    </>
  );
}

function strip<T extends object>(saved: T): Partial<T> {
  const copy = { ...saved } as Record<string, unknown>;
  for (const k of ["id", "created_by", "created_at", "updated_at", "version"]) delete copy[k];
  return copy as Partial<T>;
}

function Backtest({ pattern, onClose }: { pattern: Pattern; onClose: () => void }) {
  const { api, session } = useApi();
  const [days, setDays] = useState(7);
  const [report, setReport] = useState<BacktestReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setError(null);
    const to = new Date();
    const from = new Date(to.getTime() - days * 86_400_000);
    try {
      setReport(
        await api
          .POST("/api/v1/behavior/patterns/{id}/backtest", {
            params: { header: th(session), path: { id: pattern.id } },
            body: { from: from.toISOString(), to: to.toISOString() },
          })
          .then(unwrap),
      );
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Backtest ${pattern.name}`} onClose={onClose}>
      <label>
        Days back (1–31)
        <input type="number" min={1} max={31} value={days} onChange={(e) => setDays(Number(e.target.value))} />
      </label>
      <button type="button" onClick={run} disabled={busy}>
        Run backtest
      </button>
      <ErrorBox error={error} />
      {busy && <Loading what="Scanning the activity log" />}
      {report && (
        <dl className="details" data-testid="backtest-report">
          <dt>Events scanned</dt>
          <dd>{report.events_scanned}</dd>
          <dt>Events matched</dt>
          <dd>{report.events_matched}</dd>
          <dt>Detections</dt>
          <dd>{report.detections}</dd>
          <dt>Groups</dt>
          <dd>{report.groups}</dd>
          {report.truncated && <dd>(stopped at the cap)</dd>}
        </dl>
      )}
    </Dialog>
  );
}

const NEW_RULE = {
  name: "No scams",
  kind: "pattern",
  pattern: { keywords: ["scam"] },
  content_types: ["product", "review", "message"],
  action: "require_review",
};

function Rules() {
  const { api, session } = useApi();
  const header = th(session);
  const list = useLoad(
    () => api.GET("/api/v1/moderation/rules", { params: { header, query: { limit: 100 } } }).then(unwrap),
    [api, session],
  );
  const [editing, setEditing] = useState<Rule | "new" | null>(null);
  return (
    <>
      <h2>Moderation rules</h2>
      <ErrorBox error={list.error} />
      <button type="button" onClick={() => setEditing("new")}>
        New rule
      </button>
      {list.data?.items.length === 0 && <Empty>No rules yet.</Empty>}
      <ul className="list">
        {list.data?.items.map((r) => (
          <li key={r.id}>
            <strong>{r.name}</strong> <Badge>{r.kind}</Badge> → {r.action} {!r.enabled && <Badge>disabled</Badge>}{" "}
            <button type="button" className="link" onClick={() => setEditing(r as Rule)}>
              edit
            </button>
          </li>
        ))}
      </ul>
      {editing && (
        <Dialog title={editing === "new" ? "New rule" : `Rule ${editing.name}`} onClose={() => setEditing(null)}>
          <JsonEditor
            label="Rule (JSON)"
            initial={editing === "new" ? NEW_RULE : strip(editing)}
            onSave={async (body) => {
              const saved =
                editing === "new"
                  ? await api.POST("/api/v1/moderation/rules", { params: { header }, body: body as never }).then(unwrap)
                  : await api
                      .PUT("/api/v1/moderation/rules/{id}", { params: { header, path: { id: editing.id } }, body: body as never })
                      .then(unwrap);
              list.reload();
              return saved;
            }}
          />
        </Dialog>
      )}
    </>
  );
}
