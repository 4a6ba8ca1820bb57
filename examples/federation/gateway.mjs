// Apollo's gateway in front of two subgraphs: the analytics gateway and the CRM example.
// node gateway.mjs --port 4000 --analytics http://127.0.0.1:8000/graphql --crm http://127.0.0.1:4001/graphql
// Each request's x-api-key is passed on to the subgraphs, which check it themselves.
import { parseArgs } from "node:util";
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "4000" },
    analytics: { type: "string", default: "http://127.0.0.1:8000/graphql" },
    crm: { type: "string", default: "http://127.0.0.1:4001/graphql" },
  },
});

class KeyForwarding extends RemoteGraphQLDataSource {
  willSendRequest({ request, context }) {
    if (context.apiKey) request.http.headers.set("x-api-key", context.apiKey);
  }
}

const gateway = new ApolloGateway({
  supergraphSdl: new IntrospectAndCompose({
    subgraphs: [
      { name: "analytics", url: values.analytics },
      { name: "crm", url: values.crm },
    ],
  }),
  buildService: ({ url }) => new KeyForwarding({ url }),
});
const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(values.port), host: "127.0.0.1" },
  context: async ({ req }) => ({ apiKey: req.headers["x-api-key"] }),
});
console.log(`supergraph ready at ${url}`);
