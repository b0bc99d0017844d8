use crate::cli::ShowArgs;
use crate::{connect, print};
use complaints_proto::v1::intake_client::IntakeClient;
use complaints_proto::v1::GetCaseRequest;
use std::fmt::Write;

pub async fn run(url: &str, args: ShowArgs, offset: chrono::FixedOffset) -> anyhow::Result<()> {
    let mut client = IntakeClient::new(connect::channel("intake", url).await?);
    let c = client
        .get_case(GetCaseRequest {
            case_number: args.case_number,
            query_code: args.query_code,
        })
        .await
        .map_err(|s| connect::status("intake", s))?
        .into_inner();
    let who = c.complainant.unwrap_or_default();
    let time = |ts| print::time(ts, offset);
    let mut out = String::new();
    writeln!(out, "case {}  [{}]", c.case_number, c.status)?;
    writeln!(
        out,
        "  received    {} by {}",
        time(c.received_at.as_ref()),
        print::channel(c.channel)
    )?;
    if who.anonymous {
        writeln!(out, "  complainant anonymous")?;
    } else {
        writeln!(
            out,
            "  complainant {}  {}  {}",
            who.name, who.phone, who.email
        )?;
    }
    writeln!(out, "  region      {}", c.region)?;
    if !c.respondent.is_empty() {
        writeln!(out, "  respondent  {}", c.respondent)?;
    }
    writeln!(out, "  facts       {}", c.facts)?;
    if !c.request.is_empty() {
        writeln!(out, "  request     {}", c.request)?;
    }
    if !c.category.is_empty() {
        writeln!(
            out,
            "  triage      {} / {} / {} → {} ({})",
            print::kind(c.kind),
            c.category,
            print::severity(c.severity),
            c.department,
            print::mode(c.mode)
        )?;
    }
    if c.due_at.is_some() {
        writeln!(out, "  due         {}", time(c.due_at.as_ref()))?;
    }
    if !c.not_accepted_reason.is_empty() {
        writeln!(out, "  not accepted ({})", c.not_accepted_reason)?;
    }
    if !c.reply.is_empty() {
        writeln!(out, "  reply       {}", c.reply)?;
    }
    writeln!(out, "timeline:")?;
    for t in &c.timeline {
        writeln!(
            out,
            "  {}  {:<16} {:<18} {}",
            time(t.at.as_ref()),
            t.source,
            t.event,
            t.detail
        )?;
    }
    print::emit(&out);
    Ok(())
}
