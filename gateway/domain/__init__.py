"""Domain models shared by providers and the schema; they know nothing of HTTP, SQL or GraphQL."""
