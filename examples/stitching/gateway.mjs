// The analytics gateway stitched beside the marketing service with @graphql-tools/stitch.
// node gateway.mjs --port 4010 --analytics http://127.0.0.1:8000/graphql --marketing http://127.0.0.1:4002/graphql
// Both have a Campaign type and campaign/campaigns root fields; the analytics gateway's are
// renamed (AnalyticsCampaign, analyticsCampaign, analyticsCampaigns) and its federation fields
// (_service, _entities) left out. Each request's x-api-key is passed on to the gateway.
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { buildHTTPExecutor } from "@graphql-tools/executor-http";
import { stitchSchemas } from "@graphql-tools/stitch";
import {
  FilterRootFields,
  RenameRootFields,
  RenameTypes,
  schemaFromExecutor,
} from "@graphql-tools/wrap";
import { createYoga } from "graphql-yoga";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "4010" },
    analytics: { type: "string", default: "http://127.0.0.1:8000/graphql" },
    marketing: { type: "string", default: "http://127.0.0.1:4002/graphql" },
  },
});

// Names the analytics gateway shares with the marketing service, and what they become.
const TYPES = { Campaign: "AnalyticsCampaign" };
const ROOT_FIELDS = { campaign: "analyticsCampaign", campaigns: "analyticsCampaigns" };

const analyticsExecutor = buildHTTPExecutor({
  endpoint: values.analytics,
  headers: (request) => {
    const key = request?.context?.request?.headers.get("x-api-key");
    return key ? { "x-api-key": key } : {};
  },
});
const marketingExecutor = buildHTTPExecutor({ endpoint: values.marketing });

const schema = stitchSchemas({
  subschemas: [
    {
      schema: await schemaFromExecutor(analyticsExecutor),
      executor: analyticsExecutor,
      transforms: [
        new FilterRootFields((operation, field) => !field.startsWith("_")),
        new RenameTypes((name) => TYPES[name] ?? name),
        new RenameRootFields((operation, field) => ROOT_FIELDS[field] ?? field),
      ],
    },
    { schema: await schemaFromExecutor(marketingExecutor), executor: marketingExecutor },
  ],
});

const yoga = createYoga({ schema, graphiql: false, logging: "warn" });
createServer(yoga).listen(Number(values.port), "127.0.0.1", () => {
  console.log(`stitched gateway ready at http://127.0.0.1:${values.port}/graphql`);
});
