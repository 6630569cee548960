import {setTimeout as sleep} from 'node:timers/promises'

import type {Clock} from '../../ports/clock.js'

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: async (ms, signal) => {
    await sleep(ms, undefined, {signal})
  },
}
