// graphql-sse's own client (distinct connections mode) subscribing to a live gateway:
// `node sse.mjs URL KEY QUERY VARIABLES COUNT` prints one JSON line per event it gets
// ({next}, {error} or {complete}) and stops after COUNT results or at the first error.
import { createClient } from 'graphql-sse';

const [url, key, query, variables, count] = process.argv.slice(2);
const client = createClient({ url, headers: { 'x-api-key': key }, retryAttempts: 0 });

await new Promise((resolve) => {
  let seen = 0;
  const dispose = client.subscribe(
    { query, variables: JSON.parse(variables) },
    {
      next(result) {
        console.log(JSON.stringify({ next: result }));
        seen += 1;
        if (seen >= Number(count)) {
          dispose();
          resolve();
        }
      },
      error(error) {
        // A refusal is a NetworkError carrying the response; GraphQL errors come as an array.
        const status = error?.response?.status;
        const body = Array.isArray(error) ? error : String(error?.message ?? error);
        console.log(JSON.stringify({ error: body, status }));
        resolve();
      },
      complete() {
        console.log(JSON.stringify({ complete: true }));
        resolve();
      },
    },
  );
});
client.dispose();
