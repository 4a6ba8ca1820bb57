// GraphQL Inspector's `diff --onComplete` handler: prints every change it found as one JSON
// line ({type, level, path, message}) for tests/support/schema_guard.py, which decides what
// fails, and exits 0 (the guard, not this handler, reads the CHANGELOG).
module.exports = ({ breakingChanges, dangerousChanges, nonBreakingChanges }) => {
  const all = [...breakingChanges, ...dangerousChanges, ...nonBreakingChanges];
  const changes = all.map((change) => ({
    type: change.type,
    level: change.criticality.level,
    path: change.path ?? null,
    message: change.message,
  }));
  console.log(`schema-changes ${JSON.stringify(changes)}`);
};
