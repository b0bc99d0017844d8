//! Logs and traces: one [`init`] per process, returning a guard that flushes
//! spans on drop; W3C trace context (`traceparent`) carried in NATS headers
//! and gRPC metadata, so a case's journey through the five services is one
//! trace.
//!
//! Spans are exported over OTLP/gRPC when `OTEL_EXPORTER_OTLP_ENDPOINT` is
//! set (the standard OpenTelemetry variable); otherwise trace ids are still
//! made and propagated, and appear in the logs, but nothing is exported.

use opentelemetry::propagation::{Extractor, Injector};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::{global, Context};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use std::io::IsTerminal;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Flushes and shuts down the tracer provider when dropped.
pub struct TelemetryGuard {
    provider: SdkTracerProvider,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Err(err) = self.provider.shutdown() {
            eprintln!("telemetry shutdown failed: {err}");
        }
    }
}

/// Installs the global subscriber (filter from `RUST_LOG`, default `info`)
/// and the trace-context propagator. Call once, at start-up.
pub fn init(service: &'static str, format: LogFormat) -> anyhow::Result<TelemetryGuard> {
    global::set_text_map_propagator(TraceContextPropagator::new());
    let mut builder = SdkTracerProvider::builder()
        .with_resource(Resource::builder().with_service_name(service).build());
    if std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some() {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .build()?;
        builder = builder.with_batch_exporter(exporter);
    }
    let provider = builder.build();
    global::set_tracer_provider(provider.clone());
    let otel = tracing_opentelemetry::layer().with_tracer(provider.tracer(service));

    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter).with(otel);
    match format {
        LogFormat::Text => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_target(false)
                    .with_ansi(std::io::stdout().is_terminal()),
            )
            .try_init()?,
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true),
            )
            .try_init()?,
    }
    Ok(TelemetryGuard { provider })
}

/// The `traceparent` of the current span, to store with an outbox row or
/// send in a header. `None` when there is no active trace.
pub fn current_traceparent() -> Option<String> {
    let cx = tracing::Span::current().context();
    let mut carrier = TraceParent(None);
    global::get_text_map_propagator(|p| p.inject_context(&cx, &mut carrier));
    carrier.0
}

/// Makes the current span a child of the trace named by `traceparent`.
pub fn adopt_traceparent(traceparent: Option<&str>) {
    adopt_traceparent_on(&tracing::Span::current(), traceparent);
}

/// Makes `span` a child of the trace named by `traceparent`.
pub fn adopt_traceparent_on(span: &tracing::Span, traceparent: Option<&str>) {
    if let Some(value) = traceparent {
        let cx = context_from(value);
        // An invalid or foreign context leaves the span as a new root.
        let _ = span.set_parent(cx);
    }
}

/// Makes the current span a child of the trace in gRPC request metadata.
pub fn adopt_grpc_parent(metadata: &tonic::metadata::MetadataMap) {
    adopt_traceparent(metadata.get("traceparent").and_then(|v| v.to_str().ok()));
}

/// Adds the current `traceparent` to outgoing gRPC metadata.
pub fn inject_grpc(metadata: &mut tonic::metadata::MetadataMap) {
    if let Some(tp) = current_traceparent() {
        if let Ok(value) = tp.parse() {
            metadata.insert("traceparent", value);
        }
    }
}

fn context_from(traceparent: &str) -> Context {
    struct One<'a>(&'a str);
    impl Extractor for One<'_> {
        fn get(&self, key: &str) -> Option<&str> {
            (key == "traceparent").then_some(self.0)
        }
        fn keys(&self) -> Vec<&str> {
            vec!["traceparent"]
        }
    }
    global::get_text_map_propagator(|p| p.extract(&One(traceparent)))
}

struct TraceParent(Option<String>);

impl Injector for TraceParent {
    fn set(&mut self, key: &str, value: String) {
        if key == "traceparent" {
            self.0 = Some(value);
        }
    }
}
