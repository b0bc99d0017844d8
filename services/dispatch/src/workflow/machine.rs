//! The transition table and the rules of each step.

use super::command::{Command, Satisfaction};
use super::state::{OrderSnapshot, OrderState, Step};
use chrono::{DateTime, Duration, Utc};
use complaints_proto::v1::{HandlingMode, Handover};
use mesh_kit::network::Network;

use OrderState::*;

/// Who may take a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// The department holding the case (the lead).
    Holder,
    /// The holder or one of its co-handlers.
    HolderOrCoHandler,
    /// The holder or the centre.
    HolderOrCentre,
    /// The coordination centre (the root of the tree).
    Centre,
    /// An office above the holder, or the centre (approves suspensions).
    Approver,
    /// The complainant, through intake with the query code.
    Complainant,
}

impl Who {
    pub fn describe(self) -> &'static str {
        match self {
            Who::Holder => "holder",
            Who::HolderOrCoHandler => "holder or co-handler",
            Who::HolderOrCentre => "holder or centre",
            Who::Centre => "centre",
            Who::Approver => "office above the holder, or centre",
            Who::Complainant => "complainant (via intake)",
        }
    }
}

/// Where a step leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum To {
    /// The order stays in the state it was in.
    Same,
    State(OrderState),
}

/// One row of the transition table.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub step: Step,
    pub from: &'static [OrderState],
    /// Where the step can lead (several when the outcome depends on the
    /// step's content, e.g. a callback's verdict).
    pub to: &'static [To],
    pub who: Who,
    pub note: &'static str,
}

impl Rule {
    /// Whether the rule allows going from `from` to `to`.
    pub fn allows(&self, from: OrderState, to: OrderState) -> bool {
        self.from.contains(&from)
            && self
                .to
                .iter()
                .any(|t| *t == To::State(to) || (*t == To::Same && from == to))
    }
}

use To::{Same, State as S};

/// Every allowed transition. Anything not here is refused with
/// `FAILED_PRECONDITION` naming the current state.
pub const TABLE: &[Rule] = &[
    Rule {
        step: Step::Sign,
        from: &[Queued],
        to: &[S(InProgress)],
        who: Who::Holder,
        note: "签收",
    },
    Rule {
        step: Step::Return,
        from: &[Queued, InProgress],
        to: &[S(Returned)],
        who: Who::Holder,
        note: "退单, within the return window, with a reason",
    },
    Rule {
        step: Step::Reroute,
        from: &[Returned, Queued],
        to: &[S(Queued)],
        who: Who::Centre,
        note: "to a department, or the next matching routing rule",
    },
    Rule {
        step: Step::Transfer,
        from: &[InProgress],
        to: &[S(Queued)],
        who: Who::Holder,
        note: "down the holder's own subtree; never for 转办 cases",
    },
    Rule {
        step: Step::SetCoHandlers,
        from: &[Queued, InProgress],
        to: &[Same, S(Queued)],
        who: Who::Centre,
        note: "主办/协办; a new lead must sign",
    },
    Rule {
        step: Step::RequestExtension,
        from: &[InProgress],
        to: &[Same],
        who: Who::Holder,
        note: "延期, at most 30 working days in all",
    },
    Rule {
        step: Step::DecideExtension,
        from: &[InProgress, Suspended],
        to: &[Same],
        who: Who::Centre,
        note: "approval moves the deadline",
    },
    Rule {
        step: Step::Suspend,
        from: &[InProgress],
        to: &[S(Suspended)],
        who: Who::Approver,
        note: "demands cannot be met; deadlines pause",
    },
    Rule {
        step: Step::Resume,
        from: &[Suspended],
        to: &[S(InProgress)],
        who: Who::Approver,
        note: "deadlines move by the time suspended",
    },
    Rule {
        step: Step::LogContact,
        from: &[Queued, InProgress, Suspended],
        to: &[Same],
        who: Who::HolderOrCoHandler,
        note: "interim reply or contact",
    },
    Rule {
        step: Step::Conclude,
        from: &[InProgress],
        to: &[S(Concluded)],
        who: Who::Holder,
        note: "办结 with every element; only the lead",
    },
    Rule {
        step: Step::Withdraw,
        from: &[Queued, InProgress, Returned, Suspended, UnderReview],
        to: &[S(Withdrawn)],
        who: Who::Centre,
        note: "撤诉, with the reason",
    },
    Rule {
        step: Step::RecordCallback,
        from: &[Concluded],
        to: &[S(Closed), S(Queued)],
        who: Who::HolderOrCentre,
        note: "回访; dissatisfied reopens: first at the same department, then one tier up",
    },
    Rule {
        step: Step::RequestReview,
        from: &[Closed],
        to: &[S(UnderReview)],
        who: Who::Complainant,
        note: "复核; the centre holds it",
    },
    Rule {
        step: Step::DecideReview,
        from: &[UnderReview],
        to: &[S(Closed), S(Queued)],
        who: Who::Centre,
        note: "uphold, or reopen at a department",
    },
    Rule {
        step: Step::Merge,
        from: &[Queued, InProgress, Returned, Suspended],
        to: &[S(Merged)],
        who: Who::Centre,
        note: "批量投诉: into the incident's lead order, on triage's grouping",
    },
];

