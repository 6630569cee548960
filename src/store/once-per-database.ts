/**
 * `build`, run once for each database connection and kept for as long as the connection lives: for queries
 * serve asks at every round, prepared once rather than built and prepared at every call. Building a
 * query with drizzle, or preparing it, cost more than SQLite's answer (bench/stack-scale.ts;
 * docs/performance.md, "Idle cost at scale").
 *
 * A call at a module's top level is marked `/* @__PURE__ *\/`: the CLI's fast path bundles the store's
 * reads, and a call the bundler must keep would keep drizzle's import with it (scripts/fast-path.js).
 */
export function oncePerDatabase<Database extends object, T>(build: (db: Database) => T): (db: Database) => T {
  const built = new WeakMap<Database, T>()
  return (db) => {
    let value = built.get(db)
    if (value === undefined) built.set(db, (value = build(db)))
    return value
  }
}
