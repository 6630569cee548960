import type {StackContainer} from '../../src/model/stack/containers.js'

/** A container as the engine adapter returns it, running and labelled, for pure unit tests. */
export function fakeContainer(service: string, overrides: Partial<StackContainer> = {}, configHash = `h-${service}`): StackContainer {
  return {
    id: `${service}0000000000000000`,
    name: `app_${service}_1`,
    service,
    state: 'running',
    status: 'Up 1 minute',
    image: 'img:1',
    imageId: 'sha256:1111111111111111',
    health: null,
    exitCode: null,
    labels: {'io.kedge.config-hash': configHash, 'com.docker.compose.project': 'app'},
    managedByKedge: true,
    ...overrides,
  }
}
