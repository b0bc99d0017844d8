//! Workflow steps: each command becomes one `Dispatch.Act` call, and the
//! order after the step is printed.

use crate::cli::{Command, SatisfactionArg};
use crate::{connect, print};
use complaints_proto::v1::act_request::{self, Step};
use complaints_proto::v1::dispatch_client::DispatchClient;
use complaints_proto::v1::{ActRequest, Conclusion, Satisfaction};

/// The case number and the step of a workflow command.
fn step_of(command: Command) -> anyhow::Result<(String, Step)> {
    use act_request as a;
    Ok(match command {
        Command::Sign(c) => (c.case_number, Step::Sign(a::Sign {})),
        Command::Return(r) => (r.case_number, Step::Return(a::Return { reason: r.reason })),
        Command::Reroute(r) => (
            r.case_number,
            Step::Reroute(a::Reroute {
                department: r.to.unwrap_or_default(),
                reason: r.reason,
            }),
        ),
        Command::Transfer(t) => (
            t.case_number,
            Step::Transfer(a::Transfer {
                department: t.to,
                reason: t.reason,
            }),
        ),
        Command::CoHandlers(c) => (
            c.case_number,
            Step::SetCoHandlers(a::SetCoHandlers {
                lead: c.lead.unwrap_or_default(),
                co_handlers: c.co_handlers,
            }),
        ),
        Command::Extend(e) => (
            e.case_number,
            Step::RequestExtension(a::RequestExtension {
                working_days: e.days,
                reason: e.reason,
            }),
        ),
        Command::ApproveExtension(r) => (
            r.case_number,
            Step::DecideExtension(a::DecideExtension {
                approve: true,
                reason: r.reason,
            }),
        ),
        Command::RefuseExtension(r) => (
            r.case_number,
            Step::DecideExtension(a::DecideExtension {
                approve: false,
                reason: r.reason,
            }),
        ),
        Command::Suspend(r) => (
            r.case_number,
            Step::Suspend(a::Suspend { reason: r.reason }),
        ),
        Command::Resume(r) => (r.case_number, Step::Resume(a::Resume { reason: r.reason })),
        Command::Contact(c) => (
            c.case_number,
            Step::LogContact(a::LogContact { note: c.note }),
        ),
        Command::Conclude(c) => (
            c.case_number,
            Step::Conclude(a::Conclude {
                conclusion: Some(Conclusion {
                    facts_found: c.facts_found,
                    staff_handling: c.staff_handling,
                    corrective_actions: c.corrective_actions,
                    answer: c.answer,
                    handler: c.handler,
                    handler_phone: c.handler_phone,
                }),
            }),
        ),
        Command::Withdraw(w) => (
            w.case_number,
            Step::Withdraw(a::Withdraw {
                reason: w.reason,
                under_pressure: w.under_pressure,
            }),
        ),
        Command::Callback(c) => {
            let satisfaction = match c.satisfaction {
                SatisfactionArg::Satisfied => Satisfaction::Satisfied,
                SatisfactionArg::BasicallySatisfied => Satisfaction::BasicallySatisfied,
                SatisfactionArg::Dissatisfied => Satisfaction::Dissatisfied,
            };
            (
                c.case_number,
                Step::RecordCallback(a::RecordCallback {
                    satisfaction: satisfaction as i32,
                    note: c.note,
                }),
            )
        }
        Command::DecideReview(d) => {
            if !d.uphold && !d.reopen {
                anyhow::bail!("say --uphold or --reopen");
            }
            (
                d.case_number,
                Step::DecideReview(a::DecideReview {
                    uphold: d.uphold,
                    department: d.to.unwrap_or_default(),
                    reason: d.reason,
                }),
            )
        }
        other => anyhow::bail!("{other:?} is not a workflow step"),
    })
}

pub async fn run(
    url: &str,
    actor: &str,
    offset: chrono::FixedOffset,
    command: Command,
) -> anyhow::Result<()> {
    if actor.trim().is_empty() {
        anyhow::bail!(
            "--as is required: the code of the department you act for (or set COMPLAINTCTL__AS)"
        );
    }
    let (case_number, step) = step_of(command)?;
    let mut client = DispatchClient::new(connect::channel("dispatch", url).await?);
    let order = client
        .act(ActRequest {
            case_number,
            actor: actor.to_owned(),
            step: Some(step),
        })
        .await
        .map_err(|s| connect::status("dispatch", s))?
        .into_inner();
    print::emit(&print::order_view(&order, offset));
    Ok(())
}
