"""Provider adapters: where each field's data comes from (the native store or an upstream API)."""
