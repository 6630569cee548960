import type {ReconciliationMode} from '../config/reconciliation-mode.js'
import type {ImageUpdate} from '../images/image-updates.js'
import type {DeploymentRow, RepositoryRow, StackTarget} from '../rows.js'
import type {Drift} from '../stack/drift.js'

/** What kedge did or found that its operators may want to hear of (the notifier, src/usecases/notifying, tells people of it). */
export type KedgeEvent =
  /** An attempt at a commit started: a forge's commit status goes `pending`. */
  | {kind: 'deploy_started'; target: StackTarget; deployment: DeploymentRow}
  /** An attempt (a deploy, a rollback, a heal) was recorded as finished. */
  | {kind: 'deployment_finished'; target: StackTarget; deployment: DeploymentRow; previousCommit: string | null}
  /** A drift check in a mode that leaves drift to the operator, and what it found (none, maybe): the notifier tells of drift it has not told of. */
  /** In auto mode, only a swarm stack's drift that kedge leaves to Swarm (degraded) or to its owner (foreign). */
  | {kind: 'drift_checked'; target: StackTarget; drift: readonly Drift[]; mode: ReconciliationMode}
  /** The flap guard stopped healing the stack. */
  | {kind: 'heal_stopped'; target: StackTarget; drift: readonly Drift[]; maxHeals: number; windowMs: number}
  /** A poll could not reach the remote (or authenticate, or find the branch). */
  | {kind: 'repository_failed'; repository: RepositoryRow; error: string}
  /** A poll got the branch head. */
  | {kind: 'repository_answered'; repository: RepositoryRow}
  /** The stack was taken down or suspended (`kedge down`, `kedge suspend`). */
  | {kind: 'stack_held'; target: StackTarget; hold: 'down' | 'suspended'; note: string; /** Its history row; null for a stack kedge knows no commit of. */ deployment: DeploymentRow | null}
  /** An image check in notify or manual mode found tags the registry moved: they wait for `kedge sync`. */
  | {kind: 'images_pending'; target: StackTarget; updates: readonly ImageUpdate[]; mode: ReconciliationMode}
