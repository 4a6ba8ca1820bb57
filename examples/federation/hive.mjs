// Hive Gateway (its runtime, @graphql-hive/gateway-runtime) in front of two subgraphs: the
// analytics gateway and the CRM example, composed with The Guild's federation composition.
// node hive.mjs --port 4000 --analytics http://127.0.0.1:8000/graphql --crm http://127.0.0.1:4001/graphql
//   [--subscriptions ws|http] [--defer]
// Each request's x-api-key is passed on to the subgraphs, which check it themselves; a
// subscription (asked over server-sent events) reaches the analytics gateway over its websocket,
// with the key in the connection's connectionParams, or with --subscriptions http over Hive
// Gateway's default, server-sent events with the key in the request's headers. --defer turns on
// Hive Gateway's @defer and @stream (deferStream), which it plans itself.
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { createGatewayRuntime } from "@graphql-hive/gateway-runtime";
import http from "@graphql-mesh/transport-http";
import ws from "@graphql-mesh/transport-ws";
import { composeServices } from "@theguild/federation-composition";
import { parse } from "graphql";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "4000" },
    analytics: { type: "string", default: "http://127.0.0.1:8000/graphql" },
    crm: { type: "string", default: "http://127.0.0.1:4001/graphql" },
    subscriptions: { type: "string", default: "ws" },
    defer: { type: "boolean", default: false },
  },
});
const subgraphs = { analytics: values.analytics, crm: values.crm };

async function subgraphSdl(url) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ _service { sdl } }" }),
  });
  const { data } = await response.json();
  return data._service.sdl;
}

const services = await Promise.all(
  Object.entries(subgraphs).map(async ([name, url]) => ({
    name,
    url,
    typeDefs: parse(await subgraphSdl(url)),
  })),
);
const { supergraphSdl, errors } = composeServices(services);
if (errors) {
  for (const error of errors) console.error(`${error.extensions?.code}: ${error.message}`);
  process.exit(1);
}

const gateway = createGatewayRuntime({
  supergraph: supergraphSdl,
  transports: { http, ws },
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({ "x-api-key": request.headers.get("x-api-key") }),
  },
  transportEntries:
    values.subscriptions === "ws"
      ? {
          analytics: {
            options: {
              subscriptions: {
                kind: "ws",
                location: values.analytics,
                options: { connectionParams: { "x-api-key": "{context.headers.x-api-key}" } },
              },
            },
          },
        }
      : {},
  landingPage: false,
  logging: "warn",
  deferStream: values.defer,
});
const server = createServer(gateway);
// The runtime lets go of its subgraph sockets on SIGINT and SIGTERM; the server's open event
// streams would still keep Node up.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, async () => {
    server.closeAllConnections();
    server.close();
    await gateway.dispose();
    process.exit(0);
  });
}
server.listen(Number(values.port), "127.0.0.1", () => {
  console.log(`supergraph ready at http://127.0.0.1:${values.port}/graphql`);
});
