// graphql-http's server audits against a live gateway: `node audit.mjs URL KEY` prints one JSON
// line per audit ({id, name, status, reason}); the key goes with every request it sends.
import { serverAudits } from 'graphql-http';

const [url, key] = process.argv.slice(2);

function fetchWithKey(input, init = {}) {
  return fetch(input, { ...init, headers: { ...(init.headers || {}), 'x-api-key': key } });
}

for (const audit of serverAudits({ url, fetchFn: fetchWithKey })) {
  const result = await audit.fn();
  console.log(JSON.stringify({ id: result.id, name: result.name, status: result.status,
    reason: result.status === 'ok' ? null : result.reason }));
}
