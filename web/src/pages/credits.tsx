// Credits: the balance (paid and free) and its next expiry, moving live as usage arrives (the
// creditBalanceChanged subscription), the lots, and the ledger 50 rows a page.
import { useEffect, useState } from "preact/hooks";
import { request, subscribe } from "../api";
import { graphql } from "../gql";
import type { CreditsPageQuery, LiveBalanceSubscription } from "../gql/graphql";
import { formatDecimal, formatInstant, formatUsd } from "../time";
import { ErrorNote, Pager, type PageArgs, type PageProps } from "./shared";

const CreditsPage = graphql(`
  query CreditsPage($id: ID!, $after: String, $before: String, $first: Int, $last: Int) {
    workspace(id: $id) {
      creditLots(first: 50, state: [ACTIVE]) { nodes { id source state originalCredits remainingCredits unitCostUsd expiresAt createdAt } }
      creditTransactions(first: $first, after: $after, last: $last, before: $before) {
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        nodes { id occurredAt type amount balanceAfter costUsd description }
      }
    }
  }
`);

const LiveBalance = graphql(`
  subscription LiveBalance($id: ID!) {
    creditBalanceChanged(workspaceId: $id) { credits paidCredits freeCredits usdValue asOf nextExpiry { at credits } }
  }
`);

type Balance = LiveBalanceSubscription["creditBalanceChanged"];
type Workspace = NonNullable<CreditsPageQuery["workspace"]>;
const PAGE = 50;

export function Credits({ workspace }: PageProps) {
  const [balance, setBalance] = useState<Balance | null>(null);
  const [data, setData] = useState<Workspace | null>(null);
  const [page, setPage] = useState<PageArgs>({ first: PAGE });
  const [error, setError] = useState<Error | null>(null);

  useEffect(() => subscribe(LiveBalance, { id: workspace.id }, (next) => setBalance(next.creditBalanceChanged), setError), [workspace.id]);
  useEffect(() => {
    let current = true;
    request(CreditsPage, { id: workspace.id, ...page })
      .then((result) => current && setData(result.workspace ?? null))
      .catch((e: Error) => current && setError(e));
    return () => { current = false; };
  }, [workspace.id, page, balance?.asOf]);

  const ledger = data?.creditTransactions;
  return (
    <section>
      <h1>Credits</h1>
      <ErrorNote error={error} />
      <div class="cards">
        <div class="card"><span>Balance</span><strong data-testid="balance">{balance ? formatDecimal(balance.credits) : "…"}</strong><small>{balance ? `${formatUsd(balance.usdValue)} · as of ${formatInstant(balance.asOf, workspace.timeZone)}` : ""}</small></div>
        <div class="card"><span>Paid</span><strong>{balance ? formatDecimal(balance.paidCredits) : "…"}</strong></div>
        <div class="card"><span>Free</span><strong>{balance ? formatDecimal(balance.freeCredits) : "…"}</strong></div>
        <div class="card"><span>Next expiry</span><strong>{balance?.nextExpiry ? formatDecimal(balance.nextExpiry.credits) : "None"}</strong><small>{balance?.nextExpiry ? formatInstant(balance.nextExpiry.at, workspace.timeZone) : ""}</small></div>
      </div>
      <h2>Lots</h2>
      <table>
        <thead><tr><th>Created</th><th>Source</th><th>State</th><th class="num">Credits</th><th class="num">Remaining</th><th class="num">Unit cost</th><th>Expires</th></tr></thead>
        <tbody>
          {data?.creditLots?.nodes.map((lot) => (
            <tr key={lot.id}>
              <td>{formatInstant(lot.createdAt, workspace.timeZone)}</td><td>{lot.source}</td><td>{lot.state}</td>
              <td class="num">{formatDecimal(lot.originalCredits)}</td><td class="num">{formatDecimal(lot.remainingCredits)}</td>
              <td class="num">{formatUsd(lot.unitCostUsd)}</td><td>{lot.expiresAt ? formatInstant(lot.expiresAt, workspace.timeZone) : "Never"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Ledger</h2>
      <table>
        <thead><tr><th>Date</th><th>Type</th><th>Description</th><th class="num">Credits</th><th class="num">Balance after</th><th class="num">Cost</th></tr></thead>
        <tbody>
          {ledger?.nodes.map((row) => (
            <tr key={row.id}>
              <td>{formatInstant(row.occurredAt, workspace.timeZone)}</td><td>{row.type}</td><td>{row.description}</td>
              <td class="num">{formatDecimal(row.amount)}</td><td class="num">{formatDecimal(row.balanceAfter)}</td><td class="num">{formatUsd(row.costUsd)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager pageInfo={ledger?.pageInfo} size={PAGE} onPage={setPage} />
    </section>
  );
}
