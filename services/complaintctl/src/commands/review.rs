//! The complainant asks for a re-review (复核) through intake.

use crate::cli::ReviewArgs;
use crate::connect;
use complaints_proto::v1::intake_client::IntakeClient;
use complaints_proto::v1::RequestReviewRequest;

pub async fn run(url: &str, args: ReviewArgs) -> anyhow::Result<()> {
    let mut client = IntakeClient::new(connect::channel("intake", url).await?);
    let reply = client
        .request_review(RequestReviewRequest {
            case_number: args.case_number,
            query_code: args.query_code,
            reason: args.reason,
        })
        .await
        .map_err(|s| connect::status("intake", s))?
        .into_inner();
    crate::print::emit(&format!(
        "review of {} asked for; the centre will decide\n",
        reply.case_number
    ));
    Ok(())
}
