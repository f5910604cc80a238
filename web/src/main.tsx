// The dashboard: sign-in with an API key or a session token (kept for this tab), the workspaces the
// caller may see, and four pages over the gateway's public GraphQL API. URLs name the workspace by
// its UUID, as the REST routes do (its GraphQL id works too): /workspace/<id>/<page>.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { credential, request } from "./api";
import { graphql } from "./gql";
import { Analytics } from "./pages/analytics";
import { Credits } from "./pages/credits";
import { ErrorNote, type WorkspaceChoice } from "./pages/shared";
import { Spending } from "./pages/spending";
import { Usage } from "./pages/usage";
import "./styles.css";

const Viewer = graphql(`
  query DashboardViewer {
    viewer { kind scopes workspaces { id workspaceId slug name timeZone } }
  }
`);

const PAGES = { usage: ["Usage", Usage], spending: ["Spending", Spending], credits: ["Credits", Credits], analytics: ["Analytics", Analytics] } as const;
type PageName = keyof typeof PAGES;

function route(): { workspace: string | null; page: PageName } {
  const [, section, workspace, page] = location.pathname.split("/");
  return { workspace: section === "workspace" ? decodeURIComponent(workspace ?? "") || null : null, page: page && page in PAGES ? (page as PageName) : "usage" };
}

function go(workspace: WorkspaceChoice, page: PageName) {
  history.pushState(null, "", `/workspace/${workspace.workspaceId}/${page}`);
  dispatchEvent(new PopStateEvent("popstate"));
}

function SignIn({ onSignedIn, error }: { onSignedIn: () => void; error: Error | null }) {
  const [value, setValue] = useState("");
  return (
    <form class="signin" onSubmit={(e) => { e.preventDefault(); credential.set(value); onSignedIn(); }}>
      <h1>Billing dashboard</h1>
      <p>Sign in with an API key (<code>bgk_…</code>, with read:billing) or a dashboard session token. It is kept for this tab only.</p>
      <ErrorNote error={error} />
      <label>API key or session token <input type="password" name="credential" autoComplete="off" value={value} onInput={(e) => setValue(e.currentTarget.value)} required /></label>
      <button type="submit">Sign in</button>
    </form>
  );
}

function App() {
  const [where, setWhere] = useState(route);
  const [workspaces, setWorkspaces] = useState<WorkspaceChoice[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [signedIn, setSignedIn] = useState(() => credential.get() !== null);

  useEffect(() => {
    const onPop = () => setWhere(route());
    addEventListener("popstate", onPop);
    return () => removeEventListener("popstate", onPop);
  }, []);
  useEffect(() => {
    if (!signedIn) return;
    request(Viewer, {})
      .then((data) => { setError(null); setWorkspaces(data.viewer.workspaces); })
      .catch((e: Error & { code?: string }) => {
        setError(e);
        if (e.code === "UNAUTHENTICATED") { credential.clear(); setSignedIn(false); }
      });
  }, [signedIn]);

  if (!signedIn) return <SignIn error={error} onSignedIn={() => setSignedIn(true)} />;
  if (!workspaces) return <main><ErrorNote error={error} />{!error && <p>Loading…</p>}</main>;
  const current = workspaces.find((w) => w.workspaceId === where.workspace || w.id === where.workspace) ?? (where.workspace ? null : workspaces[0]);
  if (!current) return <main><p class="error" role="alert">This workspace does not exist, or this key cannot see it.</p></main>;
  // The address names the workspace shown (its UUID), so that it can be bookmarked and shared.
  if (where.workspace !== current.workspaceId) history.replaceState(null, "", `/workspace/${current.workspaceId}/${where.page}`);
  const Page = PAGES[where.page][1];
  return (
    <div class="layout">
      <nav>
        <strong class="brand">Billing</strong>
        <select aria-label="Workspace" value={current.workspaceId} onChange={(e) => go(workspaces.find((w) => w.workspaceId === e.currentTarget.value)!, where.page)}>
          {workspaces.map((w) => <option value={w.workspaceId}>{w.name}</option>)}
        </select>
        {(Object.keys(PAGES) as PageName[]).map((name) => (
          <a href={`/workspace/${current.workspaceId}/${name}`} class={name === where.page ? "active" : ""} onClick={(e) => { e.preventDefault(); go(current, name); }}>{PAGES[name][0]}</a>
        ))}
        <button class="signout" onClick={() => { credential.clear(); setWorkspaces(null); setSignedIn(false); }}>Sign out</button>
      </nav>
      <main><Page key={`${current.id}/${where.page}`} workspace={current} /></main>
    </div>
  );
}

render(<App />, document.getElementById("app")!);
