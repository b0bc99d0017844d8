//! intake's tables: cases, complainants and the timeline.
//!
//! The set-wise statements that look `cases` up by a parameter array (a
//! join to `UNNEST`, or `= ANY`) are sent unprepared (`persistent(false)`)
//! so that Postgres plans each with the table as it is now. A prepared
//! statement's generic plan, fixed while the table was small (a fresh
//! deployment), keeps scanning the whole table long after it has grown
//! (measured: 1.9 ms per key lookup and 4.3 ms per batch update with 7,500
//! cases, against 0.02 and 0.05 ms for the single-row statements), where a
//! single-row `WHERE case_id = $1` always uses the index. Planning costs a
//! few tens of microseconds per batch.

use crate::complaint::NewComplaint;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use std::collections::HashMap;
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

/// The cases that some idempotency keys registered, by key, in one
/// statement.
pub async fn find_by_keys(
    conn: &mut PgConnection,
    keys: &[&str],
) -> Result<HashMap<String, Registered>, sqlx::Error> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, Uuid, String, String)> = sqlx::query_as(
        "SELECT idempotency_key, case_id, case_number, query_code FROM cases \
         WHERE idempotency_key = ANY($1)",
    )
    .persistent(false)
    .bind(keys)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(key, case_id, case_number, query_code)| {
            let case = Registered {
                case_id,
                case_number,
                query_code,
            };
            (key, case)
        })
        .collect())
}

/// A case to insert ([`insert_many`]).
#[derive(Debug, Clone, Copy)]
pub struct NewCase<'a> {
    pub case: &'a Registered,
    pub complaint: &'a NewComplaint,
    pub complainant_key: &'a str,
    pub received_at: DateTime<Utc>,
}

/// Inserts the case, its complainant and the first timeline entry.
pub async fn insert(
    tx: &mut PgConnection,
    case: &Registered,
    complaint: &NewComplaint,
    complainant_key: &str,
    received_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let one = NewCase {
        case,
        complaint,
        complainant_key,
        received_at,
    };
    insert_many(tx, &[one]).await
}

/// Inserts cases, their complainants and their first timeline entries:
/// one statement per table, whatever the number of cases. The idempotency
/// keys must be distinct. Rows go in by idempotency key, so that two
/// transactions inserting some of the same keys wait for each other
/// rather than deadlock.
pub async fn insert_many(tx: &mut PgConnection, cases: &[NewCase<'_>]) -> Result<(), sqlx::Error> {
    if cases.is_empty() {
        return Ok(());
    }
    let mut cases: Vec<&NewCase<'_>> = cases.iter().collect();
    cases.sort_by(|a, b| {
        a.complaint
            .idempotency_key
            .cmp(&b.complaint.idempotency_key)
    });
    let n = cases.len();
    let mut ids = Vec::with_capacity(n);
    let mut numbers = Vec::with_capacity(n);
    let mut codes = Vec::with_capacity(n);
    let mut keys = Vec::with_capacity(n);
    let mut channels = Vec::with_capacity(n);
    let mut received = Vec::with_capacity(n);
    let mut matter = Vec::with_capacity(n);
    let mut regions = Vec::with_capacity(n);
    let mut hints = Vec::with_capacity(n);
    let mut respondents = Vec::with_capacity(n);
    let mut facts = Vec::with_capacity(n);
    let mut requests = Vec::with_capacity(n);
    let mut anonymous = Vec::with_capacity(n);
    let mut complainant_keys = Vec::with_capacity(n);
    let mut names = Vec::with_capacity(n);
    let mut phones = Vec::with_capacity(n);
    let mut emails = Vec::with_capacity(n);
    let mut entries = Vec::with_capacity(n);
    for c in &cases {
        let complaint = c.complaint;
        ids.push(c.case.case_id);
        numbers.push(c.case.case_number.as_str());
        codes.push(c.case.query_code.as_str());
        keys.push(complaint.idempotency_key.as_str());
        channels.push(complaint.channel as i32);
        received.push(c.received_at);
        matter.push(complaint.matter_at);
        regions.push(complaint.region.as_str());
        hints.push(complaint.category_hint.as_str());
        respondents.push(complaint.respondent.as_str());
        facts.push(complaint.facts.as_str());
        requests.push(complaint.request.as_str());
        anonymous.push(complaint.complainant.anonymous);
        complainant_keys.push(c.complainant_key);
        names.push(complaint.complainant.name.as_str());
        phones.push(complaint.complainant.phone.as_str());
        emails.push(complaint.complainant.email.as_str());
        entries.push(TimelineEntry {
            case_id: c.case.case_id,
            at: c.received_at,
            source: "intake",
            event: "registered".into(),
            detail: format!("registered as {}", c.case.case_number),
        });
    }
    sqlx::query(
        "INSERT INTO cases (case_id, case_number, query_code, idempotency_key, channel, \
         received_at, matter_at, region, category_hint, respondent, facts, request, anonymous, \
         complainant_key) \
         SELECT case_id, case_number, query_code, idempotency_key, channel, received_at, \
         matter_at, region, category_hint, respondent, facts, request, anonymous, \
         complainant_key \
         FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int4[], \
         $6::timestamptz[], $7::timestamptz[], $8::text[], $9::text[], $10::text[], $11::text[], \
         $12::text[], $13::bool[], $14::text[]) WITH ORDINALITY AS c(case_id, case_number, \
         query_code, idempotency_key, channel, received_at, matter_at, region, category_hint, \
         respondent, facts, request, anonymous, complainant_key, n) ORDER BY n",
    )
    .bind(&ids)
    .bind(numbers)
    .bind(codes)
    .bind(keys)
    .bind(channels)
    .bind(received)
    .bind(matter)
    .bind(regions)
    .bind(hints)
    .bind(respondents)
    .bind(facts)
    .bind(requests)
    .bind(anonymous)
    .bind(complainant_keys)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO complainants (case_id, name, phone, email) \
         SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[])",
    )
    .bind(&ids)
    .bind(names)
    .bind(phones)
    .bind(emails)
    .execute(&mut *tx)
    .await?;
    append_timeline_many(tx, &entries).await
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