/// The rule of a step.
pub fn rule(step: Step) -> &'static Rule {
    // Every step has exactly one row; `every_step_has_one_rule` checks it.
    TABLE.iter().find(|r| r.step == step).unwrap_or(&TABLE[0])
}

/// What the step does to the conclusion deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeadlineChange {
    Keep,
    /// A new holder starts afresh: compute from the policy, from now.
    Restart,
    /// An approved extension: this many working days later.
    Extend(u32),
    /// Suspended: timers pause.
    Pause,
    /// Resumed: everything moves by the time spent suspended.
    ResumeAfter(Duration),
    /// Concluded, closed or withdrawn: timers stop.
    Stop,
}

/// A department that gets the order in its queue because of the step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEntry {
    pub department: String,
    pub handover: Handover,
    pub co_handler: bool,
}

/// What a step does, to be applied by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub step: Step,
    pub next: OrderSnapshot,
    pub deadline: DeadlineChange,
    pub queue: Vec<QueueEntry>,
    /// For the history and the timeline.
    pub detail: String,
    pub satisfaction: Option<Satisfaction>,
}

/// Why a step was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// The order's state does not allow the step.
    State {
        step: Step,
        state: OrderState,
        allowed: &'static [OrderState],
    },
    /// The actor may not take the step.
    Forbidden(String),
    /// The state allows it, but a rule does not (window closed, cap…).
    Precondition(String),
    /// A field names something that does not exist.
    Invalid { field: String, rule: String },
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rejection::State {
                step,
                state,
                allowed,
            } => {
                let allowed: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
                write!(
                    f,
                    "cannot {}: the order is {} (allowed when {})",
                    step.verb(),
                    state.as_str(),
                    allowed.join(" or ")
                )
            }
            Rejection::Forbidden(msg) | Rejection::Precondition(msg) => f.write_str(msg),
            Rejection::Invalid { field, rule } => write!(f, "{field}: {rule}"),
        }
    }
}

/// Who is acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Department(String),
    Complainant,
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::Department(code) => f.write_str(code),
            Actor::Complainant => f.write_str("complainant"),
        }
    }
}

/// What the machine needs from outside.
pub struct Ctx<'a> {
    pub network: &'a Network,
    pub now: DateTime<Utc>,
}

fn forbidden(actor: &Actor, who: &str, step: Step) -> Rejection {
    Rejection::Forbidden(format!("{actor} may not {}: only {who} may", step.verb()))
}

