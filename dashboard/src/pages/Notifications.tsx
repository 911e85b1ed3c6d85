import { useState } from "react";
import { th, unwrap } from "../api/client";
import { useApi } from "../context";
import { useLoad } from "../hooks";
import { Badge, Empty, ErrorBox, Loading, when } from "../components/ui";

/** The notification centre; `version` changes when a live notification arrives. */
export function Notifications({ version, onChanged }: { version: number; onChanged: () => void }) {
  const { api, session } = useApi();
  const header = th(session);
  const list = useLoad(
    () => api.GET("/api/v1/notifications", { params: { header, query: { limit: 50 } } }).then(unwrap),
    [api, session, version],
  );
  const [error, setError] = useState<unknown>(null);
  const mark = async (id: string, read: boolean) => {
    setError(null);
    try {
      const path = { id };
      await (read
        ? api.POST("/api/v1/notifications/{id}/read", { params: { header, path } })
        : api.POST("/api/v1/notifications/{id}/unread", { params: { header, path } })
      ).then(unwrap);
      list.reload();
      onChanged();
    } catch (e) {
      setError(e);
    }
  };
  const readAll = async () => {
    await api.POST("/api/v1/notifications/read-all", { params: { header } }).then(unwrap).catch(setError);
    list.reload();
    onChanged();
  };
  return (
    <section>
      <h1>Notifications</h1>
      <ErrorBox error={list.error ?? error} />
      <button type="button" onClick={readAll}>
        Mark all read
      </button>
      {list.loading && !list.data ? (
        <Loading />
      ) : list.data?.items.length === 0 ? (
        <Empty>No notifications.</Empty>
      ) : (
        <ul className="list" data-testid="notifications">
          {list.data?.items.map((n) => (
            <li key={n.id} className={n.read_at ? "read" : "unread"}>
              <Badge tone={n.priority === "urgent" || n.priority === "high" ? "bad" : ""}>{n.priority}</Badge>{" "}
              <strong>{n.title}</strong> <span className="muted">{when(n.created_at)}</span>
              {n.body && <p>{n.body}</p>}
              <button type="button" className="link" onClick={() => mark(n.id, !n.read_at)}>
                {n.read_at ? "Mark unread" : "Mark read"}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