/// One entry of a case's timeline, to be written with
/// [`append_timeline_many`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    pub case_id: Uuid,
    pub at: DateTime<Utc>,
    pub source: &'static str,
    pub event: String,
    pub detail: String,
}

/// Those of `case_ids` that name no case in intake, in the order given;
/// empty when every one does (or none is given, without a statement).
pub async fn unknown_cases(
    tx: &mut PgConnection,
    case_ids: &[Uuid],
) -> Result<Vec<Uuid>, sqlx::Error> {
    if case_ids.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_scalar(
        "SELECT id FROM UNNEST($1::uuid[]) WITH ORDINALITY AS t(id, n) \
         WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.case_id = t.id) ORDER BY n",
    )
    .bind(case_ids)
    .fetch_all(tx)
    .await
}

/// Adds entries to the timeline in one statement. Their ids follow the
/// given order, as if each had been appended in turn.
pub async fn append_timeline_many(
    tx: &mut PgConnection,
    entries: &[TimelineEntry],
) -> Result<(), sqlx::Error> {
    if entries.is_empty() {
        return Ok(());
    }
    let n = entries.len();
    let (mut ids, mut ats, mut sources, mut events, mut details) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for e in entries {
        ids.push(e.case_id);
        ats.push(e.at);
        sources.push(e.source);
        events.push(e.event.as_str());
        details.push(e.detail.as_str());
    }
    sqlx::query(
        "INSERT INTO timeline (case_id, at, source, event, detail) \
         SELECT case_id, at, source, event, detail \
         FROM UNNEST($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[]) \
         WITH ORDINALITY AS e(case_id, at, source, event, detail, n) ORDER BY n",
    )
    .bind(ids)
    .bind(ats)
    .bind(sources)
    .bind(events)
    .bind(details)
    .execute(tx)
    .await?;
    Ok(())
}

/// Triage's classification and routing decision for a case
/// ([`record_routings`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routing {
    pub case_id: Uuid,
    pub kind: i32,
    pub category: String,
    pub severity: i32,
    pub department: String,
    pub mode: i32,
}

/// Triage did not accept a case: the reason and the reply to give
/// ([`record_not_accepted_many`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAccepted {
    pub case_id: Uuid,
    pub reason: String,
    pub reply: String,
}

