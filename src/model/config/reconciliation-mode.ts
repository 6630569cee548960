/** How kedge reacts to a new commit or to drift; a module of its own so that reading it loads no YAML or schema library. */
export const RECONCILIATION_MODES = ['auto', 'notify', 'manual'] as const
export type ReconciliationMode = (typeof RECONCILIATION_MODES)[number]

/** Without a kedge.yaml, or with one that does not set reconciliation.mode. */
export const DEFAULT_RECONCILIATION_MODE: ReconciliationMode = 'auto'
