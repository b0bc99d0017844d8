//! complaintctl: the operator's command line for the complaint-routing
//! mesh. Every command talks gRPC to one of the services, except
//! `dead-letters`, which reads and writes JetStream directly.

mod cli;
mod commands;
mod connect;
mod dead_letter;
mod print;

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
