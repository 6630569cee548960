/** The server's shapes, as the client reads them: types only, nothing of src/ runs in the browser. */
export type {StackOverview} from '../../../src/usecases/stacks/overview.js'
export type {StackHealth} from '../../../src/model/stack/stack-health.js'
export type {RepositoryStatus, ServiceStatus} from '../../../src/usecases/repositories/repository-status.js'
export type {DeploymentView} from '../../../src/model/repository/deployment-view.js'
export type {DeployReason} from '../../../src/model/repository/deploy-reason.js'
export type {HookRecord} from '../../../src/model/repository/hook-record.js'
export type {DiffResult} from '../../../src/usecases/drift/diff.js'
export type {ServiceChange} from '../../../src/model/stack/plan.js'
export type {HoldView} from '../../../src/model/stack/stack-hold.js'

export type Role = 'admin' | 'read'

/** GET /api/v1/session: who is logged in; `csrf` goes with every write. */
export interface Session {
  role: Role
  name: string
  csrf: string
  expiresAt: string
}

/** Every error the API answers. */
export interface ErrorBody {
  error: {code: string; message: string; hint?: string}
}
