import {Help} from '@oclif/core'

const ROOT_EXAMPLES = [
  ['Register a repository', 'kedge repo add https://github.com/acme/homelab.git --path stacks/web'],
  ['Keep every stack equal to its branch', 'kedge serve'],
  ['Deploy the branch head now', 'kedge sync --repo homelab'],
  ['What runs, what drifted, what is deployed', 'kedge status; kedge diff --repo homelab; kedge history --repo homelab'],
  ['Go back to an earlier deployment', 'kedge rollback --repo homelab 3f2a9c1'],
  ['Machine-readable output, state elsewhere', 'KEDGE_HOME=/var/lib/kedge kedge repo list --json'],
]

/** oclif shows examples only on command help; kedge's first screen should show some too. */
export default class KedgeHelp extends Help {
  protected override async showRootHelp(): Promise<void> {
    await super.showRootHelp()
    const body = ROOT_EXAMPLES.map(([what, command]) => `${what}:\n\n  $ ${command}`).join('\n\n')
    this.log(this.section('EXAMPLES', body))
    this.log('')
  }
}
