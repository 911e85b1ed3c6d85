import { useEffect, useMemo, useState } from "react";
import { makeApi, th, unwrap } from "./api/client";
import { ApiContext } from "./context";
import { LiveFeed, wsUrl } from "./live";
import { clearSession, loadSession, saveSession, type Session } from "./session";
import { SignIn } from "./pages/SignIn";
import { Overview } from "./pages/Overview";
import { Violations } from "./pages/Violations";
import { Reviews } from "./pages/Reviews";
import { Detections } from "./pages/Detections";
import { Stats } from "./pages/Stats";
import { Notifications } from "./pages/Notifications";
import { Sellers } from "./pages/Sellers";

const PAGES = [
  ["overview", "Overview"],
  ["violations", "Violations"],
  ["reviews", "Review queue"],
  ["detections", "Detections & rules"],
  ["stats", "Statistics"],
  ["notifications", "Notifications"],
  ["sellers", "Sellers"],
] as const;
type Page = (typeof PAGES)[number][0];

function currentPage(): Page {
  const name = window.location.hash.replace(/^#\/?/, "");
  return (PAGES.find(([p]) => p === name)?.[0] ?? "overview") as Page;
}

export function App() {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  if (!session) {
    return (
      <SignIn
        onSignIn={(s) => {
          saveSession(s);
          setSession(s);
        }}
      />
    );
  }
  return (
    <Shell
      session={session}
      onSignOut={() => {
        clearSession();
        setSession(null);
      }}
    />
  );
}

function Shell({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const api = useMemo(() => makeApi(session), [session]);
  const [page, setPage] = useState<Page>(currentPage);
  const [unread, setUnread] = useState<number | null>(null);
  const [arrivals, setArrivals] = useState(0);
  useEffect(() => {
    const onHash = () => setPage(currentPage());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  useEffect(() => {
    api
      .GET("/api/v1/notifications/unread-count", { params: { header: th(session) } })
      .then(unwrap)
      .then((c) => setUnread(c.unread))
      .catch(() => setUnread(null));
  }, [api, session, arrivals]);
  // New notifications arrive live: the badge and the centre refresh.
  useEffect(() => {
    const feed = new LiveFeed({
      url: wsUrl(window.location.href, session.token),
      token: session.token,
      topics: ["notification"],
      onEvent: () => setArrivals((n) => n + 1),
    });
    feed.start();
    return () => feed.stop();
  }, [session]);
  const ctx = useMemo(() => ({ session, api }), [session, api]);
  return (
    <ApiContext.Provider value={ctx}>
      <div className="shell">
        <nav className="side" aria-label="Pages">
          <strong className="brand">Warden</strong>
          {PAGES.map(([p, label]) => (
            <a key={p} href={`#/${p}`} aria-current={p === page ? "page" : undefined}>
              {label}
              {p === "notifications" && unread ? (
                <span className="count" data-testid="unread-badge" aria-label={`${unread} unread`}>
                  {unread}
                </span>
              ) : null}
            </a>
          ))}
          <button type="button" className="link" onClick={onSignOut}>
            Sign out
          </button>
        </nav>
        <main>
          {page === "overview" && <Overview />}
          {page === "violations" && <Violations />}
          {page === "reviews" && <Reviews />}
          {page === "detections" && <Detections />}
          {page === "stats" && <Stats />}
          {page === "notifications" && <Notifications version={arrivals} onChanged={() => setArrivals((n) => n + 1)} />}
          {page === "sellers" && <Sellers />}
        </main>
      </div>
    </ApiContext.Provider>
  );
}