/// What dispatch reports of a case's work order ([`record_orders`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderState {
    pub case_id: Uuid,
    pub state: String,
    pub department: String,
    pub due_at: Option<DateTime<Utc>>,
    pub revision: i64,
}

/// A change to a case's row that an upstream event reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseUpdate {
    Routing(Routing),
    NotAccepted(NotAccepted),
    Order(OrderState),
}

impl CaseUpdate {
    pub fn case_id(&self) -> Uuid {
        match self {
            CaseUpdate::Routing(u) => u.case_id,
            CaseUpdate::NotAccepted(u) => u.case_id,
            CaseUpdate::Order(u) => u.case_id,
        }
    }
}

/// Applies updates with a few statements, with the effect of applying
/// each in turn; returns the cases that do not exist (none were updated
/// for them).
///
/// A case updated once is updated together with the other cases of its
/// kind of update (one statement per kind, whatever the number of cases).
/// A case updated more than once is updated one update at a time, in the
/// given order, since each may depend on the one before (the revision
/// guard of [`record_orders`], routing's holder).
pub async fn record_updates(
    tx: &mut PgConnection,
    updates: &[CaseUpdate],
) -> Result<Vec<Uuid>, sqlx::Error> {
    let mut times = std::collections::HashMap::<Uuid, usize>::new();
    for u in updates {
        *times.entry(u.case_id()).or_default() += 1;
    }
    // Each statement takes its cases in case_id order, so that two
    // transactions updating some of the same cases lock them in the same
    // order.
    let mut once: Vec<&CaseUpdate> = updates
        .iter()
        .filter(|u| times[&u.case_id()] == 1)
        .collect();
    once.sort_by_key(|u| u.case_id());
    let mut routings = Vec::new();
    let mut refusals = Vec::new();
    let mut orders = Vec::new();
    for u in once.iter() {
        match u {
            CaseUpdate::Routing(r) => routings.push(r.clone()),
            CaseUpdate::NotAccepted(r) => refusals.push(r.clone()),
            CaseUpdate::Order(o) => orders.push(o.clone()),
        }
    }
    let mut found: std::collections::HashSet<Uuid> = std::collections::HashSet::new();
    found.extend(record_routings(tx, &routings).await?);
    found.extend(record_not_accepted_many(tx, &refusals).await?);
    found.extend(record_orders(tx, &orders).await?);
    let mut missing: Vec<Uuid> = once
        .iter()
        .map(|u| u.case_id())
        .filter(|id| !found.contains(id))
        .collect();
    for u in updates.iter().filter(|u| times[&u.case_id()] > 1) {
        let updated = match u {
            CaseUpdate::Routing(r) => record_routings(tx, std::slice::from_ref(r)).await?,
            CaseUpdate::NotAccepted(r) => {
                record_not_accepted_many(tx, std::slice::from_ref(r)).await?
            }
            CaseUpdate::Order(o) => record_orders(tx, std::slice::from_ref(o)).await?,
        };
        if updated.is_empty() && !missing.contains(&u.case_id()) {
            missing.push(u.case_id());
        }
    }
    Ok(missing)
}

/// Records that triage did not accept the case, with the reply to give.
/// Returns false if no such case exists.
pub async fn record_not_accepted(
    tx: &mut PgConnection,
    case_id: Uuid,
    reason: &str,
    reply: &str,
) -> Result<bool, sqlx::Error> {
    let one = NotAccepted {
        case_id,
        reason: reason.to_owned(),
        reply: reply.to_owned(),
    };
    Ok(!record_not_accepted_many(tx, &[one]).await?.is_empty())
}

