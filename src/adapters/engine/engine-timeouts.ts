/*
 * How long kedge waits for the Docker engine. A dockerd that accepts connections and never answers (wedged
 * on a lock, a full disk, a stuck storage driver) fails each request with engine_unavailable after these,
 * so that nothing waits on it for ever: not a sync, not a serve round holding a repository's lock.
 */

/** A ping does no work in the engine: one that cannot answer it this quickly is not answering. */
export const PING_TIMEOUT_MS = 10_000

/**
 * Lists, inspects and signals. Listing the containers of a loaded host with thousands of them takes a
 * second or two; 30 s is far more than a working engine needs.
 */
export const QUERY_TIMEOUT_MS = 30_000

/** A forced removal kills the container and deletes its writable layer: tens of seconds on a slow, busy disk. */
export const REMOVE_TIMEOUT_MS = 60_000

/**
 * A stop or a restart waits for the container's stop timeout before the engine kills it: the request gets
 * that long and this much more, for the kill and the start or removal that follow.
 */
export const STOP_MARGIN_MS = 60_000

/**
 * The wait for a container created without a limit on its stop (a stop timeout of -1): as long as Compose
 * gets to apply a stack, which stops the same containers when it recreates them.
 */
export const UNLIMITED_STOP_MS = 15 * 60_000

/**
 * Opening the event stream. The engine sends its answer's headers at once and the events as they come,
 * so only the opening is bounded; the stream then stays open as long as the engine runs.
 */
export const EVENTS_CONNECT_TIMEOUT_MS = 10_000

/**
 * Opening a TCP connection to an engine, with its TLS handshake: a host that drops the packets would
 * otherwise hold the connection opening past the ping's limit, and read as a wedged engine.
 */
export const CONNECT_TIMEOUT_MS = 5_000
