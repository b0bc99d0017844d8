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
    /// triage's gRPC endpoint.
    #[arg(
        long,
        global = true,
        env = "COMPLAINTCTL__TRIAGE__URL",
        default_value = "http://127.0.0.1:50052"
    )]
    pub triage: String,
    /// the deadline-watcher's gRPC endpoint.
    #[arg(
        long,
        global = true,
        env = "COMPLAINTCTL__DEADLINES__URL",
        default_value = "http://127.0.0.1:50054"
    )]
    pub deadlines: String,
    /// reporting's gRPC endpoint.
    #[arg(
        long,
        global = true,
        env = "COMPLAINTCTL__REPORTING__URL",
        default_value = "http://127.0.0.1:50055"
    )]
    pub reporting: String,
    /// The department you act for in workflow steps (a handler's unit, or
    /// the centre), e.g. east-heat.
    #[arg(
        long = "as",
        global = true,
        env = "COMPLAINTCTL__AS",
        default_value = ""
    )]
    pub actor: String,
    /// Times are shown in this offset: the jurisdiction's local time.
    #[arg(long, global = true, env = "COMPLAINTCTL__UTC_OFFSET", default_value = "+08:00", value_parser = parse_offset)]
    pub utc_offset: chrono::FixedOffset,
    /// NATS server of the mesh (JetStream), for dead letters.
    #[arg(
        long,
        global = true,
        env = "COMPLAINTCTL__NATS__URL",
        default_value = "nats://127.0.0.1:4222"
    )]
    pub nats_url: String,
    /// The mesh's subject and stream prefix: the services'
    /// MESH__NATS__PREFIX (empty for `make run` and in production).
    #[arg(
        long,
        global = true,
        env = "COMPLAINTCTL__NATS__PREFIX",
        default_value = ""
    )]
    pub nats_prefix: String,
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
    /// Reload triage's rules (categories, routes) from the rules file; invalid
    /// rules are refused and the rules in force stay.
    ReloadRules,
    /// Reports: weekly, monthly, quarterly, annual; show, CSV, HTML, verify.
    Report(ReportArgs),
    /// Print deadline alerts as they fire (预警, 超期, escalation), for all
    /// departments or one.
    Alerts(AlertsArgs),
    /// Show a case's work order: state, holder, deadline, history.
    Order(CaseArg),
    /// List a department's work orders (as holder or co-handler).
    Orders(OrdersArgs),
    /// Handler: sign for a work order (签收).
    Sign(CaseArg),
    /// Handler: hand a misrouted order back to the centre (退单), within the return window.
    Return(ReasonArgs),
    /// Centre: send a returned order to a department, or to the next routing rule.
    Reroute(RerouteArgs),
    /// Handler: pass the order down your own subtree (not for 转办 cases).
    Transfer(TransferArgs),
    /// Centre: name the lead and the co-handlers (主办/协办).
    CoHandlers(CoHandlersArgs),
    /// Handler: ask for more working days (延期).
    Extend(ExtendArgs),
    /// Centre: approve the pending extension.
    ApproveExtension(OptionalReasonArgs),
    /// Centre: refuse the pending extension.
    RefuseExtension(ReasonArgs),
    /// Office above the holder, or centre: suspend handling; deadlines pause.
    Suspend(ReasonArgs),
    /// Office above the holder, or centre: resume handling.
    Resume(OptionalReasonArgs),
    /// Handler or co-handler: log an interim reply or contact with the complainant.
    Contact(ContactArgs),
    /// Handler (the lead): conclude the case (办结) with every element.
    Conclude(ConcludeArgs),
    /// Centre: record the complainant's withdrawal (撤诉).
    Withdraw(WithdrawArgs),
    /// Handler or centre: record the callback (回访); dissatisfied reopens the case.
    Callback(CallbackArgs),
    /// Complainant: ask the centre to review a closed case (复核), with the query code.
    Review(ReviewArgs),
    /// Centre: uphold the result of a reviewed case, or reopen it.
    DecideReview(DecideReviewArgs),
    /// Events a service could not handle (dead letters): list, show, replay
    /// once the cause is fixed, or drop. Talks to NATS (--nats-url,
    /// --nats-prefix).
    #[command(subcommand)]
    DeadLetters(DeadLettersCommand),
}

#[derive(Debug, Subcommand)]
pub enum DeadLettersCommand {
    /// List the dead letters, oldest first: sequence, time, service,
    /// consumer, subject, event id, size and reason.
    List(DeadLettersListArgs),
    /// Show one dead letter in full: every header, and the payload decoded
    /// as the event its subject names.
    Show(DeadLetterArg),
    /// Put dead letters back on their original subject for the consumer
    /// that gave them up (the other consumers skip them); each is removed
    /// once the broker has stored the copy. A consumer that handled the
    /// event already does nothing, so replaying twice is harmless.
    Replay(DeadLettersReplayArgs),
    /// Delete dead letters for good (after inspection).
    Drop(DeadLettersDropArgs),
}

#[derive(Debug, Args)]
pub struct DeadLettersListArgs {
    /// Only the dead letters of this service (intake, triage, dispatch,
    /// deadline-watcher, reporting).
    #[arg(long)]
    pub service: Option<String>,
    /// Print a JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DeadLetterArg {
    /// Sequence of the dead letter (the SEQ column of `list`).
    pub sequence: u64,
}

