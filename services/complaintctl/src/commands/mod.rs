//! One file per command.

mod counts;
mod departments;
mod queue;
mod show;
mod submit;

use crate::cli::{Cli, Command};

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let e = &cli.endpoints;
    match cli.command {
        Command::Submit(args) => submit::run(&e.intake, args).await,
        Command::Show(args) => show::run(&e.intake, args, e.utc_offset).await,
        Command::Queue(args) => queue::run(&e.dispatch, args, e.utc_offset).await,
        Command::Counts(args) => counts::run(&e.reporting, args).await,
        Command::Departments => departments::run(&e.dispatch).await,
    }
}
