/** The hex length of an object id in each of git's object formats (`extensions.objectFormat`, the `object-format` capability). */
export const OBJECT_ID_LENGTH: Readonly<Record<string, number>> = {sha1: 40, sha256: 64}
