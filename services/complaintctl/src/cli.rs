//! Commands and options.

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "complaintctl",
    version,
    about = "Operate the complaint-routing mesh: submit complaints, follow cases and department queues, read counts",
    after_help = "Start the mesh with `make run`; the defaults reach it on 127.0.0.1."
)]
pub struct Cli {
    #[command(flatten)]
    pub endpoints: Endpoints,
    #[command(subcommand)]
    pub command: Command,
}

/// Where the services listen.
#[derive(Debug, Args)]
pub struct Endpoints {
    /// intake's gRPC endpoint.
    #[arg(
        long,
        global = true,
        env = "COMPLAINTCTL__INTAKE__URL",
        default_value = "http://127.0.0.1:50051"
    )]
    pub intake: String,
    /// dispatch's gRPC endpoint.
    #[arg(
        long,
        global = true,
        env = "COMPLAINTCTL__DISPATCH__URL",
        default_value = "http://127.0.0.1:50053"
    )]
    pub dispatch: String,
    /// reporting's gRPC endpoint.
    #[arg(
        long,
        global = true,
        env = "COMPLAINTCTL__REPORTING__URL",
        default_value = "http://127.0.0.1:50055"
    )]
    pub reporting: String,
    /// Times are shown in this offset: the jurisdiction's local time.
    #[arg(long, global = true, env = "COMPLAINTCTL__UTC_OFFSET", default_value = "+08:00", value_parser = parse_offset)]
    pub utc_offset: chrono::FixedOffset,
}

fn parse_offset(s: &str) -> Result<chrono::FixedOffset, String> {
    s.parse::<chrono::FixedOffset>()
        .map_err(|_| format!("{s:?} is not a UTC offset such as +08:00"))
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Register a complaint; prints its case number and query code.
    Submit(SubmitArgs),
    /// Show a case and its timeline.
    Show(ShowArgs),
    /// Print a department's work orders as they arrive (Ctrl-C to stop).
    Queue(QueueArgs),
    /// Case counts by channel, category, kind, region, severity and department.
    Counts(CountsArgs),
    /// List the department tree.
    Departments,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ChannelArg {
    Phone,
    Letter,
    Email,
    Fax,
    Web,
    WalkIn,
    Media,
    Transfer,
}

#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// What happened (required).
    #[arg(long)]
    pub facts: String,
    /// Region code of the place concerned (see `complaintctl departments`
    /// for offices; the sample network has east, west, north).
    #[arg(long)]
    pub region: String,
    /// How the complaint came in.
    #[arg(long, value_enum, default_value = "phone")]
    pub channel: ChannelArg,
    /// Complainant's name (omit with --anonymous).
    #[arg(long, default_value = "")]
    pub name: String,
    /// Complainant's phone.
    #[arg(long, default_value = "")]
    pub phone: String,
    /// Complainant's e-mail.
    #[arg(long, default_value = "")]
    pub email: String,
    /// The complainant stays anonymous (匿名).
    #[arg(long)]
    pub anonymous: bool,
    /// The person or unit complained about.
    #[arg(long, default_value = "")]
    pub respondent: String,
    /// What the complainant asks for.
    #[arg(long, default_value = "")]
    pub request: String,
    /// Category code suggested by the operator.
    #[arg(long, default_value = "")]
    pub category: String,
    /// When the matter happened (RFC 3339, e.g. 2026-11-20T08:00:00+08:00).
    #[arg(long)]
    pub matter_at: Option<String>,
    /// Idempotency key; a retry with the same key returns the same case.
    /// A fresh one is made when omitted.
    #[arg(long)]
    pub key: Option<String>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Case number, e.g. 2026-11-000123.
    pub case_number: String,
    /// The complainant's query code: shows their identity unmasked.
    #[arg(long, default_value = "")]
    pub query_code: String,
}

#[derive(Debug, Args)]
pub struct QueueArgs {
    /// Department code, e.g. east-heat.
    pub department: String,
    /// Only orders that arrive from now on (default: the queue from its start).
    #[arg(long)]
    pub new: bool,
    /// Stop after this many orders.
    #[arg(long)]
    pub count: Option<usize>,
}

#[derive(Debug, Args)]
pub struct CountsArgs {
    /// First day (YYYY-MM-DD, local); default 29 days before --to.
    #[arg(long, default_value = "")]
    pub from: String,
    /// Last day (YYYY-MM-DD, local); default today.
    #[arg(long, default_value = "")]
    pub to: String,
    /// Only these dimensions (repeatable): channel, category, kind, region,
    /// severity, department.
    #[arg(long = "dimension")]
    pub dimensions: Vec<String>,
    /// One block per day instead of one for the whole range.
    #[arg(long)]
    pub by_day: bool,
}
