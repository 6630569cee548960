/** The colour scheme a person chose; `system` follows prefers-color-scheme. Kept in localStorage: it is no secret. */
export type ThemeChoice = 'system' | 'light' | 'dark'

const STORAGE_KEY = 'kedge.theme'
const CHOICES: ThemeChoice[] = ['system', 'light', 'dark']

export function storedTheme(): ThemeChoice {
  try {
    const stored = localStorage.getItem(STORAGE_KEY)
    return CHOICES.find((choice) => choice === stored) ?? 'system'
  } catch {
    return 'system'
  }
}

export function applyTheme(choice: ThemeChoice): void {
  if (choice === 'system') delete document.documentElement.dataset.theme
  else document.documentElement.dataset.theme = choice
  try {
    if (choice === 'system') localStorage.removeItem(STORAGE_KEY)
    else localStorage.setItem(STORAGE_KEY, choice)
  } catch {
    // Storage refused (a private window): the choice holds until the page is left.
  }
}

export function nextTheme(choice: ThemeChoice): ThemeChoice {
  return CHOICES[(CHOICES.indexOf(choice) + 1) % CHOICES.length]!
}
