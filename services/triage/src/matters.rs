//! triage's record of the cases it routed (`matters`, `incidents`): what a
//! later complaint is compared with. A member of an incident is seen through
//! its lead: while the lead's order is open, so is the member's matter.

use crate::duplicates::Matter;
use crate::incidents::Recent;
use crate::links::Earlier;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// The order states in which a case is still being handled.
const OPEN: &str = "('queued', 'in_progress', 'returned', 'suspended')";

/// A routed case, as first recorded.
pub struct NewMatter {
    pub case_id: Uuid,
    pub case_number: String,
    pub complainant_key: String,
    pub matter: Matter,
    pub received_at: DateTime<Utc>,
    pub holder: String,
    pub incident: Option<Uuid>,
}

/// Records routed cases, all in one statement (a case recorded before is
/// left as it is).
pub async fn insert_all(tx: &mut PgConnection, matters: &[NewMatter]) -> Result<(), sqlx::Error> {
    if matters.is_empty() {
        return Ok(());
    }
    let column = |f: fn(&NewMatter) -> &str| matters.iter().map(f).collect::<Vec<&str>>();
    sqlx::query(
        "INSERT INTO matters (case_id, case_number, complainant_key, region, category, facts, \
         request, respondent, received_at, holder, incident_id) \
         SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], \
         $7::text[], $8::text[], $9::timestamptz[], $10::text[], $11::uuid[]) \
         ON CONFLICT (case_id) DO NOTHING",
    )
    .bind(matters.iter().map(|m| m.case_id).collect::<Vec<_>>())
    .bind(column(|m| &m.case_number))
    .bind(column(|m| &m.complainant_key))
    .bind(column(|m| &m.matter.region))
    .bind(column(|m| &m.matter.category))
    .bind(column(|m| &m.matter.facts))
    .bind(column(|m| &m.matter.request))
    .bind(column(|m| &m.matter.respondent))
    .bind(matters.iter().map(|m| m.received_at).collect::<Vec<_>>())
    .bind(column(|m| &m.holder))
    .bind(matters.iter().map(|m| m.incident).collect::<Vec<_>>())
    .execute(tx)
    .await?;
    Ok(())
}

/// Serialises the decisions that read and write one complainant's cases,
/// or one region and category's incidents, across replicas.
pub async fn lock(tx: &mut PgConnection, scope: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(scope)
        .execute(tx)
        .await?;
    Ok(())
}

/// Columns of a matter seen through its incident's lead (`m` the matter,
/// `l` the lead, when `m` is a member).
const THROUGH_LEAD: &str = "FROM matters m \
     LEFT JOIN incidents i ON i.incident_id = m.incident_id AND NOT m.leads \
     LEFT JOIN matters l ON l.case_id = i.lead_case_id";

type EarlierRow = (
    Uuid,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    bool,
);

/// The complainant's earlier cases since `since`, newest first.
pub async fn earlier(
    tx: &mut PgConnection,
    complainant_key: &str,
    since: DateTime<Utc>,
) -> Result<Vec<Earlier>, sqlx::Error> {
    let rows: Vec<EarlierRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT m.case_id, m.case_number, m.facts, m.request, m.respondent, m.region, m.category, \
         COALESCE(l.state, m.state), COALESCE(l.holder, m.holder), \
         COALESCE(l.concluded_by, m.concluded_by), COALESCE(l.result, m.result), \
         m.dissatisfied OR COALESCE(l.dissatisfied, false) \
         {THROUGH_LEAD} \
         WHERE m.complainant_key = $1 AND m.received_at >= $2 \
         ORDER BY m.received_at DESC LIMIT 50"
    )))
    .bind(complainant_key)
    .bind(since)
    .fetch_all(tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(
                case_id,
                case_number,
                facts,
                request,
                respondent,
                region,
                category,
                state,
                holder,
                concluded_by,
                result,
                dissatisfied,
            )| Earlier {
                case_id,
                case_number,
                matter: Matter {
                    facts,
                    request,
                    respondent,
                    region,
                    category,
                },
                state,
                holder,
                concluded_by,
                result,
                dissatisfied,
            },
        )
        .collect())
}

