//! Dead letters as complaintctl sees them: read from the headers the
//! consumer runner writes (`mesh_kit::consumer`), printed for people or as
//! JSON, and turned into the message that replays one. No I/O here; see
//! `commands/dead_letters.rs` for the NATS side.

use async_nats::HeaderMap;
use bytes::Bytes;
use chrono::{DateTime, FixedOffset, Utc};
use mesh_kit::events::{self, dead_letter, replay};
use mesh_kit::nats::{MSG_ID_HEADER, TRACEPARENT_HEADER};
use mesh_kit::Subjects;
use std::fmt::Write;
use uuid::Uuid;

/// One message of the dead-letter stream.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    /// Its sequence in the dead-letter stream: what an operator names it by.
    pub sequence: u64,
    /// When it was parked.
    pub at: DateTime<Utc>,
    /// The service that parked it (`deadletter.v1.<service>`).
    pub service: String,
    /// The durable consumer that gave the event up.
    pub consumer: String,
    /// The event's full subject, prefix included: where a replay goes.
    pub original_subject: String,
    /// The event id consumers key their idempotency on.
    pub event_id: Option<Uuid>,
    pub reason: String,
    pub traceparent: Option<String>,
    /// Every header, in order, for `show`.
    pub headers: Vec<(String, String)>,
    pub payload: Bytes,
}

/// What a dead letter lacks that a replay needs.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Missing {
    #[error(
        "dead letter {0} has no event id, so consumers could not tell a replay from a new event; inspect it (show) and drop it"
    )]
    EventId(u64),
    #[error("dead letter {0} does not name its original subject ({header})", header = dead_letter::ORIGINAL_SUBJECT_HEADER)]
    OriginalSubject(u64),
    #[error("dead letter {0} does not name the consumer that gave it up ({header})", header = dead_letter::CONSUMER_HEADER)]
    Consumer(u64),
}

/// What a replay publishes: the payload again, on the original subject.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    pub subject: String,
    /// Fresh, so the original stream's duplicate window keeps the copy.
    pub message_id: String,
    /// `(name, value)` headers besides `Nats-Msg-Id`.
    pub headers: Vec<(&'static str, String)>,
    pub payload: Bytes,
}

fn header<'a>(headers: Option<&'a HeaderMap>, name: &str) -> Option<&'a str> {
    headers
        .and_then(|h| h.get(name))
        .map(|v| v.as_str())
        .filter(|v| !v.is_empty())
}

/// The event id of a dead letter: its `Mesh-Event-Id`, or, for one parked
/// before dead letters carried it, its `Nats-Msg-Id`, which is the event's
/// id followed by `:<consumer>`.
fn event_id_of(mesh_event_id: Option<&str>, msg_id: Option<&str>, consumer: &str) -> Option<Uuid> {
    match mesh_event_id {
        Some(id) => Uuid::parse_str(id).ok(),
        None => msg_id
            .and_then(|id| id.strip_suffix(consumer))
            .and_then(|id| id.strip_suffix(':'))
            .and_then(|id| Uuid::parse_str(id).ok()),
    }
}

