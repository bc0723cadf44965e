//! Logs as Terraform reads them: one JSON object per stderr line.
//!
//! go-plugin parses each stderr line that is a JSON object and forwards it to Terraform's
//! provider logger: `@level` and `@message` must be strings, `@module` names the source,
//! other keys become key/value pairs. `@timestamp` must be exactly Go's
//! `2006-01-02T15:04:05.000000Z07:00` layout, or the whole line is read as plain text.
//!
//! The level comes from `TF_LOG_PROVIDER`, else `TF_LOG` (as Terraform itself decides
//! what to show), else warnings only. It applies to this crate; dependencies (the HTTP/2
//! stack logs every frame at trace level) are capped at warnings. Panics are logged with
//! their backtrace.

use std::io::Write;

use serde_json::{Map, Value as Json};
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// The `@module` of every line.
const MODULE: &str = "provider.terraform-provider-entra";

/// The level Terraform's environment asks for.
pub fn level_from_env(tf_log_provider: Option<&str>, tf_log: Option<&str>) -> LevelFilter {
    let chosen = tf_log_provider
        .filter(|v| !v.is_empty())
        .or(tf_log.filter(|v| !v.is_empty()));
    match chosen.map(str::to_ascii_uppercase).as_deref() {
        None => LevelFilter::WARN,
        Some("TRACE" | "JSON") => LevelFilter::TRACE,
        Some("DEBUG") => LevelFilter::DEBUG,
        Some("INFO") => LevelFilter::INFO,
        Some("WARN") => LevelFilter::WARN,
        Some("ERROR") => LevelFilter::ERROR,
        Some("OFF") => LevelFilter::OFF,
        // Terraform treats any other non-empty value as TRACE.
        Some(_) => LevelFilter::TRACE,
    }
}

/// Installs the stderr JSON logger and the panic hook. Call once, first thing.
pub fn init() {
    let level = level_from_env(
        std::env::var("TF_LOG_PROVIDER").ok().as_deref(),
        std::env::var("TF_LOG").ok().as_deref(),
    );
    let filter = tracing_subscriber::filter::Targets::new()
        .with_target(env!("CARGO_CRATE_NAME"), level)
        .with_default(level.min(LevelFilter::WARN));
    let _ = tracing_subscriber::registry()
        .with(TerraformJson::new(std::io::stderr).with_filter(filter))
        .try_init();
    std::panic::set_hook(Box::new(|info| {
        let backtrace = std::backtrace::Backtrace::force_capture();
        tracing::error!(backtrace = %backtrace, "panic: {info}");
    }));
}

/// A tracing layer writing Terraform's JSON log lines to `W`.
pub struct TerraformJson<W> {
    make_writer: W,
}

impl<W> TerraformJson<W> {
    /// Writes lines to the writer `make_writer` returns.
    pub fn new(make_writer: W) -> Self {
        Self { make_writer }
    }
}

struct SpanFields(Map<String, Json>);

#[derive(Default)]
struct JsonFields(Map<String, Json>);

impl Visit for JsonFields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().to_owned(), Json::String(format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), Json::String(value.to_owned()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), Json::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), Json::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), Json::from(value));
    }
}

fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

impl<S, W, O> Layer<S> for TerraformJson<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: Fn() -> O + 'static,
    O: Write,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = JsonFields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields.0));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut line = Map::new();
        line.insert("@level".into(), Json::from(level_name(event.metadata().level())));
        line.insert("@module".into(), Json::from(MODULE));
        line.insert(
            "@timestamp".into(),
            Json::from(go_timestamp(std::time::SystemTime::now())),
        );
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(fields) = span.extensions().get::<SpanFields>() {
                    line.extend(fields.0.clone());
                }
            }
        }
        let mut fields = JsonFields::default();
        event.record(&mut fields);
        let message = fields.0.remove("message").unwrap_or(Json::String(String::new()));
        line.extend(fields.0);
        line.insert(
            "@message".into(),
            match message {
                Json::String(s) => Json::String(s),
                other => Json::String(other.to_string()),
            },
        );
        let mut text = Json::Object(line).to_string();
        text.push('\n');
        // A closed stderr must not take the provider down.
        let _ = (self.make_writer)().write_all(text.as_bytes());
    }
}

/// Formats `time` as UTC in Go's `2006-01-02T15:04:05.000000Z07:00` layout.
fn go_timestamp(time: std::time::SystemTime) -> String {
    let since_epoch = time.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let seconds = since_epoch.as_secs();
    let (days, second_of_day) = (seconds / 86_400, seconds % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
        since_epoch.subsec_micros()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn provider_level_wins_over_core_level() {
        assert_eq!(level_from_env(Some("debug"), Some("ERROR")), LevelFilter::DEBUG);
        assert_eq!(level_from_env(None, Some("json")), LevelFilter::TRACE);
        assert_eq!(level_from_env(Some(""), Some("INFO")), LevelFilter::INFO);
        assert_eq!(level_from_env(None, None), LevelFilter::WARN);
        assert_eq!(level_from_env(Some("off"), None), LevelFilter::OFF);
    }

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_are_terraform_json_with_span_fields() {
        let buffer = Buffer::default();
        let sink = buffer.clone();
        let subscriber = tracing_subscriber::registry().with(TerraformJson::new(move || sink.clone()));
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::debug_span!("rpc", tf_rpc = "ReadResource");
            let _entered = span.enter();
            tracing::debug!(status = 200_u64, "GET /groups/x");
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let line: Json = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(line["@level"], "debug");
        assert_eq!(line["@message"], "GET /groups/x");
        assert_eq!(line["@module"], MODULE);
        assert_eq!(line["tf_rpc"], "ReadResource");
        assert_eq!(line["status"], 200);
        let timestamp = line["@timestamp"].as_str().unwrap();
        assert_eq!(timestamp.len(), "2006-01-02T15:04:05.000000Z".len(), "{timestamp}");
    }

    #[test]
    fn timestamps_use_go_layout() {
        let at = std::time::UNIX_EPOCH + std::time::Duration::new(1_795_384_757, 843_021_000);
        assert_eq!(go_timestamp(at), "2026-11-22T21:59:17.843021Z");
        assert_eq!(
            go_timestamp(std::time::UNIX_EPOCH + std::time::Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000000Z"
        );
    }
}
