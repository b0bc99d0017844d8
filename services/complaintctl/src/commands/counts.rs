use crate::cli::CountsArgs;
use crate::connect;
use complaints_proto::v1::reporting_client::ReportingClient;
use complaints_proto::v1::GetCountsRequest;

pub async fn run(url: &str, args: CountsArgs) -> anyhow::Result<()> {
    let mut client = ReportingClient::new(connect::channel("reporting", url).await?);
    let reply = client
        .get_counts(GetCountsRequest {
            from_day: args.from,
            to_day: args.to,
            dimensions: args.dimensions,
            by_day: args.by_day,
        })
        .await
        .map_err(|s| connect::status("reporting", s))?
        .into_inner();
    let mut out = format!(
        "cases received {} … {}: {}\n",
        reply.from_day, reply.to_day, reply.total
    );
    let mut current = (String::new(), String::new());
    for row in &reply.rows {
        if !row.day.is_empty() && row.day != current.0 {
            out += &format!("{}\n", row.day);
        }
        if (row.day.as_str(), row.dimension.as_str()) != (current.0.as_str(), current.1.as_str()) {
            out += &format!("  {}:\n", row.dimension);
            current = (row.day.clone(), row.dimension.clone());
        }
        out += &format!("    {:<24} {:>8}\n", row.key, row.count);
    }
    crate::print::emit(&out);
    Ok(())
}
