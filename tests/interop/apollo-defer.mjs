// Apollo Client's own @defer over multipart/mixed (deferSpec=20220824) against a live gateway:
// `node apollo-defer.mjs URL KEY QUERY FIELD` watches the query and prints one JSON line each
// time Apollo Client hands the application a result ({at: ms since the request, data,
// errors}), stopping once the result holds the deferred top-level FIELD (or at an error).
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client/core/index.js';

const [url, key, query, field] = process.argv.slice(2);
const client = new ApolloClient({
  link: new HttpLink({ uri: url, headers: { 'x-api-key': key } }),
  cache: new InMemoryCache(),
});
const started = Date.now();

await new Promise((resolve) => {
  const watched = client.watchQuery({ query: gql(query), fetchPolicy: 'network-only' });
  const subscription = watched.subscribe({
    next(result) {
      const line = { at: Date.now() - started, data: result.data, loading: result.loading };
      if (result.errors) line.errors = result.errors;
      console.log(JSON.stringify(line));
      if (result.data && field in result.data) {
        subscription.unsubscribe();
        resolve();
      }
    },
    error(error) {
      console.log(JSON.stringify({ error: String(error?.message ?? error) }));
      resolve();
    },
  });
});
client.stop();
