//! Structured logs with `tracing`.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use super::config::{Config, LogFormat};

/// Installs the global subscriber. Fails if the filter does not parse.
pub fn init(config: &Config) -> anyhow::Result<()> {
    let filter = EnvFilter::try_new(&config.log_level).map_err(|e| {
        anyhow::anyhow!(
            "--log-level {:?} is not a valid filter: {e}",
            config.log_level
        )
    })?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::NONE)
        .with_target(true);
    let result = match config.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    // A second initialisation (as in tests) keeps the first subscriber.
    let _ = result;
    Ok(())
}