/// [`record_not_accepted`] for several cases, in one statement; returns
/// the cases found. The cases must be distinct.
pub async fn record_not_accepted_many(
    tx: &mut PgConnection,
    cases: &[NotAccepted],
) -> Result<Vec<Uuid>, sqlx::Error> {
    if cases.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = cases.iter().map(|c| c.case_id).collect();
    let reasons: Vec<&str> = cases.iter().map(|c| c.reason.as_str()).collect();
    let replies: Vec<&str> = cases.iter().map(|c| c.reply.as_str()).collect();
    sqlx::query_scalar(
        "UPDATE cases c SET status = 'not_accepted', not_accepted_reason = u.reason, \
         reply = u.reply \
         FROM UNNEST($1::uuid[], $2::text[], $3::text[]) AS u(case_id, reason, reply) \
         WHERE c.case_id = u.case_id RETURNING c.case_id",
    )
    .persistent(false)
    .bind(ids)
    .bind(reasons)
    .bind(replies)
    .fetch_all(tx)
    .await
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
    let one = Routing {
        case_id,
        kind,
        category: category.to_owned(),
        severity,
        department: department.to_owned(),
        mode,
    };
    Ok(!record_routings(tx, &[one]).await?.is_empty())
}

/// [`record_routing`] for several cases, in one statement; returns the
/// cases found. The cases must be distinct.
pub async fn record_routings(
    tx: &mut PgConnection,
    cases: &[Routing],
) -> Result<Vec<Uuid>, sqlx::Error> {
    if cases.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = cases.iter().map(|c| c.case_id).collect();
    let kinds: Vec<i32> = cases.iter().map(|c| c.kind).collect();
    let categories: Vec<&str> = cases.iter().map(|c| c.category.as_str()).collect();
    let severities: Vec<i32> = cases.iter().map(|c| c.severity).collect();
    let departments: Vec<&str> = cases.iter().map(|c| c.department.as_str()).collect();
    let modes: Vec<i32> = cases.iter().map(|c| c.mode).collect();
    sqlx::query_scalar(
        "UPDATE cases c SET \
           status = CASE WHEN c.status = 'registered' THEN 'routed' ELSE c.status END, \
           kind = u.kind, category = u.category, severity = u.severity, mode = u.mode, \
           department = CASE WHEN c.dispatch_revision = 0 THEN u.department ELSE c.department END \
         FROM UNNEST($1::uuid[], $2::int4[], $3::text[], $4::int4[], $5::text[], $6::int4[]) \
           AS u(case_id, kind, category, severity, department, mode) \
         WHERE c.case_id = u.case_id RETURNING c.case_id",
    )
    .persistent(false)
    .bind(ids)
    .bind(kinds)
    .bind(categories)
    .bind(severities)
    .bind(departments)
    .bind(modes)
    .fetch_all(tx)
    .await
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
    let one = OrderState {
        case_id,
        state: state.to_owned(),
        department: department.to_owned(),
        due_at,
        revision,
    };
    Ok(!record_orders(tx, &[one]).await?.is_empty())
}

/// [`record_order`] for several cases, in one statement; returns the
/// cases found. The cases must be distinct.
pub async fn record_orders(
    tx: &mut PgConnection,
    cases: &[OrderState],
) -> Result<Vec<Uuid>, sqlx::Error> {
    if cases.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = cases.iter().map(|c| c.case_id).collect();
    let states: Vec<&str> = cases.iter().map(|c| c.state.as_str()).collect();
    let departments: Vec<&str> = cases.iter().map(|c| c.department.as_str()).collect();
    let dues: Vec<Option<DateTime<Utc>>> = cases.iter().map(|c| c.due_at).collect();
    let revisions: Vec<i64> = cases.iter().map(|c| c.revision).collect();
    // Every SET expression reads the row as it was, so the guard is the
    // old revision throughout.
    sqlx::query_scalar(
        "UPDATE cases c SET \
           status = CASE WHEN c.dispatch_revision < u.revision THEN u.state ELSE c.status END, \
           department = CASE WHEN c.dispatch_revision < u.revision THEN u.department ELSE c.department END, \
           due_at = CASE WHEN c.dispatch_revision < u.revision THEN u.due_at ELSE c.due_at END, \
           dispatch_revision = GREATEST(c.dispatch_revision, u.revision) \
         FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::int8[]) \
           AS u(case_id, state, department, due_at, revision) \
         WHERE c.case_id = u.case_id RETURNING c.case_id",
    )
    .persistent(false)
    .bind(ids)
    .bind(states)
    .bind(departments)
    .bind(dues)
    .bind(revisions)
    .fetch_all(tx)
    .await
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
