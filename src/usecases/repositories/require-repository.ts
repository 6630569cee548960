import {NotFoundError, quoted} from '../../model/errors.js'
import {findRepository} from '../../store/repositories.js'
import type {RepositoryRow} from '../../store/schema.js'
import type {ReadContext} from '../context.js'
import {checkRepositoryRow} from '../../model/repository/row-checks.js'

/** The registered repository of that name (case-insensitive), or a not_found error naming it; corrupt_row when its row holds what kedge never writes. */
export function requireRepository({db}: ReadContext, name: string): RepositoryRow {
  const row = findRepository(db, name.trim().toLowerCase())
  if (!row) {
    throw new NotFoundError(`no repository named ${quoted(name)}`, {hint: 'run "kedge repo list" to see the registered repositories'})
  }
  return checkRepositoryRow(row)
}
