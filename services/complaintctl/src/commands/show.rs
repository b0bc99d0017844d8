use crate::cli::ShowArgs;
use crate::{connect, print};
use complaints_proto::v1::intake_client::IntakeClient;
use complaints_proto::v1::GetCaseRequest;

pub async fn run(url: &str, args: ShowArgs) -> anyhow::Result<()> {
    let mut client = IntakeClient::new(connect::channel("intake", url).await?);
    let c = client
        .get_case(GetCaseRequest { case_number: args.case_number, query_code: args.query_code })
        .await
        .map_err(|s| connect::status("intake", s))?
        .into_inner();
    let who = c.complainant.unwrap_or_default();
    println!("case {}  [{}]", c.case_number, c.status);
    println!("  received   {} by {}", print::time(c.received_at.as_ref()), print::channel(c.channel));
    if who.anonymous {
        println!("  complainant anonymous");
    } else {
        println!("  complainant {}  {}  {}", who.name, who.phone, who.email);
    }
    println!("  region     {}", c.region);
    if !c.respondent.is_empty() {
        println!("  respondent {}", c.respondent);
    }
    println!("  facts      {}", c.facts);
    if !c.request.is_empty() {
        println!("  request    {}", c.request);
    }
    if !c.category.is_empty() {
        println!(
            "  triage     {} / {} / {} → {} ({})",
            print::kind(c.kind),
            c.category,
            print::severity(c.severity),
            c.department,
            print::mode(c.mode)
        );
    }
    if c.due_at.is_some() {
        println!("  due        {}", print::time(c.due_at.as_ref()));
    }
    println!("timeline:");
    for t in &c.timeline {
        println!("  {}  {:<16} {:<10} {}", print::time(t.at.as_ref()), t.source, t.event, t.detail);
    }
    Ok(())
}