#[derive(Debug, Args)]
pub struct DeadLettersReplayArgs {
    /// Sequences of the dead letters to replay (the SEQ column of `list`).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub sequences: Vec<u64>,
    /// Replay every dead letter (of --service, if given).
    #[arg(long)]
    pub all: bool,
    /// With --all: only the dead letters of this service.
    #[arg(long, requires = "all")]
    pub service: Option<String>,
}

#[derive(Debug, Args)]
pub struct DeadLettersDropArgs {
    /// Sequences of the dead letters to delete.
    #[arg(required = true)]
    pub sequences: Vec<u64>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PeriodArg {
    Weekly,
    Monthly,
    Quarterly,
    Annual,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportAction {
    /// Print the report.
    Show,
    /// Write it as CSV (to --out, or stdout).
    Csv,
    /// Write it as an HTML page with charts (to --out, or stdout).
    Html,
    /// Recompute it from the raw event streams and compare with the rollups.
    Verify,
    /// List the periodic reports produced on schedule.
    List,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// What to do.
    #[arg(value_enum, default_value = "show")]
    pub action: ReportAction,
    #[arg(long, value_enum, default_value = "monthly")]
    pub period: PeriodArg,
    /// Any day of the period (YYYY-MM-DD); default: the last complete one.
    #[arg(long, default_value = "")]
    pub date: String,
    /// A department: the report covers its subtree (default: everything).
    #[arg(long, default_value = "")]
    pub department: String,
    /// File to write (csv, html).
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct AlertsArgs {
    /// Only alerts addressed to this department.
    #[arg(long)]
    pub department: Option<String>,
    /// Only alerts from now on (default: from the start).
    #[arg(long)]
    pub new: bool,
    /// Stop after this many alerts.
    #[arg(long)]
    pub count: Option<usize>,
}

#[derive(Debug, Args)]
pub struct CaseArg {
    /// Case number, e.g. 2026-11-000123.
    pub case_number: String,
}

#[derive(Debug, Args)]
pub struct OrdersArgs {
    /// Department code.
    pub department: String,
    /// Include concluded, closed and withdrawn orders.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct ReasonArgs {
    pub case_number: String,
    /// Why (required).
    #[arg(long)]
    pub reason: String,
}

#[derive(Debug, Args)]
pub struct OptionalReasonArgs {
    pub case_number: String,
    #[arg(long, default_value = "")]
    pub reason: String,
}

#[derive(Debug, Args)]
pub struct RerouteArgs {
    pub case_number: String,
    /// Department to send it to; omitted: the next matching routing rule.
    #[arg(long)]
    pub to: Option<String>,
    #[arg(long, default_value = "")]
    pub reason: String,
}

#[derive(Debug, Args)]
pub struct TransferArgs {
    pub case_number: String,
    /// A department below yours.
    #[arg(long)]
    pub to: String,
    #[arg(long, default_value = "")]
    pub reason: String,
}

#[derive(Debug, Args)]
pub struct CoHandlersArgs {
    pub case_number: String,
    /// The lead department (default: the current holder).
    #[arg(long)]
    pub lead: Option<String>,
    /// A co-handler (repeatable); none clears them.
    #[arg(long = "co")]
    pub co_handlers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ExtendArgs {
    pub case_number: String,
    /// Working days asked for (1–30; at most 30 in all).
    #[arg(long)]
    pub days: u32,
    #[arg(long)]
    pub reason: String,
}

#[derive(Debug, Args)]
pub struct ContactArgs {
    pub case_number: String,
    /// What was said or done.
    #[arg(long)]
    pub note: String,
}

#[derive(Debug, Args)]
pub struct ConcludeArgs {
    pub case_number: String,
    /// Facts found (调查核实的情况).
    #[arg(long, default_value = "")]
    pub facts_found: String,
    /// Handling of the responsible staff (对责任人员的处理).
    #[arg(long, default_value = "")]
    pub staff_handling: String,
    /// Corrective actions (整改措施).
    #[arg(long, default_value = "")]
    pub corrective_actions: String,
    /// The answer given to the complainant (答复内容).
    #[arg(long, default_value = "")]
    pub answer: String,
    /// Handler's name (经办人).
    #[arg(long, default_value = "")]
    pub handler: String,
    /// Handler's phone.
    #[arg(long, default_value = "")]
    pub handler_phone: String,
}

#[derive(Debug, Args)]
pub struct WithdrawArgs {
    pub case_number: String,
    #[arg(long)]
    pub reason: String,
    /// The complainant may have been pressed to withdraw: investigate (003 第十九条).
    #[arg(long)]
    pub under_pressure: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SatisfactionArg {
    Satisfied,
    BasicallySatisfied,
    Dissatisfied,
}

#[derive(Debug, Args)]
pub struct CallbackArgs {
    pub case_number: String,
    #[arg(long, value_enum)]
    pub satisfaction: SatisfactionArg,
    #[arg(long, default_value = "")]
    pub note: String,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    pub case_number: String,
    /// The query code given at registration.
    #[arg(long)]
    pub query_code: String,
    /// Why the result is not accepted.
    #[arg(long)]
    pub reason: String,
}

#[derive(Debug, Args)]
pub struct DecideReviewArgs {
    pub case_number: String,
    /// Keep the result: the case closes again.
    #[arg(long, conflicts_with = "reopen")]
    pub uphold: bool,
    /// Reopen the case.
    #[arg(long)]
    pub reopen: bool,
    /// With --reopen: the department (default: the last holder).
    #[arg(long, requires = "reopen")]
    pub to: Option<String>,
    #[arg(long)]
    pub reason: String,
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
