// urql and Apollo Client with their default settings against a live gateway:
// `node clients.mjs URL KEY QUERY SUBSCRIPTION` prints one JSON line per client and operation
// with the answer it resolved to (a subscription's first), the Accept header it sent and the
// headers of the answer, and any error that escaped (an uncaught AbortError, say). Only the key
// is added to what each client sends by default (and, for urql's subscription over HTTP,
// `fetchSubscriptions`, without which urql sends subscriptions nowhere).
import { Client, cacheExchange, fetchExchange } from '@urql/core';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client/core';

const [url, key, query, subscription] = process.argv.slice(2);
const escaped = [];
process.on('unhandledRejection', (error) => escaped.push(String(error?.name ?? error)));
process.on('uncaughtException', (error) => escaped.push(String(error?.name ?? error)));

// The fetch each client calls, watched: what it sent and what came back.
function watched(exchanges) {
  return async (input, init = {}) => {
    const response = await fetch(input, init);
    const headers = new Headers(init.headers);
    const seen = {};
    for (const name of ['content-type', 'content-encoding', 'etag', 'x-cache', 'vary']) {
      seen[name] = response.headers.get(name);
    }
    exchanges.push({ accept: headers.get('accept'), status: response.status, headers: seen });
    return response;
  };
}

async function urql() {
  const exchanges = [];
  const client = new Client({
    url,
    exchanges: [cacheExchange, fetchExchange],
    fetchOptions: { headers: { 'x-api-key': key } },
    fetch: watched(exchanges),
  });
  const first = await client.query(query, {}).toPromise();
  // Asked again past urql's own cache, so that the gateway's answers it.
  const again = await client.query(query, {}, { requestPolicy: 'network-only' }).toPromise();
  return {
    client: 'urql',
    data: first.data ?? null,
    error: first.error ? String(first.error) : null,
    againSame: JSON.stringify(again.data) === JSON.stringify(first.data),
    exchanges,
  };
}

async function apollo() {
  const exchanges = [];
  const client = new ApolloClient({
    link: new HttpLink({ uri: url, headers: { 'x-api-key': key }, fetch: watched(exchanges) }),
    cache: new InMemoryCache(),
  });
  const first = await client.query({ query: gql(query) });
  return {
    client: 'apollo',
    data: first.data ?? null,
    error: first.error ? String(first.error) : null,
    exchanges,
  };
}

// A subscription's first answer; the subscription is then ended by the client.
function first(subscribe) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer within 10 s')), 10000);
    const held = subscribe({
      next(result) {
        clearTimeout(timer);
        Promise.resolve().then(() => held.unsubscribe());
        resolve(result);
      },
      error(error) {
        clearTimeout(timer);
        reject(error);
      },
    });
  });
}

async function urqlSubscription() {
  const exchanges = [];
  const client = new Client({
    url,
    exchanges: [cacheExchange, fetchExchange],
    fetchOptions: { headers: { 'x-api-key': key } },
    fetch: watched(exchanges),
    fetchSubscriptions: true,
  });
  const result = await first(({ next, error }) =>
    client.subscription(subscription, {}).subscribe((answer) => {
      if (answer.error) error(answer.error);
      else next(answer);
    }),
  );
  return { client: 'urqlSubscription', data: result.data ?? null, error: null, exchanges };
}

async function apolloSubscription() {
  const exchanges = [];
  const client = new ApolloClient({
    link: new HttpLink({ uri: url, headers: { 'x-api-key': key }, fetch: watched(exchanges) }),
    cache: new InMemoryCache(),
  });
  const result = await first((observer) =>
    client.subscribe({ query: gql(subscription) }).subscribe(observer),
  );
  return {
    client: 'apolloSubscription',
    data: result.data ?? null,
    error: result.error ? String(result.error) : null,
    exchanges,
  };
}

for (const run of [urql, apollo, urqlSubscription, apolloSubscription]) {
  let line;
  try {
    line = await run();
  } catch (error) {
    line = { client: run.name, data: null, error: String(error?.stack ?? error), exchanges: [] };
  }
  // A stream's reader that is cut short fails after the answer resolved: give it the time.
  await new Promise((resolve) => setTimeout(resolve, 300));
  console.log(JSON.stringify({ ...line, escaped: escaped.splice(0) }));
}
