import { useState } from "react";
import { th, unwrap } from "../api/client";
import { useApi } from "../context";
import { useLoad } from "../hooks";
import { BarChart, LineChart } from "../components/charts";
import { ErrorBox, Loading } from "../components/ui";

type Bucket = "hour" | "day" | "week";
const SPAN: Record<Bucket, number> = { hour: 2, day: 30, week: 180 };

export function Stats() {
  const { api, session } = useApi();
  const header = th(session);
  const [bucket, setBucket] = useState<Bucket>("day");
  const stats = useLoad(() => api.GET("/api/v1/violations/stats", { params: { header, query: {} } }).then(unwrap), [api, session]);
  const trend = useLoad(() => {
    const to = new Date();
    const from = new Date(to.getTime() - SPAN[bucket] * 86_400_000);
    return api
      .GET("/api/v1/violations/trends", { params: { header, query: { bucket, from: from.toISOString(), to: to.toISOString() } } })
      .then(unwrap);
  }, [api, session, bucket]);
  return (
    <section>
      <h1>Statistics</h1>
      <ErrorBox error={stats.error ?? trend.error} />
      {stats.loading && !stats.data ? (
        <Loading />
      ) : stats.data ? (
        <>
          <p>
            <strong data-testid="violations-total">{stats.data.total}</strong> violations from {new Date(stats.data.from).toLocaleDateString()} to{" "}
            {new Date(stats.data.to).toLocaleDateString()}
          </p>
          <div className="charts">
            <BarChart title="By type" counts={stats.data.by_type} />
            <BarChart title="By severity" counts={stats.data.by_severity} />
            <BarChart title="By action" counts={stats.data.by_action} />
            <BarChart title="By status" counts={stats.data.by_status} />
          </div>
        </>
      ) : null}
      <label>
        Bucket
        <select value={bucket} onChange={(e) => setBucket(e.target.value as Bucket)} name="bucket">
          <option value="hour">hour</option>
          <option value="day">day</option>
          <option value="week">week</option>
        </select>
      </label>
      {trend.data && <LineChart title={`Violations per ${bucket}`} points={trend.data.points} />}
    </section>
  );
}
