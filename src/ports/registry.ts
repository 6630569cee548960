/** Image registries, asked through the Registry v2 API (the OCI distribution API). */
export interface Registries {
  /**
   * The digest (`sha256:…`) a registry serves now for `reference` (`name:tag`, as a compose file writes
   * it: `nginx:1.27`, `ghcr.io/o/app:latest`, `127.0.0.1:5000/app:1`): the manifest list's or index's own
   * digest where the tag names one, which is what `docker pull` records in an image's RepoDigests. Asked
   * with a HEAD request where the registry allows it (a HEAD is not counted as a pull), with the
   * credentials the Docker CLI would use from `dockerConfigDir` (by default DOCKER_CONFIG's, else ~/.docker). Fails with
   * registry_auth_failed when the registry refuses them, registry_failed when it does not answer in time
   * or answers with an error; null when the registry says the tag does not exist.
   */
  currentDigest(reference: string, options?: {dockerConfigDir?: string; signal?: AbortSignal}): Promise<string | null>
}
