/**
 * What a long command tells the person waiting on it, one line a step ("web: pulling images"). The CLI
 * shows it on a terminal; serve and the API, which log what happened instead, show nothing.
 */
export interface Progress {
  step(what: string): void
}

export const NO_PROGRESS: Progress = {step: () => {}}
