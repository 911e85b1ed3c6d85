import { useState } from "react";
import { th, unwrap } from "../api/client";
import type { SellerProfile, Verification } from "../api/types";
import { useApi } from "../context";
import { useLoad } from "../hooks";
import { BarChart } from "../components/charts";
import { Badge, Empty, ErrorBox, Loading, when } from "../components/ui";

export function Sellers() {
  const { api, session } = useApi();
  const list = useLoad(
    () => api.GET("/api/v1/sellers", { params: { header: th(session), query: { limit: 100 } } }).then(unwrap),
    [api, session],
  );
  const [current, setCurrent] = useState<SellerProfile | null>(null);
  return (
    <section>
      <h1>Sellers</h1>
      <ErrorBox error={list.error} />
      <div className="split">
        <div>
          {list.loading && !list.data ? (
            <Loading />
          ) : list.data?.items.length === 0 ? (
            <Empty>No stores.</Empty>
          ) : (
            <ul className="list selectable">
              {list.data?.items.map((s) => (
                <li key={s.id}>
                  <button type="button" className="link" onClick={() => setCurrent(s)}>
                    {s.store_name}
                  </button>{" "}
                  <Badge>{s.status}</Badge>
                </li>
              ))}
            </ul>
          )}
        </div>
        {current && <Trust key={current.id} seller={current} />}
      </div>
    </section>
  );
}

function Trust({ seller }: { seller: SellerProfile }) {
  const { api, session } = useApi();
  const header = th(session);
  const path = { id: seller.id };
  const data = useLoad(async () => {
    const [standing, steps] = await Promise.all([
      api.GET("/api/v1/sellers/{id}/trust", { params: { header, path } }).then(unwrap),
      api.GET("/api/v1/sellers/{id}/verifications", { params: { header, path } }).then(unwrap),
    ]);
    return { standing, steps };
  }, [api, session, seller.id]);
  const [notes, setNotes] = useState("");
  const [error, setError] = useState<unknown>(null);
  const review = async (v: Verification, decision: "approve" | "reject") => {
    setError(null);
    try {
      await api
        .POST("/api/v1/sellers/{id}/verifications/{vid}/review", {
          params: { header, path: { id: seller.id, vid: v.id } },
          body: { decision, notes },
        })
        .then(unwrap);
      data.reload();
    } catch (e) {
      setError(e);
    }
  };
  if (data.loading && !data.data) return <Loading />;
  if (data.error) return <ErrorBox error={data.error} />;
  if (!data.data) return null;
  const { standing, steps } = data.data;
  const breakdown = Object.fromEntries(
    Object.entries(standing.breakdown)
      .filter(([k]) => k !== "score")
      .map(([k, v]) => [k, Math.round(Number(v) * 100)]),
  );
  return (
    <article className="panel" aria-label="Seller trust">
      <h2>{seller.store_name}</h2>
      <p>
        Level <strong data-testid="trust-level">{standing.level}</strong> · score <strong>{standing.score.toFixed(1)}</strong> · risk{" "}
        <Badge tone={standing.risk === "high" ? "bad" : standing.risk === "medium" ? "warn" : "ok"}>{standing.risk}</Badge>
        {standing.demotion_due_at && <> · demotion due {when(standing.demotion_due_at)}</>}
      </p>
      <BarChart title="Score breakdown (% of each component)" counts={breakdown} />
      {standing.next_level && (
        <>
          <h3>Next level {standing.next_level.level}</h3>
          <ul className="list">
            {standing.next_level.requirements.map((r) => (
              <li key={r.requirement}>
                {r.met ? "✔" : "✘"} {r.detail}
              </li>
            ))}
          </ul>
        </>
      )}
      <h3>Verification steps</h3>
      <label>
        Review notes
        <input value={notes} onChange={(e) => setNotes(e.target.value)} name="notes" />
      </label>
      <ErrorBox error={error} />
      {steps.length === 0 ? (
        <Empty>No steps submitted.</Empty>
      ) : (
        <ul className="list">
          {steps.map((v) => (
            <li key={v.id}>
              {v.step} <Badge tone={v.status === "approved" ? "ok" : v.status === "rejected" ? "bad" : "warn"}>{v.status}</Badge>{" "}
              <span className="muted">{when(v.created_at)}</span>
              {v.status === "submitted" && !["email", "phone"].includes(v.step) && (
                <>
                  {" "}
                  <button type="button" onClick={() => review(v, "approve")}>
                    Approve
                  </button>
                  <button type="button" onClick={() => review(v, "reject")}>
                    Reject
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </article>
  );
}
