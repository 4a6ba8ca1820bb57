// graphql-schema-linter's configuration for schema.graphql, run by tests/schema/test_schema_guard.py
// (`cd schema && npx graphql-schema-linter ../schema.graphql`). docs/schema.md says why.
module.exports = {
  rules: [
    // The schema documents itself: GraphiQL, codegen and every client's editor show these.
    'types-have-descriptions',
    'fields-have-descriptions',
    'arguments-have-descriptions',
    'enum-values-have-descriptions',
    'input-object-values-have-descriptions',
    // A description is a sentence: it starts with a capital (a formula starts with its name).
    'descriptions-are-capitalized',
    // A deprecation says what to use instead, or clients cannot move off it.
    'deprecations-have-a-reason',
    // GraphQL's naming conventions, which generated clients turn into their own names.
    'types-are-capitalized',
    'fields-are-camel-cased',
    'input-object-values-are-camel-cased',
    'enum-values-all-caps',
    // Paged lists follow Relay's connection spec, as `campaigns` and `numbersConnection` do.
    'relay-connection-types-spec',
    'relay-connection-arguments-spec',
    'relay-page-info-spec',
    // A type nothing reaches is a leftover.
    'defined-types-are-used',
    // Not used: the `*-sorted-alphabetically` rules. Fields are in reading order (a figure's
    // value, then its previous value, then their difference), which an alphabet would scatter.
  ],
  ignore: {
    // What Apollo Federation's spec defines, under its own names: the gateway neither names nor
    // describes these, and composers expect them exactly so.
    'types-have-descriptions': ['_Any', '_Entity', '_Service', 'federation__FieldSet', 'link__Import', 'link__Purpose'],
    'types-are-capitalized': ['_Service'],
    'fields-have-descriptions': ['Query._entities', 'Query._service', '_Service.sdl'],
    'fields-are-camel-cased': ['Query._entities', 'Query._service'],
    'arguments-have-descriptions': ['Query._entities.representations'],
    'enum-values-have-descriptions': ['link__Purpose.SECURITY', 'link__Purpose.EXECUTION'],
  },
};
