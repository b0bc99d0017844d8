use crate::cli::{ChannelArg, SubmitArgs};
use crate::connect;
use anyhow::Context;
use complaints_proto::v1::intake_client::IntakeClient;
use complaints_proto::v1::{Channel, Complainant, SubmitComplaintRequest};

fn channel(c: ChannelArg) -> Channel {
    match c {
        ChannelArg::Phone => Channel::Phone,
        ChannelArg::Letter => Channel::Letter,
        ChannelArg::Email => Channel::Email,
        ChannelArg::Fax => Channel::Fax,
        ChannelArg::Web => Channel::Web,
        ChannelArg::WalkIn => Channel::WalkIn,
        ChannelArg::Media => Channel::Media,
        ChannelArg::Transfer => Channel::Transfer,
    }
}

pub async fn run(url: &str, args: SubmitArgs) -> anyhow::Result<()> {
    let matter_at = match &args.matter_at {
        None => None,
        Some(s) => {
            let at = chrono::DateTime::parse_from_rfc3339(s).with_context(|| {
                format!("--matter-at {s:?} is not an RFC 3339 time, e.g. 2026-11-20T08:00:00+08:00")
            })?;
            Some(prost_types::Timestamp {
                seconds: at.timestamp(),
                nanos: 0,
            })
        }
    };
    let key = args
        .key
        .unwrap_or_else(|| format!("complaintctl-{}", uuid::Uuid::new_v4()));
    let request = SubmitComplaintRequest {
        idempotency_key: key,
        channel: channel(args.channel) as i32,
        complainant: Some(Complainant {
            anonymous: args.anonymous,
            name: args.name,
            phone: args.phone,
            email: args.email,
        }),
        respondent: args.respondent,
        facts: args.facts,
        request: args.request,
        region: args.region,
        category_hint: args.category,
        matter_at,
    };
    let mut client = IntakeClient::new(connect::channel("intake", url).await?);
    let reply = client
        .submit_complaint(request)
        .await
        .map_err(|s| connect::status("intake", s))?
        .into_inner();
    let again = if reply.replayed {
        " (already registered with this key)"
    } else {
        ""
    };
    crate::print::emit(&format!(
        "case number: {}{again}\nquery code:  {}\n",
        reply.case_number, reply.query_code
    ));
    Ok(())
}
