import { useState, type FormEvent } from "react";
import { th, unwrap } from "../api/client";
import type { Violation } from "../api/types";
import { useApi } from "../context";
import { useLoad } from "../hooks";
import { EvidenceView, StatementView } from "../components/evidence";
import { Badge, Dialog, Empty, ErrorBox, Loading, Person, severityTone, when } from "../components/ui";

type Filters = {
  type?: "content" | "behavior" | "security";
  severity?: "low" | "medium" | "high" | "critical";
  action?: "warning" | "temporary_ban" | "permanent_ban";
  status?: "open" | "resolved" | "appealed" | "overturned";
  user?: string;
  from?: string;
  to?: string;
};

const day = (d: string, end = false) => (d ? new Date(`${d}T${end ? "23:59:59" : "00:00:00"}`).toISOString() : undefined);

export function Violations() {
  const { api, session } = useApi();
  const [filters, setFilters] = useState<Filters>({});
  const [draft, setDraft] = useState({ type: "", severity: "", action: "", status: "", user: "", from: "", to: "" });
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const [open, setOpen] = useState<Violation | null>(null);
  const page = useLoad(
    () =>
      api
        .GET("/api/v1/violations", { params: { header: th(session), query: { ...filters, cursor, limit: 20 } } })
        .then(unwrap),
    [api, session, filters, cursor],
  );
  const apply = (e: FormEvent) => {
    e.preventDefault();
    const f: Filters = {};
    if (draft.type) f.type = draft.type as Filters["type"];
    if (draft.severity) f.severity = draft.severity as Filters["severity"];
    if (draft.action) f.action = draft.action as Filters["action"];
    if (draft.status) f.status = draft.status as Filters["status"];
    if (draft.user.trim()) f.user = draft.user.trim();
    if (draft.from) f.from = day(draft.from);
    if (draft.to) f.to = day(draft.to, true);
    setFilters(f);
    setCursors([undefined]);
  };
  const select = (name: keyof typeof draft, options: string[]) => (
    <label>
      {name}
      <select value={draft[name]} onChange={(e) => setDraft({ ...draft, [name]: e.target.value })} name={name}>
        <option value="">any</option>
        {options.map((o) => (
          <option key={o}>{o}</option>
        ))}
      </select>
    </label>
  );
  return (
    <section>
      <h1>Violations</h1>
      <form className="filters" onSubmit={apply} aria-label="Filter violations">
        {select("type", ["content", "behavior", "security"])}
        {select("severity", ["low", "medium", "high", "critical"])}
        {select("action", ["warning", "temporary_ban", "permanent_ban"])}
        {select("status", ["open", "resolved", "appealed", "overturned"])}
        <label>
          user
          <input value={draft.user} onChange={(e) => setDraft({ ...draft, user: e.target.value })} placeholder="user id" name="user" />
        </label>
        <label>
          from
          <input type="date" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} name="from" />
        </label>
        <label>
          to
          <input type="date" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} name="to" />
        </label>
        <button type="submit">Apply</button>
      </form>
      <ErrorBox error={page.error} />
      {page.loading && !page.data ? (
        <Loading />
      ) : page.data && page.data.items.length === 0 ? (
        <Empty>No violations match.</Empty>
      ) : page.data ? (
        <table>
          <thead>
            <tr>
              <th>When</th>
              <th>User</th>
              <th>Type</th>
              <th>Severity</th>
              <th>Action</th>
              <th>Status</th>
              <th>Reason</th>
            </tr>
          </thead>
          <tbody>
            {page.data.items.map((v) => (
              <tr key={v.id}>
                <td>{when(v.created_at)}</td>
                <td>
                  <Person id={v.user_id} name={v.user_name} />
                </td>
                <td>{v.type}</td>
                <td>
                  <Badge tone={severityTone[v.severity]}>{v.severity}</Badge>
                </td>
                <td>{v.action}</td>
                <td>{v.status}</td>
                <td>
                  <button type="button" className="link" onClick={() => setOpen(v as Violation)}>
                    {v.reason}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <nav className="pager" aria-label="Pages">
        <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous
        </button>
        <button
          type="button"
          disabled={!page.data?.next_cursor}
          onClick={() => setCursors([...cursors, page.data?.next_cursor ?? undefined])}
        >
          Next
        </button>
      </nav>
      {open && (
        <ViolationDialog
          violation={open}
          onClose={() => setOpen(null)}
          onChanged={() => {
            setOpen(null);
            page.reload();
          }}
        />
      )}
    </section>
  );
}

function ViolationDialog({
  violation,
  onClose,
  onChanged,
}: {
  violation: Violation;
  onClose: () => void;
  onChanged: () => void;
}) {
  const { api, session } = useApi();
  const [note, setNote] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // The row from the list, then the violation with its evidence and statement.
  const detail = useLoad(
    () =>
      api
        .GET("/api/v1/violations/{id}", { params: { header: th(session), path: { id: violation.id } } })
        .then(unwrap),
    [api, session, violation.id],
  );
  const v: Violation = detail.data ?? violation;
  const act = async (run: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await run();
      onChanged();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const path = { id: v.id };
  const header = th(session);
  return (
    <Dialog title={`Violation ${v.id.slice(0, 8)}`} onClose={onClose}>
      <dl className="details">
        <dt>User</dt>
        <dd>
          <Person id={v.user_id} name={v.user_name} /> <code className="muted">{v.user_id}</code>
        </dd>
        <dt>Type / severity</dt>
        <dd>
          {v.type} · <Badge tone={severityTone[v.severity]}>{v.severity}</Badge>
        </dd>
        <dt>Action</dt>
        <dd>
          {v.action} (ladder step {v.ladder_step}){v.ban_until ? ` until ${when(v.ban_until)}` : ""}
        </dd>
        <dt>Status</dt>
        <dd>{v.status}</dd>
        <dt>Reason</dt>
        <dd>{v.reason}</dd>
        <dt>Source</dt>
        <dd>
          {v.source.kind}
          {v.source.id ? ` ${v.source.id}` : ""}
        </dd>
        <dt>History</dt>
        <dd>
          <ul className="list">
            <li>recorded {when(v.created_at)}</li>
            {v.appeal && (
              <li>
                appealed {when(v.appeal.created_at)}: “{v.appeal.text}” — {v.appeal.status}
                {v.appeal.decision_note ? ` (${v.appeal.decision_note})` : ""}
              </li>
            )}
            {v.resolved_at && (
              <li>
                resolved {when(v.resolved_at)}: {v.resolution_note}
              </li>
            )}
          </ul>
        </dd>
      </dl>
      <ErrorBox error={detail.error} />
      {detail.loading && !detail.data ? (
        <Loading what="Loading the evidence" />
      ) : detail.data ? (
        <>
          <EvidenceView evidence={detail.data.evidence} />
          <StatementView statement={detail.data.statement} />
        </>
      ) : null}
      <label>
        Note
        <textarea value={note} onChange={(e) => setNote(e.target.value)} rows={3} name="note" />
      </label>
      <ErrorBox error={error} />
      <div className="actions">
        {v.status === "open" && (
          <button
            type="button"
            disabled={busy}
            onClick={() =>
              act(() =>
                api.POST("/api/v1/violations/{id}/resolve", { params: { header, path }, body: { notes: note } }).then(unwrap),
              )
            }
          >
            Resolve
          </button>
        )}
        {v.status === "appealed" && (
          <>
            <button
              type="button"
              disabled={busy}
              onClick={() =>
                act(() =>
                  api
                    .POST("/api/v1/violations/{id}/appeal/decision", { params: { header, path }, body: { decision: "uphold", note } })
                    .then(unwrap),
                )
              }
            >
              Uphold appeal decision
            </button>
            <button
              type="button"
              disabled={busy}
              onClick={() =>
                act(() =>
                  api
                    .POST("/api/v1/violations/{id}/appeal/decision", { params: { header, path }, body: { decision: "overturn", note } })
                    .then(unwrap),
                )
              }
            >
              Overturn
            </button>
          </>
        )}
      </div>
    </Dialog>
  );
}