impl DeadLetter {
    /// Reads a dead letter from what JetStream stored: its sequence, the
    /// time, its full subject, headers and payload.
    pub fn parse(
        subjects: &Subjects,
        sequence: u64,
        at: DateTime<Utc>,
        subject: &str,
        headers: Option<&HeaderMap>,
        payload: Bytes,
    ) -> Self {
        let consumer = header(headers, dead_letter::CONSUMER_HEADER)
            .unwrap_or_default()
            .to_owned();
        let event_id = event_id_of(
            header(headers, replay::EVENT_ID_HEADER),
            header(headers, MSG_ID_HEADER),
            &consumer,
        );
        let mut all: Vec<(String, String)> = headers
            .map(|h| {
                h.iter()
                    .flat_map(|(name, values)| {
                        values
                            .iter()
                            .map(move |v| (name.to_string(), v.as_str().to_owned()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        all.sort();
        Self {
            sequence,
            at,
            service: dead_letter::service_of(subjects.base(subject))
                .unwrap_or(subject)
                .to_owned(),
            consumer,
            original_subject: header(headers, dead_letter::ORIGINAL_SUBJECT_HEADER)
                .unwrap_or_default()
                .to_owned(),
            event_id,
            reason: header(headers, dead_letter::REASON_HEADER)
                .unwrap_or("(no reason given)")
                .to_owned(),
            traceparent: header(headers, TRACEPARENT_HEADER).map(str::to_owned),
            headers: all,
            payload,
        }
    }

    /// The original subject without the deployment's prefix.
    pub fn subject<'a>(&'a self, subjects: &Subjects) -> &'a str {
        subjects.base(&self.original_subject)
    }

    /// The message that puts this dead letter back for its consumer.
    pub fn replay(&self) -> Result<Replay, Missing> {
        let event_id = self.event_id.ok_or(Missing::EventId(self.sequence))?;
        if self.original_subject.is_empty() {
            return Err(Missing::OriginalSubject(self.sequence));
        }
        if self.consumer.is_empty() {
            return Err(Missing::Consumer(self.sequence));
        }
        let mut headers = vec![
            (replay::EVENT_ID_HEADER, event_id.to_string()),
            (replay::FOR_HEADER, self.consumer.clone()),
        ];
        if let Some(traceparent) = &self.traceparent {
            headers.push((TRACEPARENT_HEADER, traceparent.clone()));
        }
        Ok(Replay {
            subject: self.original_subject.clone(),
            message_id: replay::message_id(event_id, self.sequence),
            headers,
            payload: self.payload.clone(),
        })
    }
}

/// A time in the jurisdiction's local time.
fn local(at: DateTime<Utc>, offset: FixedOffset) -> String {
    at.with_timezone(&offset)
        .format("%Y-%m-%d %H:%M:%S %:z")
        .to_string()
}

fn event_id_text(id: Option<Uuid>) -> String {
    id.map_or_else(|| "-".to_owned(), |id| id.to_string())
}

/// Dead letters as a table, oldest first; the reason last, whole.
pub fn table(letters: &[DeadLetter], subjects: &Subjects, offset: FixedOffset) -> String {
    if letters.is_empty() {
        return "no dead letters\n".to_owned();
    }
    let service_width = letters
        .iter()
        .map(|d| d.service.len())
        .chain(["SERVICE".len()])
        .max()
        .unwrap_or(0);
    let consumer_width = letters
        .iter()
        .map(|d| d.consumer.len())
        .chain(["CONSUMER".len()])
        .max()
        .unwrap_or(0);
    let subject_width = letters
        .iter()
        .map(|d| d.subject(subjects).len())
        .chain(["SUBJECT".len()])
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>6}  {:<26}  {:<service_width$}  {:<consumer_width$}  {:<subject_width$}  {:<36}  {:>7}  REASON",
        "SEQ", "TIME", "SERVICE", "CONSUMER", "SUBJECT", "EVENT ID", "BYTES"
    );
    for d in letters {
        let _ = writeln!(
            out,
            "{:>6}  {:<26}  {:<service_width$}  {:<consumer_width$}  {:<subject_width$}  {:<36}  {:>7}  {}",
            d.sequence,
            local(d.at, offset),
            d.service,
            d.consumer,
            d.subject(subjects),
            event_id_text(d.event_id),
            d.payload.len(),
            d.reason.replace('\n', " "),
        );
    }
    let _ = writeln!(out, "{} dead letter(s)", letters.len());
    out
}

/// Dead letters as a JSON array, for scripts.
pub fn json(letters: &[DeadLetter], subjects: &Subjects) -> String {
    let items: Vec<serde_json::Value> = letters
        .iter()
        .map(|d| {
            serde_json::json!({
                "sequence": d.sequence,
                "time": d.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                "service": d.service,
                "consumer": d.consumer,
                "subject": d.subject(subjects),
                "original_subject": d.original_subject,
                "event_id": d.event_id.map(|id| id.to_string()),
                "reason": d.reason,
                "payload_bytes": d.payload.len(),
            })
        })
        .collect();
    let mut out = serde_json::Value::Array(items).to_string();
    out.push('\n');
    out
}

/// One dead letter in full: where from, why, every header, and the
/// payload decoded as the event its subject names (or in hex if it does
/// not decode).
pub fn detail(d: &DeadLetter, subjects: &Subjects, offset: FixedOffset) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "dead letter {}", d.sequence);
    let _ = writeln!(out, "  time      {}", local(d.at, offset));
    let _ = writeln!(out, "  service   {}", d.service);
    let _ = writeln!(out, "  consumer  {}", d.consumer);
    let _ = writeln!(out, "  subject   {}", d.subject(subjects));
    let _ = writeln!(out, "  event id  {}", event_id_text(d.event_id));
    let _ = writeln!(out, "  reason    {}", d.reason);
    let _ = writeln!(out, "headers:");
    for (name, value) in &d.headers {
        let _ = writeln!(out, "  {name}: {value}");
    }
    let subject = d.subject(subjects);
    match decode(subject, &d.payload) {
        Some((name, Ok(text))) => {
            let _ = writeln!(out, "payload ({} bytes), {name}:", d.payload.len());
            for line in text.lines() {
                let _ = writeln!(out, "  {line}");
            }
        }
        Some((name, Err(err))) => {
            let _ = writeln!(
                out,
                "payload ({} bytes), not a {name} ({err}):",
                d.payload.len()
            );
            out.push_str(&hex_dump(&d.payload, 512));
        }
        None => {
            let _ = writeln!(
                out,
                "payload ({} bytes), of no event type known for {subject}:",
                d.payload.len()
            );
            out.push_str(&hex_dump(&d.payload, 512));
        }
    }
    out
}

