import {createInterface} from 'node:readline/promises'

/** Whether a person can be asked: standard input and error are terminals. */
export function canAsk(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true
}

/** Asks on the terminal for `expected` to be typed back; true when it was. The question goes to stderr, as prompts do. */
export async function confirmByTyping(question: string, expected: string): Promise<boolean> {
  const terminal = createInterface({input: process.stdin, output: process.stderr})
  try {
    return (await terminal.question(question)).trim() === expected
  } finally {
    terminal.close()
  }
}
