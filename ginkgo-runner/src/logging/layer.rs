//! The `tracing` layer that turns every event (and every `log` record, which `tracing-log`
//! brings in as an event) into an [`Entry`], with its fields and the spans it happened in, and
//! hands it to the current outputs.

use std::fmt::{self, Write as _};
use std::sync::{Arc, RwLock};

use tracing_core::field::{Field, Visit};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::{Event, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use super::format::{Entry, FieldValue, Fields, Span};

/// Where entries go: each output with its own line format. Replaced as a whole on reload.
pub(crate) trait Sink: Send + Sync {
    fn write(&self, entry: &Entry);
}

/// The layer: entries to whatever sink is current.
pub(crate) struct SinkLayer {
    pub(crate) sink: Arc<RwLock<Arc<dyn Sink>>>,
}

impl<S> Layer<S> for SinkLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Collect::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields.fields));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Collect::default();
        values.record(&mut fields);
        let mut extensions = span.extensions_mut();
        match extensions.get_mut::<SpanFields>() {
            Some(known) => {
                for (name, value) in fields.fields {
                    match known.0.iter_mut().find(|(known, _)| *known == name) {
                        Some((_, old)) => *old = value,
                        None => known.0.push((name, value)),
                    }
                }
            }
            None => extensions.insert(SpanFields(fields.fields)),
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let normalized = event.normalized_metadata();
        let metadata = normalized.as_ref().unwrap_or_else(|| event.metadata());
        let mut collect = Collect::default();
        event.record(&mut collect);
        let spans = ctx
            .event_scope(event)
            .map(|scope| {
                scope
                    .from_root()
                    .map(|span| Span {
                        name: span.name(),
                        fields: span.extensions().get::<SpanFields>().map(|f| f.0.clone()).unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let entry = Entry {
            time: chrono::Local::now(),
            level: *metadata.level(),
            target: metadata.target().to_string(),
            message: collect.message,
            fields: collect.fields,
            spans,
        };
        let sink = self.sink.read().map(|sink| sink.clone());
        if let Ok(sink) = sink {
            sink.write(&entry);
        }
    }
}

/// A span's fields, kept in its extensions.
struct SpanFields(Fields);

/// Collects the `message` and the other fields of an event or span. `tracing-log`'s own fields
/// (`log.target`, `log.file`, …) are left out: the normalized metadata has them.
#[derive(Default)]
struct Collect {
    message: String,
    fields: Fields,
}

impl Collect {
    fn add(&mut self, field: &Field, value: FieldValue) {
        if !field.name().starts_with("log.") {
            self.fields.push((field.name(), value));
        }
    }
}

impl Visit for Collect {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message = value.to_string(),
            _ => self.add(field, FieldValue::Str(value.to_string())),
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.add(field, FieldValue::I64(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.add(field, FieldValue::U64(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.add(field, FieldValue::F64(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.add(field, FieldValue::Bool(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // `write!` rather than `format!`: a `Debug` that fails gives a short text, not a panic.
        let mut text = String::new();
        let _ = write!(text, "{value:?}");
        match field.name() {
            "message" => self.message = text,
            _ => self.add(field, FieldValue::Shown(text)),
        }
    }
}
