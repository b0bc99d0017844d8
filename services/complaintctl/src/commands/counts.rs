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
        })
        .await
        .map_err(|s| connect::status("reporting", s))?
        .into_inner();
    let mut out = format!(
        "cases received {} … {}: {}\n",
        reply.from_day, reply.to_day, reply.total
    );
    let mut current = "";
    for row in &reply.rows {
        if row.dimension != current {
            out += &format!("{}:\n", row.dimension);
            current = &row.dimension;
        }
        out += &format!("  {:<24} {:>8}\n", row.key, row.count);
    }
    crate::print::emit(&out);
    Ok(())
}
