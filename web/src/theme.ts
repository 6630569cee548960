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

const SYSTEM_DARK = '(prefers-color-scheme: dark)'
let followingSystem = false

/**
 * Sets the page's theme to `light` or `dark`, the system's when the choice is `system` (and again whenever
 * the system's changes): the style sheet then holds each palette once, under `data-theme`.
 */
export function applyTheme(choice: ThemeChoice): void {
  const system = window.matchMedia(SYSTEM_DARK)
  document.documentElement.dataset.theme = choice === 'system' ? (system.matches ? 'dark' : 'light') : choice
  if (choice === 'system' && !followingSystem) {
    followingSystem = true
    system.addEventListener('change', () => {
      if (storedTheme() === 'system') document.documentElement.dataset.theme = system.matches ? 'dark' : 'light'
    })
  }
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
