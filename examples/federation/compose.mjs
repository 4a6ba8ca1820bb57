// Compose subgraph SDLs into a supergraph with Apollo's composition library.
// node compose.mjs subgraphs.json  (a JSON list of {name, url, sdl}); prints the supergraph SDL,
// or the composition errors and exits 1.
import { readFileSync } from "node:fs";
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

const subgraphs = JSON.parse(readFileSync(process.argv[2], "utf8")).map((s) => ({
  name: s.name,
  url: s.url,
  typeDefs: parse(s.sdl),
}));
const result = composeServices(subgraphs);
if (result.errors && result.errors.length > 0) {
  for (const error of result.errors) console.error(error.message);
  process.exit(1);
}
process.stdout.write(result.supergraphSdl);
