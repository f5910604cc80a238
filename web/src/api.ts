// The dashboard's only way to the gateway: its public GraphQL API (persisted documents, typed by
// codegen) and the REST export, with the credential kept for this tab only (sessionStorage).
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";

const CREDENTIAL = "billing-gateway.credential";

export const credential = {
  get: () => sessionStorage.getItem(CREDENTIAL),
  set: (value: string) => sessionStorage.setItem(CREDENTIAL, value.trim()),
  clear: () => sessionStorage.removeItem(CREDENTIAL),
};

/** An error as a person wants to read it, with the gateway's code kept for the page to act on. */
export class ApiError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

const MESSAGES: Record<string, string> = {
  UNAUTHENTICATED: "This key or session is not valid any more (expired, revoked or mistyped). Sign in again.",
  FORBIDDEN: "This key may not read billing data here: it needs the read:billing scope.",
  NOT_FOUND: "This workspace does not exist, or this key cannot see it.",
  RATE_LIMITED: "Too many requests for now. Try again in a minute.",
  OVERLOADED: "The gateway is busy. Try again in a moment.",
  DATABASE_UNAVAILABLE: "The gateway cannot reach its database. Try again in a moment.",
};

function humane(code: string, message: string): ApiError {
  return new ApiError(code, MESSAGES[code] ?? message);
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const secret = credential.get();
  return { ...(secret ? { authorization: `Bearer ${secret}` } : {}), ...extra };
}

type Persisted = { __meta__?: { hash?: string } };

/**
 * Runs a typed operation. Persisted: only its hash goes over the wire (the gateway knows the
 * document from the build's manifest), so a gateway that takes persisted operations only serves it.
 */
export async function request<R, V>(document: TypedDocumentNode<R, V>, variables: V): Promise<R> {
  const hash = (document as Persisted).__meta__?.hash;
  const response = await fetch("/graphql", {
    method: "POST",
    headers: headers({ "content-type": "application/json", accept: "application/graphql-response+json" }),
    body: JSON.stringify({ documentId: hash, variables }),
  });
  const body = (await response.json().catch(() => ({}))) as { data?: R; errors?: { message: string; extensions?: { code?: string } }[] };
  const error = body.errors?.[0];
  if (error) throw humane(error.extensions?.code ?? `HTTP_${response.status}`, error.message);
  if (!body.data) throw humane(`HTTP_${response.status}`, `The gateway answered ${response.status}.`);
  return body.data;
}

/** Downloads a file of a REST route with the tab's credential, under the name the gateway gives it. */
export async function download(path: string): Promise<{ name: string; text: string }> {
  const response = await fetch(path, { headers: headers() });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
    throw humane(body.error?.code ?? `HTTP_${response.status}`, body.error?.message ?? `The gateway answered ${response.status}.`);
  }
  const name = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") ?? "")?.[1] ?? "export.csv";
  const text = await response.text();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  link.download = name;
  link.click();
  URL.revokeObjectURL(link.href);
  return { name, text };
}

/**
 * Follows a subscription over Server-Sent Events (GraphQL over SSE, as the gateway's yoga speaks
 * it); returns what stops it. A stream that drops is opened again after a few seconds.
 */
export function subscribe<R, V>(document: TypedDocumentNode<R, V>, variables: V, onNext: (data: R) => void, onError: (error: Error) => void): () => void {
  const hash = (document as Persisted).__meta__?.hash;
  const abort = new AbortController();
  const run = async () => {
    const response = await fetch("/graphql", {
      method: "POST",
      headers: headers({ "content-type": "application/json", accept: "text/event-stream" }),
      body: JSON.stringify({ documentId: hash, variables }),
      signal: abort.signal,
    });
    // A refusal before the stream (401, 403, 429) is JSON: say it, and do not try again.
    if (!response.ok || !response.headers.get("content-type")?.startsWith("text/event-stream")) {
      const body = (await response.json().catch(() => ({}))) as { errors?: { message: string; extensions?: { code?: string } }[] };
      const error = body.errors?.[0];
      abort.abort();
      return onError(humane(error?.extensions?.code ?? `HTTP_${response.status}`, error?.message ?? `The gateway answered ${response.status}.`));
    }
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffered += value;
      for (let end = buffered.indexOf("\n\n"); end >= 0; end = buffered.indexOf("\n\n")) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!/^event: next$/m.test(block) || !data) continue;
        const payload = JSON.parse(data) as { data?: R; errors?: { message: string; extensions?: { code?: string } }[] };
        const error = payload.errors?.[0];
        if (error) {
          abort.abort(); // refused (a revoked key, a lost scope): opening it again would not help
          return onError(humane(error.extensions?.code ?? "ERROR", error.message));
        }
        if (payload.data) onNext(payload.data);
      }
    }
  };
  const loop = async () => {
    while (!abort.signal.aborted) {
      await run().catch(() => undefined);
      if (!abort.signal.aborted) await new Promise((resolve) => setTimeout(resolve, 3_000));
    }
  };
  void loop();
  return () => abort.abort();
}
