/**
 * The values an enumerated column takes. Only data, apart from the schema: what checks rows read back
 * (core/row-checks.ts) imports them without loading drizzle.
 */

/** `up`: the deploy of `kedge up`, which ends a hold; the hold's own rows have a trigger of HOLD_TRIGGERS. */
export const DEPLOYMENT_TRIGGERS = ['git', 'drift', 'manual', 'rollback', 'auto_rollback', 'startup', 'up', 'down', 'suspend', 'resume', 'image'] as const
export type DeploymentTrigger = (typeof DEPLOYMENT_TRIGGERS)[number]

/**
 * Rows that record a hold set or ended (`kedge down`, `suspend`, `resume`), for history: they deploy no
 * commit, so they are never a stack's last good deployment, nor an attempt at a commit.
 */
export const HOLD_TRIGGERS = ['down', 'suspend', 'resume'] as const satisfies readonly DeploymentTrigger[]
export type HoldTrigger = (typeof HOLD_TRIGGERS)[number]

export function isHoldTrigger(trigger: DeploymentTrigger): trigger is HoldTrigger {
  return (HOLD_TRIGGERS as readonly string[]).includes(trigger)
}


/**
 * `skipped`: a stack deployed after another (`after:`) kept its commit because that one failed.
 * `removed`: the stack was taken down (its repository no longer holds it); what ran before is not running.
 */
export const DEPLOYMENT_STATUSES = ['pending', 'success', 'failed', 'rolled_back', 'skipped', 'removed'] as const
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number]

/** How kedge authenticates to a remote; none (null) leaves it to the host's own git and ssh setup. */
export const AUTH_KINDS = ['ssh_key', 'token', 'token_env'] as const
export type AuthKind = (typeof AUTH_KINDS)[number]

/**
 * Why kedge leaves a stack alone: `down` (taken down, kept down), `suspended` (left as it runs), or `gone`
 * (its repository no longer holds it); none (null) is active.
 */
export const STACK_HOLDS = ['down', 'suspended', 'gone'] as const
export type StackHold = (typeof STACK_HOLDS)[number]

/** The forges kedge posts commit statuses to; Forgejo speaks Gitea's API. */
export const FORGES = ['github', 'gitea', 'gitlab'] as const
export type Forge = (typeof FORGES)[number]
