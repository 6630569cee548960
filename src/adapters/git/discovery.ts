/** What kedge learnt of a branch without git: its commit (null: the remote has no such branch), or why only git can tell. */
export type Discovery = {known: true; head: string | null} | {known: false; why: string}