type RecentRow = (
    Uuid,
    String,
    String,
    String,
    String,
    String,
    bool,
    Option<Uuid>,
    bool,
);

/// Cases of one region and category since `since`, oldest first, with the
/// open leads of incidents (of any age) there.
pub async fn recent(
    tx: &mut PgConnection,
    region: &str,
    category: &str,
    since: DateTime<Utc>,
) -> Result<Vec<Recent>, sqlx::Error> {
    let rows: Vec<RecentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT m.case_id, m.case_number, m.facts, m.request, m.respondent, \
         COALESCE(l.holder, m.holder), COALESCE(l.state, m.state) IN {OPEN}, m.incident_id, m.leads \
         {THROUGH_LEAD} \
         WHERE m.region = $1 AND m.category = $2 \
           AND (m.received_at >= $3 OR (m.leads AND m.state IN {OPEN})) \
         ORDER BY m.received_at LIMIT 500"
    )))
    .bind(region)
    .bind(category)
    .bind(since)
    .fetch_all(tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(case_id, case_number, facts, request, respondent, holder, open, incident, leads)| {
                Recent {
                    case_id,
                    case_number,
                    matter: Matter {
                        facts,
                        request,
                        respondent,
                        region: region.to_owned(),
                        category: category.to_owned(),
                    },
                    holder,
                    open,
                    incident,
                    leads,
                }
            },
        )
        .collect())
}

/// Records a new incident led by `lead`, with `members` (the lead's own
/// matter included or not) in it.
pub async fn form_incident(
    tx: &mut PgConnection,
    incident_id: Uuid,
    lead: &Recent,
    members: &[Uuid],
    size: usize,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO incidents (incident_id, lead_case_id, lead_case_number, region, category, size) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(incident_id)
    .bind(lead.case_id)
    .bind(&lead.case_number)
    .bind(&lead.matter.region)
    .bind(&lead.matter.category)
    .bind(i32::try_from(size).unwrap_or(i32::MAX))
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE matters SET incident_id = $1, leads = (case_id = $2) WHERE case_id = ANY($3) OR case_id = $2")
        .bind(incident_id)
        .bind(lead.case_id)
        .bind(members)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// One more complaint in the incident; its size now.
pub async fn grow_incident(tx: &mut PgConnection, incident_id: Uuid) -> Result<u32, sqlx::Error> {
    let size: i32 = sqlx::query_scalar(
        "UPDATE incidents SET size = size + 1 WHERE incident_id = $1 RETURNING size",
    )
    .bind(incident_id)
    .fetch_one(tx)
    .await?;
    Ok(u32::try_from(size).unwrap_or(0))
}

/// What a workflow step tells triage about a case's order.
pub struct StepNews<'a> {
    pub case_id: Uuid,
    pub revision: i64,
    pub step: &'a str,
    pub state: &'a str,
    pub holder: &'a str,
    /// The holder before the step (who concluded).
    pub from_holder: &'a str,
    pub detail: &'a str,
    pub satisfaction: &'a str,
}

/// Follows a step; older news than the last applied is ignored.
pub async fn follow(tx: &mut PgConnection, s: &StepNews<'_>) -> Result<(), sqlx::Error> {
    let concluded = s.step == "concluded";
    // The answer part of dispatch's "concluded by X (handler): answer".
    let result = s
        .detail
        .split_once("): ")
        .map_or(s.detail, |(_, answer)| answer);
    // None: unchanged.
    let dissatisfied = match s.step {
        "callback_recorded" => Some(s.satisfaction == "dissatisfied"),
        "review_requested" => Some(true),
        _ => None,
    };
    sqlx::query(
        "UPDATE matters SET state = $3, holder = $4, revision = $2, \
         concluded_by = CASE WHEN $5 THEN $6 ELSE concluded_by END, \
         result = CASE WHEN $5 THEN $7 ELSE result END, \
         dissatisfied = COALESCE($8, dissatisfied) \
         WHERE case_id = $1 AND revision < $2",
    )
    .bind(s.case_id)
    .bind(s.revision)
    .bind(s.state)
    .bind(s.holder)
    .bind(concluded)
    .bind(s.from_holder)
    .bind(result)
    .bind(dissatisfied)
    .execute(tx)
    .await?;
    Ok(())
}
