/** A deployment mistake, not a caller's: it surfaces as a logged 500 naming the setting. */
export class ConfigError extends Error {
  override name = "ConfigError";
  readonly code = "ERR_CONFIG";
}