/// The payload decoded as the event type its subject names: the type's
/// name, and the message or why it does not decode. `None` for a subject
/// that names no event type.
fn decode(subject: &str, payload: &[u8]) -> Option<(&'static str, Result<String, String>)> {
    use complaints_proto::v1::{
        CaseNotAccepted, CaseRegistered, CaseRouted, DeadlineAlert, DeadlineRegistered,
        ReviewRequested, WorkOrder, WorkflowStep,
    };
    fn show<M: prost::Message + Default + std::fmt::Debug>(
        name: &'static str,
        payload: &[u8],
    ) -> Option<(&'static str, Result<String, String>)> {
        Some((
            name,
            M::decode(payload)
                .map(|m| format!("{m:#?}"))
                .map_err(|e| e.to_string()),
        ))
    }
    match subject {
        events::intake::CASE_REGISTERED => show::<CaseRegistered>("CaseRegistered", payload),
        events::intake::REVIEW_REQUESTED => show::<ReviewRequested>("ReviewRequested", payload),
        events::triage::CASE_ROUTED => show::<CaseRouted>("CaseRouted", payload),
        events::triage::CASE_NOT_ACCEPTED => show::<CaseNotAccepted>("CaseNotAccepted", payload),
        events::deadline::DEADLINE_REGISTERED => {
            show::<DeadlineRegistered>("DeadlineRegistered", payload)
        }
        s if s.starts_with(events::dispatch::ORDERS_PREFIX) => {
            show::<WorkOrder>("WorkOrder", payload)
        }
        s if s.starts_with(events::dispatch::STEPS_PREFIX) => {
            show::<WorkflowStep>("WorkflowStep", payload)
        }
        s if s.starts_with(events::deadline::ALERTS_PREFIX) => {
            show::<DeadlineAlert>("DeadlineAlert", payload)
        }
        _ => None,
    }
}

