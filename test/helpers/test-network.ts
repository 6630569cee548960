import {execFileSync} from 'node:child_process'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'
import {after} from 'node:test'

/**
 * Everything of a test network is named `kt<pid in base 36>-<instance>…`: short enough for the 15 characters
 * of an interface name, and telling, after a test process was killed, which names belong to a dead process.
 */
const NAME_PREFIX = 'kt'
const OWNER_PATTERN = /^kt([0-9a-z]+)-/
const NETNS_DIR = '/run/netns'
/** RFC 2544's benchmarking range: neither the main engine's address pools nor Swarm's 10.0.0.0/8 use it. */
const SUBNET_BASE = '198.18'
const SUBNET_ATTEMPTS = 50
/** How long a process left in a namespace gets to exit on SIGTERM before SIGKILL. */
const TERM_GRACE_MS = 10_000

let instances = 0

/** A network namespace on the test network, to run a Docker daemon or an sshd in, reachable from the host at `address`. */
export interface TestNode {
  readonly network: TestNetwork
  /** The netns name, as `ip netns` lists it. */
  readonly name: string
  /** For `nsenter --net=<netnsPath>`. */
  readonly netnsPath: string
  readonly address: string
}

/**
 * One L2 segment the host and node namespaces share: a bridge in a "switch" namespace of its own, a veth
 * leg from the host at 198.18.N.1/24, and a veth per node at .2, .3, ... The bridge is not in the host's
 * namespace because there the main engine's FORWARD policy DROP would drop the frames bridged between
 * nodes; the host's own traffic to a node is local (OUTPUT/INPUT), never forwarded.
 * Needs root. Torn down after the test that created it, and on process exit if that never comes.
 */
export class TestNetwork {
  readonly prefix: string
  readonly switchNetns: string
  readonly hostLink: string
  readonly nodes: TestNode[] = []
  private subnetStem = ''
  private readonly teardowns: Array<() => Promise<void>> = []
  private destroyed: Promise<void> | null = null
  private readonly destroyOnExit = (): void => this.destroySync()

  private constructor(prefix: string) {
    this.prefix = prefix
    this.switchNetns = `${prefix}sw`
    this.hostLink = `${prefix}h`
  }

  /** Creates the switch and the host leg, after removing what killed test processes left behind. */
  static create(): TestNetwork {
    removeOrphans()
    const network = new TestNetwork(`${NAME_PREFIX}${process.pid.toString(36)}-${(instances++).toString(36)}`)
    // Registered first, so that a failure half-way, or an exit before the test's end, still removes what was made.
    process.once('exit', network.destroyOnExit)
    try {
      network.build()
    } catch (error) {
      network.destroySync()
      process.off('exit', network.destroyOnExit)
      throw error
    }
    after(() => network.destroy())
    return network
  }

  /** `198.18.N.0/24` */
  get subnet(): string {
    return `${this.subnetStem}.0/24`
  }

  get hostAddress(): string {
    return `${this.subnetStem}.1`
  }

  private build(): void {
    const switchLeg = `${this.prefix}hs`
    ip('netns', 'add', this.switchNetns)
    ip('-n', this.switchNetns, 'link', 'set', 'lo', 'up')
    ip('-n', this.switchNetns, 'link', 'add', 'br0', 'type', 'bridge')
    ip('-n', this.switchNetns, 'link', 'set', 'br0', 'up')
    ip('link', 'add', this.hostLink, 'type', 'veth', 'peer', 'name', switchLeg, 'netns', this.switchNetns)
    ip('-n', this.switchNetns, 'link', 'set', switchLeg, 'master', 'br0', 'up')
    this.subnetStem = claimSubnet(this.hostLink)
    ip('link', 'set', this.hostLink, 'up')
  }

  /** A new node namespace with `lo` up and `eth0` on the switch at the next address. */
  addNode(): TestNode {
    const index = this.nodes.length + 2
    if (index > 254) throw new Error('a test network has room for 253 nodes')
    const name = `${this.prefix}n${index}`
    const nodeLeg = `${this.prefix}${index}e`
    const switchLeg = `${this.prefix}${index}s`
    const node: TestNode = {network: this, name, netnsPath: `${NETNS_DIR}/${name}`, address: `${this.subnetStem}.${index}`}
    // Listed before it exists, so that teardown removes a node whose set-up failed half-way.
    this.nodes.push(node)
    ip('netns', 'add', name)
    ip('-n', name, 'link', 'set', 'lo', 'up')
    // Made directly in the two namespaces: no interface of the node ever appears in the host's.
    ip('link', 'add', nodeLeg, 'netns', name, 'type', 'veth', 'peer', 'name', switchLeg, 'netns', this.switchNetns)
    ip('-n', this.switchNetns, 'link', 'set', switchLeg, 'master', 'br0', 'up')
    ip('-n', name, 'link', 'set', nodeLeg, 'name', 'eth0')
    ip('-n', name, 'addr', 'add', `${node.address}/24`, 'dev', 'eth0')
    ip('-n', name, 'link', 'set', 'eth0', 'up')
    return node
  }

  /**
   * Runs before the namespaces go, all of them at once: what lives in a node (a Docker daemon, an sshd)
   * stops its own way first rather than being killed with the namespace.
   */
  onTeardown(teardown: () => Promise<void> | void): void {
    this.teardowns.push(async () => teardown())
  }

