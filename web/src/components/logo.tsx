/** The favicon's mark, drawn inline so the top bar needs no request of its own. */
export function Logo() {
  return (
    <svg class="logo" viewBox="0 0 32 32" width="22" height="22" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" />
      <path d="M11 7v18M11 18l9-10M14.5 15l6.5 10" />
    </svg>
  )
}
