import {useState} from 'preact/hooks'
import {applyTheme, nextTheme, storedTheme} from '../theme.js'

const LABELS = {system: 'System', light: 'Light', dark: 'Dark'} as const

/** Cycles system → light → dark; says the current choice and what a press does. */
export function ThemeToggle() {
  const [choice, setChoice] = useState(storedTheme)
  const next = nextTheme(choice)
  return (
    <button
      type="button"
      class="button quiet theme-toggle"
      title={`Switch to the ${LABELS[next].toLowerCase()} theme`}
      onClick={() => {
        applyTheme(next)
        setChoice(next)
      }}
    >
      {LABELS[choice]}
      <span class="theme-word"> theme</span>
    </button>
  )
}
