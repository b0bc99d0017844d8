//! One file per command (or family of commands).

mod act;
mod alerts;
mod counts;
mod dead_letters;
mod departments;
mod order;
mod queue;
mod report;
mod review;
mod show;
mod submit;

use crate::cli::{Cli, Command};

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let e = cli.endpoints;
    match cli.command {
        Command::Submit(args) => submit::run(&e.intake, args).await,
        Command::Show(args) => show::run(&e.intake, args, e.utc_offset).await,
        Command::Queue(args) => queue::run(&e.dispatch, args, e.utc_offset).await,
        Command::Counts(args) => counts::run(&e.reporting, args).await,
        Command::Departments => departments::run(&e.dispatch).await,
        Command::Order(args) => order::show(&e.dispatch, args, e.utc_offset).await,
        Command::Orders(args) => order::list(&e.dispatch, args, e.utc_offset).await,
        Command::Review(args) => review::run(&e.intake, args).await,
        Command::Alerts(args) => alerts::run(&e.deadlines, args, e.utc_offset).await,
        Command::Report(args) => report::run(&e.reporting, args).await,
        Command::ReloadRules => {
            use complaints_proto::v1::{triage_client::TriageClient, ReloadRulesRequest};
            let mut client = TriageClient::new(crate::connect::channel("triage", &e.triage).await?);
            let reply = client
                .reload_rules(ReloadRulesRequest {})
                .await
                .map_err(|s| crate::connect::status("triage", s))?
                .into_inner();
            crate::print::emit(&format!(
                "rules reloaded: {} categories, {} routes\n",
                reply.categories, reply.routes
            ));
            Ok(())
        }
        Command::DeadLetters(command) => {
            dead_letters::run(&e.nats_url, &e.nats_prefix, command, e.utc_offset).await
        }
        step => act::run(&e.dispatch, &e.actor, e.utc_offset, step).await,
    }
}
