import {Help} from '@oclif/core'

const ROOT_EXAMPLES = [
  ['Register a repository', 'kedge repo add https://github.com/acme/homelab.git --path stacks/web'],
  ['See what is registered', 'kedge repo list'],
  ['Machine-readable output', 'kedge repo list --json'],
  ['Keep state somewhere else', 'KEDGE_HOME=/var/lib/kedge kedge repo list'],
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