fn check_actor(
    order: &OrderSnapshot,
    actor: &Actor,
    rule: &Rule,
    ctx: &Ctx,
) -> Result<(), Rejection> {
    let centre = &ctx.network.centre().code;
    let dept = match actor {
        Actor::Complainant => {
            return if rule.who == Who::Complainant {
                Ok(())
            } else {
                Err(forbidden(actor, rule.who.describe(), rule.step))
            }
        }
        Actor::Department(code) => code,
    };
    if ctx.network.department(dept).is_none() {
        return Err(Rejection::Invalid {
            field: "actor".into(),
            rule: format!("{dept:?} is not a department"),
        });
    }
    let ok = match rule.who {
        Who::Holder => *dept == order.holder,
        Who::HolderOrCoHandler => *dept == order.holder || order.co_handlers.contains(dept),
        Who::HolderOrCentre => *dept == order.holder || dept == centre,
        Who::Centre => dept == centre,
        Who::Approver => *dept != order.holder && ctx.network.is_within(&order.holder, dept),
        Who::Complainant => false,
    };
    if ok {
        Ok(())
    } else {
        let who = match rule.who {
            Who::Holder => format!("the holder ({})", order.holder),
            Who::Centre => format!("the centre ({centre})"),
            other => format!("the {}", other.describe()),
        };
        Err(forbidden(actor, &who, rule.step))
    }
}

fn known(ctx: &Ctx, field: &str, code: &str) -> Result<(), Rejection> {
    match ctx.network.department(code) {
        Some(_) => Ok(()),
        None => Err(Rejection::Invalid {
            field: field.into(),
            rule: format!("{code:?} is not a department"),
        }),
    }
}

/// Whether the order's state allows `step` at all, and `actor` may take
/// it: the checks before any field of the command is looked at (or looked
/// up elsewhere).
pub fn admit(
    order: &OrderSnapshot,
    actor: &Actor,
    step: Step,
    ctx: &Ctx,
) -> Result<&'static Rule, Rejection> {
    let rule = rule(step);
    if !rule.from.contains(&order.state) {
        return Err(Rejection::State {
            step,
            state: order.state,
            allowed: rule.from,
        });
    }
    check_actor(order, actor, rule, ctx)?;
    Ok(rule)
}

