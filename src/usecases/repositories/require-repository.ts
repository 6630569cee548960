import {NotFoundError, quoted} from '../../model/errors.js'
import type {RepositoryRow} from '../../model/rows.js'
import type {ReadContext} from '../context.js'
import {checkRepositoryRow} from '../../model/repository/row-checks.js'

/** The registered repository of that name (case-insensitive), or a not_found error naming it; corrupt_row when its row holds what kedge never writes. */
export function requireRepository({store}: Pick<ReadContext, 'store'>, name: string): RepositoryRow {
  const row = store.findRepository(name.trim().toLowerCase())
  if (!row) {
    throw new NotFoundError(`no repository named ${quoted(name)}`, {hint: 'run "kedge repo list" to see the registered repositories'})
  }
  return checkRepositoryRow(row)
}
