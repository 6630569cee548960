import type {ServiceStatus} from '../api/types.js'
import type {Tone} from '../health.js'

type Container = ServiceStatus['containers'][number]

/** Every service the deployed commit has (or a failed first deploy left), with its containers as the engine reports them. */
export function ServicesTable({services, engineError}: {services: ServiceStatus[]; engineError: string | null}) {
  return (
    <section class="panel" aria-labelledby="services-title">
      <h2 id="services-title">Services and containers</h2>
      {engineError && (
        <p class="notice notice-warn">
          <strong>The Docker engine did not answer:</strong> {engineError}. The containers below may be out of date or missing.
        </p>
      )}
      {services.length === 0 ? (
        <p class="muted">No service: nothing of this stack runs on the host.</p>
      ) : (
        <table class="data services">
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col">Container</th>
              <th scope="col">State</th>
              <th scope="col">Image</th>
              <th scope="col">Health</th>
              <th scope="col">Uptime</th>
            </tr>
          </thead>
          <tbody>
            {services.flatMap((service) =>
              service.containers.length === 0 ? (
                <tr key={service.service}>
                  <th scope="row" data-label="Service">
                    {service.service}
                  </th>
                  <td data-label="Container" class="muted">
                    none
                  </td>
                  <td data-label="State">
                    <span class="badge tone-muted">no container</span>
                  </td>
                  <td data-label="Image">{service.image ? <code>{service.image}</code> : '—'}</td>
                  <td data-label="Health">—</td>
                  <td data-label="Uptime">—</td>
                </tr>
              ) : (
                service.containers.map((container) => <ContainerRow key={container.id} service={service} container={container} />)
              ),
            )}
          </tbody>
        </table>
      )}
    </section>
  )
}

function ContainerRow({service, container}: {service: ServiceStatus; container: Container}) {
  const otherImage = service.image !== null && service.image !== container.image
  return (
    <tr>
      <th scope="row" data-label="Service">
        {service.service}
      </th>
      <td data-label="Container">
        <code>{container.name}</code>
      </td>
      <td data-label="State">
        <span class={`badge tone-${stateTone(container)}`} title={container.status}>
          {container.exitCode !== null && container.state !== 'running' ? `${container.state} (${container.exitCode})` : container.state}
        </span>
      </td>
      <td data-label="Image">
        <code>{container.image}</code>
        {otherImage && <span class="muted small"> (wants {service.image})</span>}
      </td>
      <td data-label="Health">{container.health ? <span class={`badge tone-${HEALTH_TONES[container.health]}`}>{container.health}</span> : <span class="muted">no check</span>}</td>
      <td data-label="Uptime">{uptimeOf(container.status) ?? <span class="muted">—</span>}</td>
    </tr>
  )
}

const HEALTH_TONES: Record<NonNullable<Container['health']>, Tone> = {healthy: 'good', unhealthy: 'bad', starting: 'info'}

function stateTone(container: Container): Tone {
  if (container.state === 'running') return 'good'
  if (container.state === 'restarting') return 'warn'
  if (container.state === 'exited' && container.exitCode === 0) return 'muted'
  if (container.state === 'exited' || container.state === 'dead') return 'bad'
  return 'muted'
}

/** "Up 3 minutes (healthy)" → "3 minutes": the engine says how long a running container has been up, and nothing else does. */
function uptimeOf(status: string): string | null {
  const match = /^Up (.+?)(?: \([^)]*\))*$/.exec(status)
  return match ? match[1]! : null
}