/// Checks `command` by `actor` against the order and the rules; returns the
/// transition to apply.
pub fn decide(
    order: &OrderSnapshot,
    actor: &Actor,
    command: &Command,
    ctx: &Ctx,
) -> Result<Transition, Rejection> {
    let step = command.step();
    admit(order, actor, step, ctx)?;

    let mut next = order.clone();
    let mut deadline = DeadlineChange::Keep;
    let mut queue = Vec::new();
    let mut satisfaction = None;
    let centre = ctx.network.centre().code.clone();

    let detail = match command {
        Command::Sign => {
            next.state = InProgress;
            format!("signed for by {}", order.holder)
        }

        Command::Return { reason } => {
            if order.holder == centre {
                return Err(Rejection::Precondition(
                    "the centre holds this order; it cannot return it to itself".into(),
                ));
            }
            let closes = order.assigned_at + order.return_window;
            if ctx.now > closes {
                return Err(Rejection::Precondition(format!(
                    "the return window of {} closed at {}; ask the centre to reroute instead",
                    human(order.return_window),
                    closes.format("%Y-%m-%d %H:%M:%S UTC")
                )));
            }
            next.state = Returned;
            next.pending_extension = None;
            next.returned_by.push(order.holder.clone());
            next.holder = centre.clone();
            next.co_handlers.clear();
            format!("returned by {}: {reason}", order.holder)
        }
        Command::Reroute { department, reason } => {
            if department.is_empty() {
                return Err(Rejection::Invalid {
                    field: "reroute.department".into(),
                    rule: "no department to reroute to".into(),
                });
            }
            known(ctx, "reroute.department", department)?;
            if *department == order.holder && order.state == Queued {
                return Err(Rejection::Precondition(format!(
                    "{department} already holds this order"
                )));
            }
            hand_to(&mut next, department, ctx.now);
            deadline = DeadlineChange::Restart;
            queue.push(QueueEntry {
                department: department.clone(),
                handover: Handover::Reroute,
                co_handler: false,
            });
            with_reason(format!("rerouted to {department}"), reason)
        }
        Command::Transfer { department, reason } => {
            known(ctx, "transfer.department", department)?;
            if order.mode == HandlingMode::Transferred {
                return Err(Rejection::Precondition(
                    "a transferred (转办) case must be handled by the department that received it; it may not be transferred again".into(),
                ));
            }
            if *department == order.holder || !ctx.network.is_within(department, &order.holder) {
                return Err(Rejection::Precondition(format!(
                    "{department} is not below {}: an order may only be passed down the holder's own subtree",
                    order.holder
                )));
            }
            hand_to(&mut next, department, ctx.now);
            queue.push(QueueEntry {
                department: department.clone(),
                handover: Handover::Transfer,
                co_handler: false,
            });
            with_reason(
                format!("transferred by {} to {department}", order.holder),
                reason,
            )
        }
        Command::SetCoHandlers { lead, co_handlers } => {
            let lead = lead.clone().unwrap_or_else(|| order.holder.clone());
            known(ctx, "set_co_handlers.lead", &lead)?;
            let mut seen = Vec::new();
            for c in co_handlers {
                known(ctx, "set_co_handlers.co_handlers", c)?;
                if *c == lead {
                    return Err(Rejection::Invalid {
                        field: "set_co_handlers.co_handlers".into(),
                        rule: format!("{c} is the lead; a co-handler helps the lead"),
                    });
                }
                if !seen.contains(c) {
                    seen.push(c.clone());
                }
            }
            if lead != order.holder {
                hand_to(&mut next, &lead, ctx.now);
                queue.push(QueueEntry {
                    department: lead.clone(),
                    handover: Handover::Lead,
                    co_handler: false,
                });
            }
            for c in &seen {
                if !order.co_handlers.contains(c) || lead != order.holder {
                    queue.push(QueueEntry {
                        department: c.clone(),
                        handover: Handover::CoHandler,
                        co_handler: true,
                    });
                }
            }
            next.co_handlers = seen;
            format!(
                "lead {lead}; co-handlers: {}",
                if next.co_handlers.is_empty() {
                    "none".into()
                } else {
                    next.co_handlers.join(", ")
                }
            )
        }
        Command::RequestExtension {
            working_days,
            reason,
        } => {
            if let Some(pending) = order.pending_extension {
                return Err(Rejection::Precondition(format!(
                    "an extension of {pending} working days is already waiting for the centre"
                )));
            }
            let total = order.base_working_days + order.extended_days + working_days;
            if total > order.extension_cap {
                return Err(Rejection::Precondition(format!(
                    "{working_days} more working days would make {total} in all; at most {} are allowed (002 第二十五条)",
                    order.extension_cap
                )));
            }
            next.pending_extension = Some(*working_days);
            format!("asks {working_days} more working days: {reason}")
        }
        Command::DecideExtension { approve, reason } => {
            let Some(days) = order.pending_extension else {
                return Err(Rejection::Precondition(
                    "no extension request is pending".into(),
                ));
            };
            next.pending_extension = None;
            if *approve {
                next.extended_days += days;
                deadline = DeadlineChange::Extend(days);
                with_reason(format!("extension of {days} working days approved"), reason)
            } else {
                format!("extension of {days} working days refused: {reason}")
            }
        }
        Command::Suspend { reason } => {
            next.state = Suspended;
            next.suspended_at = Some(ctx.now);
            deadline = DeadlineChange::Pause;
            format!("suspended: {reason}")
        }
        Command::Resume { reason } => {
            let since = order.suspended_at.unwrap_or(ctx.now);
            next.state = InProgress;
            next.suspended_at = None;
            deadline = DeadlineChange::ResumeAfter(ctx.now - since);
            with_reason("resumed".into(), reason)
        }
        Command::LogContact { note } => format!("contact by {actor}: {note}"),
        Command::Conclude { conclusion } => {
            next.state = Concluded;
            next.pending_extension = None;
            deadline = DeadlineChange::Stop;
            format!(
                "concluded by {} ({}): {}",
                order.holder, conclusion.handler, conclusion.answer
            )
        }
        Command::Withdraw {
            reason,
            under_pressure,
        } => {
            next.state = Withdrawn;
            next.pending_extension = None;
            next.suspended_at = None;
            deadline = DeadlineChange::Stop;
            if *under_pressure {
                format!("withdrawn: {reason} — under pressure, to be investigated (003 第十九条)")
            } else {
                format!("withdrawn: {reason}")
            }
        }
        Command::RecordCallback {
            satisfaction: verdict,
            note,
        } => {
            satisfaction = Some(*verdict);
            if *verdict == Satisfaction::Dissatisfied {
                next.reopen_count += 1;
                // First failure: the same department again; then one tier
                // up each time (二次投诉, 001 五(三)).
                let to = if next.reopen_count == 1 {
                    order.holder.clone()
                } else {
                    ctx.network
                        .parent(&order.holder)
                        .map(|p| p.code.clone())
                        .unwrap_or_else(|| order.holder.clone())
                };
                hand_to(&mut next, &to, ctx.now);
                next.co_handlers.clear();
                deadline = DeadlineChange::Restart;
                queue.push(QueueEntry {
                    department: to.clone(),
                    handover: Handover::Reopen,
                    co_handler: false,
                });
                with_reason(format!("callback: dissatisfied; reopened at {to}"), note)
            } else {
                next.state = Closed;
                deadline = DeadlineChange::Stop;
                with_reason(format!("callback: {}", verdict.as_str()), note)
            }
        }
        Command::RequestReview { reason } => {
            next.previous_holder = order.holder.clone();
            next.holder = centre.clone();
            next.co_handlers.clear();
            next.state = UnderReview;
            format!("re-review requested by the complainant: {reason}")
        }
        Command::DecideReview {
            uphold,
            department,
            reason,
        } => {
            if *uphold {
                next.state = Closed;
                next.holder = if order.previous_holder.is_empty() {
                    order.holder.clone()
                } else {
                    order.previous_holder.clone()
                };
                format!("review upheld the result: {reason}")
            } else {
                let to = department
                    .clone()
                    .unwrap_or_else(|| order.previous_holder.clone());
                if to.is_empty() {
                    return Err(Rejection::Invalid {
                        field: "decide_review.department".into(),
                        rule: "is required".into(),
                    });
                }
                known(ctx, "decide_review.department", &to)?;
                next.reopen_count += 1;
                hand_to(&mut next, &to, ctx.now);
                next.co_handlers.clear();
                deadline = DeadlineChange::Restart;
                queue.push(QueueEntry {
                    department: to.clone(),
                    handover: Handover::Reopen,
                    co_handler: false,
                });
                format!("review reopened the case at {to}: {reason}")
            }
        }
        Command::Merge {
            lead_case_number,
            incident_size,
        } => {
            next.state = Merged;
            next.pending_extension = None;
            next.suspended_at = None;
            next.co_handlers.clear();
            deadline = DeadlineChange::Stop;
            format!(
                "merged into the batch incident led by {lead_case_number} ({incident_size} complaints); that order handles it"
            )
        }
    };
    if deadline == DeadlineChange::Restart {
        // The new deadline is the policy's, without the old one's extension.
        next.extended_days = 0;
    }
    Ok(Transition {
        step,
        next,
        deadline,
        queue,
        detail,
        satisfaction,
    })
}

/// A new holder starts with the order queued, its own return window, and
/// no extension request of the previous holder.
fn hand_to(next: &mut OrderSnapshot, department: &str, now: DateTime<Utc>) {
    next.holder = department.to_owned();
    next.co_handlers.retain(|c| c != department);
    next.assigned_at = now;
    next.state = Queued;
    next.pending_extension = None;
}

/// `30 minutes`, `45 s`.
fn human(d: Duration) -> String {
    let secs = d.num_seconds();
    if secs % 60 == 0 {
        format!("{} minutes", secs / 60)
    } else {
        format!("{secs} s")
    }
}

fn with_reason(what: String, reason: &str) -> String {
    if reason.is_empty() {
        what
    } else {
        format!("{what}: {reason}")
    }
}
