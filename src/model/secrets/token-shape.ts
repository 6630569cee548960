/**
 * What an access token looks like (the forges' prefixes, or a long run of mixed letters and digits), so
 * that one given where a name goes is refused without being printed back.
 */
const TOKEN_SHAPE = /^(ghp_|gho_|ghu_|ghs_|github_pat_|glpat-|glptt-|gldt-)|^(?=.*[0-9])(?=.*[a-z])(?=.*[A-Z])\S{30,}$/

export function looksLikeToken(text: string): boolean {
  return TOKEN_SHAPE.test(text)
}