  /** Every netns and host link name this network uses, for checking that none is left. */
  get names(): {netns: string[]; links: string[]} {
    return {netns: [this.switchNetns, ...this.nodes.map((node) => node.name)], links: [this.hostLink]}
  }

  destroy(): Promise<void> {
    this.destroyed ??= (async () => {
      const results = await Promise.allSettled(this.teardowns.map((teardown) => teardown()))
      const namespaces = this.names.netns.filter(netnsExists)
      await Promise.all(namespaces.map((netns) => stopProcessesIn(netns)))
      this.destroySync()
      process.off('exit', this.destroyOnExit)
      const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected')
      if (failure) throw failure.reason
    })()
    return this.destroyed
  }

  /** The exit safety net: no event loop is left, so processes get SIGTERM and a synchronous wait. */
  private destroySync(): void {
    for (const netns of [...this.names.netns].reverse()) removeNetns(netns)
    removeLink(this.hostLink)
  }
}

function ip(...args: string[]): string {
  try {
    return execFileSync('ip', args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
  } catch (error) {
    const stderr = (error as {stderr?: string}).stderr?.trim()
    throw new Error(`ip ${args.join(' ')} failed${stderr ? `: ${stderr}` : ''}`)
  }
}

/**
 * A /24 of 198.18.0.0/16 no other link of the host has, put on `hostLink`. The first one tried comes from
 * the pid, so that test files running side by side start apart; a subnet found on another link after
 * taking it (two processes chose it at once) is given up for the next.
 */
function claimSubnet(hostLink: string): string {
  for (let attempt = 0; attempt < SUBNET_ATTEMPTS; attempt++) {
    const stem = `${SUBNET_BASE}.${((process.pid + attempt * 37) % 254) + 1}`
    if (subnetHolders(stem).length > 0) continue
    ip('addr', 'add', `${stem}.1/24`, 'dev', hostLink)
    if (subnetHolders(stem).every((link) => link === hostLink)) return stem
    ip('addr', 'del', `${stem}.1/24`, 'dev', hostLink)
  }
  throw new Error(`no free /24 in ${SUBNET_BASE}.0.0/16 after ${SUBNET_ATTEMPTS} attempts`)
}

/** The host's links with an address or a route in `<stem>.0/24`. */
function subnetHolders(stem: string): string[] {
  const holders = new Set<string>()
  for (const line of ip('-4', '-o', 'addr', 'show').split('\n')) {
    const match = /^\d+:\s+(\S+)\s+inet\s+(\S+)/.exec(line)
    if (match?.[2]?.startsWith(`${stem}.`)) holders.add(match[1]!)
  }
  for (const line of ip('-4', 'route', 'show').split('\n')) {
    const match = /^(\S+).*\bdev\s+(\S+)/.exec(line)
    if (match?.[1]?.startsWith(`${stem}.`)) holders.add(match[2]!)
  }
  return [...holders]
}

function netnsExists(name: string): boolean {
  return existsSync(`${NETNS_DIR}/${name}`)
}

/** Pids of the processes whose network namespace is this one. */
function processesIn(netns: string): number[] {
  if (!netnsExists(netns)) return []
  try {
    return ip('netns', 'pids', netns).split('\n').map(Number).filter((pid) => Number.isInteger(pid) && pid > 0 && pid !== process.pid)
  } catch {
    return []
  }
}

function isRunning(pid: number): boolean {
  try {
    // A zombie has exited; only its parent's wait is missing.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

function signal(pids: number[], name: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, name)
    } catch {
      // Already gone.
    }
  }
}

async function stopProcessesIn(netns: string): Promise<void> {
  const pids = processesIn(netns)
  if (pids.length === 0) return
  signal(pids, 'SIGTERM')
  const deadline = Date.now() + TERM_GRACE_MS
  while (pids.some(isRunning) && Date.now() < deadline) await sleep(50)
  signal(pids.filter(isRunning), 'SIGKILL')
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

function stopProcessesInSync(netns: string): void {
  const pids = processesIn(netns)
  if (pids.length === 0) return
  signal(pids, 'SIGTERM')
  const deadline = Date.now() + TERM_GRACE_MS
  while (pids.some(isRunning) && Date.now() < deadline) sleepSync(50)
  signal(pids.filter(isRunning), 'SIGKILL')
}

/** Deleting a netns only unmounts its name: processes left in it would keep it, and its links, alive. */
function removeNetns(netns: string): void {
  if (!netnsExists(netns)) return
  stopProcessesInSync(netns)
  try {
    ip('netns', 'del', netns)
  } catch {
    // Removed by another teardown meanwhile.
  }
}

function removeLink(link: string): void {
  try {
    ip('link', 'del', link)
  } catch {
    // Gone with its peer's namespace, or never made.
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function ownerIsDead(name: string): boolean {
  const match = OWNER_PATTERN.exec(name)
  if (!match) return false
  const pid = parseInt(match[1]!, 36)
  return Number.isSafeInteger(pid) && pid !== process.pid && !isAlive(pid)
}

/** What test processes killed before their teardown left: their namespaces (and whatever still runs there) and host links. */
function removeOrphans(): void {
  const namespaces = existsSync(NETNS_DIR) ? readdirSync(NETNS_DIR) : []
  for (const netns of namespaces.filter(ownerIsDead)) removeNetns(netns)
  const links = ip('-o', 'link', 'show')
    .split('\n')
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1])
    .filter((link): link is string => link !== undefined)
  for (const link of links.filter(ownerIsDead)) removeLink(link)
}
