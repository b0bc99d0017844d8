//! intake's tables: cases, complainants and the timeline.

use crate::complaint::NewComplaint;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// A registered case as returned to the submitter.
#[derive(Debug, Clone)]
pub struct Registered {
    pub case_id: Uuid,
    pub case_number: String,
    pub query_code: String,
}

/// The case that an idempotency key registered, if any.
pub async fn find_by_key(pool: &PgPool, key: &str) -> Result<Option<Registered>, sqlx::Error> {
    let row: Option<(Uuid, String, String)> = sqlx::query_as(
        "SELECT case_id, case_number, query_code FROM cases WHERE idempotency_key = $1",
    )
    .bind(key)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(case_id, case_number, query_code)| Registered {
        case_id,
        case_number,
        query_code,
    }))
}

/// Whether an insert failed because the idempotency key was taken by a
/// concurrent submission.
pub fn is_duplicate_key(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.constraint() == Some("cases_idempotency_key_key"))
}

/// Inserts the case, its complainant and the first timeline entry.
pub async fn insert(
    tx: &mut PgConnection,
    case: &Registered,
    complaint: &NewComplaint,
    complainant_key: &str,
    received_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO cases (case_id, case_number, query_code, idempotency_key, channel, \
         received_at, matter_at, region, category_hint, respondent, facts, request, anonymous, \
         complainant_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(case.case_id)
    .bind(&case.case_number)
    .bind(&case.query_code)
    .bind(&complaint.idempotency_key)
    .bind(complaint.channel as i32)
    .bind(received_at)
    .bind(complaint.matter_at)
    .bind(&complaint.region)
    .bind(&complaint.category_hint)
    .bind(&complaint.respondent)
    .bind(&complaint.facts)
    .bind(&complaint.request)
    .bind(complaint.complainant.anonymous)
    .bind(complainant_key)
    .execute(&mut *tx)
    .await?;
    let who = &complaint.complainant;
    sqlx::query("INSERT INTO complainants (case_id, name, phone, email) VALUES ($1, $2, $3, $4)")
        .bind(case.case_id)
        .bind(&who.name)
        .bind(&who.phone)
        .bind(&who.email)
        .execute(&mut *tx)
        .await?;
    append_timeline(
        tx,
        case.case_id,
        received_at,
        "intake",
        "registered",
        &format!("registered as {}", case.case_number),
    )
    .await
}

/// Adds an entry to a case's timeline.
pub async fn append_timeline(
    tx: &mut PgConnection,
    case_id: Uuid,
    at: DateTime<Utc>,
    source: &str,
    event: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO timeline (case_id, at, source, event, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(case_id)
    .bind(at)
    .bind(source)
    .bind(event)
    .bind(detail)
    .execute(tx)
    .await?;
    Ok(())
}

/// Records that triage did not accept the case, with the reply to give.
/// Returns false if no such case exists.
pub async fn record_not_accepted(
    tx: &mut PgConnection,
    case_id: Uuid,
    reason: &str,
    reply: &str,
) -> Result<bool, sqlx::Error> {
    let found: Option<Uuid> = sqlx::query_scalar(
        "UPDATE cases SET status = 'not_accepted', not_accepted_reason = $2, reply = $3 \
         WHERE case_id = $1 RETURNING case_id",
    )
    .bind(case_id)
    .bind(reason)
    .bind(reply)
    .fetch_optional(tx)
    .await?;
    Ok(found.is_some())
}

/// Records triage's classification and routing decision, and moves the
/// case from registered to routed (never back). Dispatch's events come on
/// their own consumer and may arrive first: once one has ([`record_order`]),
/// its holder stands. Returns false if no such case exists.
pub async fn record_routing(
    tx: &mut PgConnection,
    case_id: Uuid,
    kind: i32,
    category: &str,
    severity: i32,
    department: &str,
    mode: i32,
) -> Result<bool, sqlx::Error> {
    let found: Option<Uuid> = sqlx::query_scalar(
        "UPDATE cases SET status = CASE WHEN status = 'registered' THEN 'routed' ELSE status END, \
         kind = $2, category = $3, severity = $4, mode = $6, \
         department = CASE WHEN dispatch_revision = 0 THEN $5 ELSE department END \
         WHERE case_id = $1 RETURNING case_id",
    )
    .bind(case_id)
    .bind(kind)
    .bind(category)
    .bind(severity)
    .bind(department)
    .bind(mode)
    .fetch_optional(tx)
    .await?;
    Ok(found.is_some())
}

/// Records what dispatch reports of the work order: its state as the case
/// status, its holder and its deadline, unless a newer revision was seen.
/// Returns false if no such case exists.
pub async fn record_order(
    tx: &mut PgConnection,
    case_id: Uuid,
    state: &str,
    department: &str,
    due_at: Option<DateTime<Utc>>,
    revision: i64,
) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar(
        "UPDATE cases SET \
           status = CASE WHEN dispatch_revision < $5 THEN $2 ELSE status END, \
           department = CASE WHEN dispatch_revision < $5 THEN $3 ELSE department END, \
           due_at = CASE WHEN dispatch_revision < $5 THEN $4 ELSE due_at END, \
           dispatch_revision = GREATEST(dispatch_revision, $5) \
         WHERE case_id = $1 RETURNING dispatch_revision",
    )
    .bind(case_id)
    .bind(state)
    .bind(department)
    .bind(due_at)
    .bind(revision)
    .fetch_optional(tx)
    .await?;
    Ok(found.is_some())
}

/// A case as stored, with its complainant.
#[derive(Debug, sqlx::FromRow)]
pub struct CaseRow {
    pub case_id: Uuid,
    pub case_number: String,
    pub query_code: String,
    pub status: String,
    pub channel: i32,
    pub received_at: DateTime<Utc>,
    pub matter_at: Option<DateTime<Utc>>,
    pub region: String,
    pub category_hint: String,
    pub respondent: String,
    pub facts: String,
    pub request: String,
    pub anonymous: bool,
    pub kind: i32,
    pub category: String,
    pub severity: i32,
    pub department: String,
    pub mode: i32,
    pub due_at: Option<DateTime<Utc>>,
    pub not_accepted_reason: String,
    pub reply: String,
    pub name: String,
    pub phone: String,
    pub email: String,
}

pub async fn load_case(pool: &PgPool, case_number: &str) -> Result<Option<CaseRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.case_id, c.case_number, c.query_code, c.status, c.channel, c.received_at, \
         c.matter_at, c.region, c.category_hint, c.respondent, c.facts, c.request, c.anonymous, \
         c.kind, c.category, c.severity, c.department, c.mode, c.due_at, c.not_accepted_reason, c.reply, \
         p.name, p.phone, p.email \
         FROM cases c JOIN complainants p USING (case_id) WHERE c.case_number = $1",
    )
    .bind(case_number)
    .fetch_optional(pool)
    .await
}

#[derive(Debug, sqlx::FromRow)]
pub struct TimelineRow {
    pub at: DateTime<Utc>,
    pub source: String,
    pub event: String,
    pub detail: String,
}

pub async fn load_timeline(pool: &PgPool, case_id: Uuid) -> Result<Vec<TimelineRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT at, source, event, detail FROM timeline WHERE case_id = $1 ORDER BY at, id",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await
}