/// At most `limit` bytes as hex and printable ASCII, 16 a line.
fn hex_dump(bytes: &[u8], limit: usize) -> String {
    let mut out = String::new();
    for (i, chunk) in bytes[..bytes.len().min(limit)].chunks(16).enumerate() {
        let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        let ascii: String = chunk
            .iter()
            .map(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    char::from(b)
                } else {
                    '.'
                }
            })
            .collect();
        let _ = writeln!(out, "  {:06x}  {:<47}  {ascii}", i * 16, hex.join(" "));
    }
    if bytes.len() > limit {
        let _ = writeln!(out, "  … {} more bytes", bytes.len() - limit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parked(pairs: &[(&'static str, &str)]) -> DeadLetter {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(*name, *value);
        }
        let at = DateTime::from_timestamp(1_795_000_000, 0).unwrap();
        DeadLetter::parse(
            &Subjects::new("p1"),
            12,
            at,
            "p1.deadletter.v1.triage",
            Some(&h),
            Bytes::from_static(b"\x01garbage"),
        )
    }

    #[test]
    fn a_dead_letter_is_read_from_its_headers() {
        let id = Uuid::now_v7();
        let d = parked(&[
            ("Nats-Msg-Id", &format!("{id}:triage")),
            ("Mesh-Event-Id", &id.to_string()),
            ("Mesh-Dead-Reason", "payload does not decode"),
            ("Mesh-Original-Subject", "p1.intake.v1.case_registered"),
            ("Mesh-Consumer", "triage"),
        ]);
        assert_eq!(d.service, "triage");
        assert_eq!(d.consumer, "triage");
        assert_eq!(d.event_id, Some(id));
        assert_eq!(d.reason, "payload does not decode");
        assert_eq!(d.subject(&Subjects::new("p1")), "intake.v1.case_registered");
        assert_eq!(d.headers.len(), 5);
    }

    #[test]
    fn an_older_dead_letter_gives_its_event_id_in_its_msg_id() {
        let id = Uuid::now_v7();
        assert_eq!(
            event_id_of(
                None,
                Some(&format!("{id}:dispatch-alerts")),
                "dispatch-alerts"
            ),
            Some(id)
        );
        // Parked because the event had no valid id: none to replay under.
        assert_eq!(event_id_of(None, Some("seq-7:triage"), "triage"), None);
        assert_eq!(event_id_of(None, Some(&id.to_string()), "triage"), None);
        assert_eq!(event_id_of(Some("nonsense"), None, "triage"), None);
    }

    #[test]
    fn a_replay_goes_back_to_its_subject_for_its_consumer_under_a_fresh_id() {
        let id = Uuid::now_v7();
        let d = parked(&[
            ("Nats-Msg-Id", &format!("{id}:dispatch")),
            ("Mesh-Event-Id", &id.to_string()),
            ("Mesh-Original-Subject", "p1.triage.v1.case_routed"),
            ("Mesh-Consumer", "dispatch"),
            (
                "traceparent",
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            ),
        ]);
        let r = d.replay().expect("replayable");
        assert_eq!(r.subject, "p1.triage.v1.case_routed");
        assert_eq!(r.message_id, format!("{id}:replay:12"));
        assert_ne!(
            r.message_id,
            id.to_string(),
            "the duplicate window would drop it"
        );
        assert_eq!(
            r.headers,
            vec![
                ("Mesh-Event-Id", id.to_string()),
                ("Mesh-Replay-For", "dispatch".to_owned()),
                (
                    "traceparent",
                    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".to_owned()
                ),
            ]
        );
        assert_eq!(r.payload, d.payload);
    }

    #[test]
    fn a_dead_letter_without_event_id_subject_or_consumer_is_not_replayed() {
        let id = Uuid::now_v7().to_string();
        let no_id = parked(&[
            ("Nats-Msg-Id", "seq-3:triage"),
            ("Mesh-Original-Subject", "p1.intake.v1.case_registered"),
            ("Mesh-Consumer", "triage"),
        ]);
        assert_eq!(no_id.replay(), Err(Missing::EventId(12)));
        let no_subject = parked(&[("Mesh-Event-Id", &id), ("Mesh-Consumer", "triage")]);
        assert_eq!(no_subject.replay(), Err(Missing::OriginalSubject(12)));
        let no_consumer = parked(&[
            ("Mesh-Event-Id", &id),
            ("Mesh-Original-Subject", "p1.intake.v1.case_registered"),
        ]);
        assert_eq!(no_consumer.replay(), Err(Missing::Consumer(12)));
        assert!(Missing::EventId(12).to_string().contains("drop it"));
    }

    #[test]
    fn the_table_lines_up_and_json_has_every_field() {
        let id = Uuid::now_v7();
        let d = parked(&[
            ("Mesh-Event-Id", &id.to_string()),
            (
                "Mesh-Dead-Reason",
                "rejected: department \"x\" is not in the network",
            ),
            ("Mesh-Original-Subject", "p1.triage.v1.case_routed"),
            ("Mesh-Consumer", "dispatch"),
        ]);
        let subjects = Subjects::new("p1");
        let offset = FixedOffset::east_opt(8 * 3600).unwrap();
        let text = table(std::slice::from_ref(&d), &subjects, offset);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].starts_with("   SEQ  TIME"), "{text}");
        assert_eq!(
            lines[0].find("SUBJECT"),
            lines[1].find("triage.v1.case_routed")
        );
        assert_eq!(lines[0].find("EVENT ID"), lines[1].find(&id.to_string()));
        assert!(lines[1].starts_with("    12  2026-"), "{text}");
        assert!(lines[1].contains("+08:00"), "{text}");
        assert!(lines[1].ends_with("\"x\" is not in the network"), "{text}");
        assert_eq!(lines[2], "1 dead letter(s)");
        assert_eq!(table(&[], &subjects, offset), "no dead letters\n");

        let parsed: serde_json::Value = serde_json::from_str(&json(&[d], &subjects)).expect("json");
        let item = &parsed[0];
        assert_eq!(item["sequence"], 12);
        assert_eq!(item["service"], "triage");
        assert_eq!(item["consumer"], "dispatch");
        assert_eq!(item["subject"], "triage.v1.case_routed");
        assert_eq!(item["original_subject"], "p1.triage.v1.case_routed");
        assert_eq!(item["event_id"], id.to_string());
        assert_eq!(item["payload_bytes"], 8);
        assert!(item["time"].as_str().is_some_and(|t| t.ends_with('Z')));
    }

    #[test]
    fn show_decodes_the_payload_or_dumps_it() {
        use prost::Message;
        let routed = complaints_proto::v1::CaseRouted {
            department: "east-heat".into(),
            ..Default::default()
        };
        let mut d = parked(&[("Mesh-Original-Subject", "p1.triage.v1.case_routed")]);
        d.payload = Bytes::from(routed.encode_to_vec());
        let offset = FixedOffset::east_opt(0).unwrap();
        let text = detail(&d, &Subjects::new("p1"), offset);
        assert!(text.contains("CaseRouted:"), "{text}");
        assert!(text.contains("east-heat"), "{text}");

        d.payload = Bytes::from_static(b"\xff\xff\xff garbage");
        let text = detail(&d, &Subjects::new("p1"), offset);
        assert!(text.contains("not a CaseRouted"), "{text}");
        assert!(text.contains("000000  ff ff ff 20 67"), "{text}");
        assert!(text.contains("  ... garbage"), "{text}");
        assert_eq!(hex_dump(&[0u8; 40], 16).lines().count(), 2);
    }
}
