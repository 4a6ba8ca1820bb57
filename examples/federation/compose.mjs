// Compose subgraph SDLs into a supergraph with Apollo's composition library or The Guild's
// (the one Hive Gateway, GraphQL Mesh and Hive's schema registry use).
// node compose.mjs [--composer apollo|guild] subgraphs.json  (a JSON list of {name, url, sdl});
// prints the supergraph SDL, or the composition errors (one a line, code first) and exits 1.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { composeServices as composeWithApollo } from "@apollo/composition";
import { composeServices as composeWithGuild } from "@theguild/federation-composition";
import { parse } from "graphql";

const { values, positionals } = parseArgs({
  options: { composer: { type: "string", default: "apollo" } },
  allowPositionals: true,
});
const composers = { apollo: composeWithApollo, guild: composeWithGuild };
const compose = composers[values.composer];
if (compose === undefined || positionals.length !== 1) {
  console.error("usage: node compose.mjs [--composer apollo|guild] subgraphs.json");
  process.exit(2);
}
const subgraphs = JSON.parse(readFileSync(positionals[0], "utf8")).map((s) => ({
  name: s.name,
  url: s.url,
  typeDefs: parse(s.sdl),
}));
const result = compose(subgraphs);
if (result.errors && result.errors.length > 0) {
  for (const error of result.errors) console.error(`${error.extensions?.code}: ${error.message}`);
  process.exit(1);
}
process.stdout.write(result.supergraphSdl);
