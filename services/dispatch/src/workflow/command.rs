//! A workflow step as asked for over gRPC, parsed at the edge: every field
//! is checked here, so the machine only sees well-formed commands.

use super::state::Step;
use complaints_proto::v1::act_request::Step as ProtoStep;
use complaints_proto::v1::{ActRequest, Conclusion};
use mesh_kit::input;

/// The complainant's verdict at the callback (回访).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Satisfaction {
    Satisfied,
    BasicallySatisfied,
    Dissatisfied,
}

impl Satisfaction {
    pub fn as_str(self) -> &'static str {
        match self {
            Satisfaction::Satisfied => "satisfied",
            Satisfaction::BasicallySatisfied => "basically_satisfied",
            Satisfaction::Dissatisfied => "dissatisfied",
        }
    }
}

/// A well-formed workflow command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Sign,
    Return {
        reason: String,
    },
    /// `department` is filled in by the caller before the machine decides
    /// (by hand, or from the next matching routing rule).
    Reroute {
        department: String,
        reason: String,
    },
    Transfer {
        department: String,
        reason: String,
    },
    SetCoHandlers {
        lead: Option<String>,
        co_handlers: Vec<String>,
    },
    RequestExtension {
        working_days: u32,
        reason: String,
    },
    DecideExtension {
        approve: bool,
        reason: String,
    },
    Suspend {
        reason: String,
    },
    Resume {
        reason: String,
    },
    LogContact {
        note: String,
    },
    Conclude {
        conclusion: Conclusion,
    },
    Withdraw {
        reason: String,
        under_pressure: bool,
    },
    RecordCallback {
        satisfaction: Satisfaction,
        note: String,
    },
    RequestReview {
        reason: String,
    },
    DecideReview {
        uphold: bool,
        department: Option<String>,
        reason: String,
    },
    /// Triage grouped the case into a batch incident (批量投诉) led by
    /// another case's order; this order stops, the lead handles it.
    Merge {
        lead_case_number: String,
        incident_size: u32,
    },
}

impl Command {
    pub fn step(&self) -> Step {
        match self {
            Command::Sign => Step::Sign,
            Command::Return { .. } => Step::Return,
            Command::Reroute { .. } => Step::Reroute,
            Command::Transfer { .. } => Step::Transfer,
            Command::SetCoHandlers { .. } => Step::SetCoHandlers,
            Command::RequestExtension { .. } => Step::RequestExtension,
            Command::DecideExtension { .. } => Step::DecideExtension,
            Command::Suspend { .. } => Step::Suspend,
            Command::Resume { .. } => Step::Resume,
            Command::LogContact { .. } => Step::LogContact,
            Command::Conclude { .. } => Step::Conclude,
            Command::Withdraw { .. } => Step::Withdraw,
            Command::RecordCallback { .. } => Step::RecordCallback,
            Command::RequestReview { .. } => Step::RequestReview,
            Command::DecideReview { .. } => Step::DecideReview,
            Command::Merge { .. } => Step::Merge,
        }
    }
}

/// A field that breaks its rule: becomes `INVALID_ARGUMENT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub rule: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.rule)
    }
}

impl From<mesh_kit::input::FieldError> for FieldError {
    fn from(err: mesh_kit::input::FieldError) -> Self {
        FieldError {
            field: err.field.to_owned(),
            rule: err.rule,
        }
    }
}

/// Longest reason, note or element of a conclusion, in characters (as
/// intake's complaint request).
pub const MAX_TEXT: usize = 2000;
/// Longest handler's name (经办人), as a complainant's name at intake.
pub const MAX_HANDLER: usize = 64;
/// Longest handler's phone.
pub const MAX_PHONE: usize = 32;
/// Most co-handlers (协办) of one order.
pub const MAX_CO_HANDLERS: usize = 20;

fn text(field: &'static str, value: &str, required: bool) -> Result<String, FieldError> {
    Ok(input::text(field, value, required, MAX_TEXT)?)
}

fn code(field: &'static str, value: &str) -> Result<Option<String>, FieldError> {
    Ok(input::code(field, value)?)
}

fn required_code(field: &'static str, value: &str) -> Result<String, FieldError> {
    Ok(input::required_code(field, value)?)
}

/// Checks every element of a conclusion; names all that are missing.
fn conclusion(c: Option<Conclusion>) -> Result<Conclusion, FieldError> {
    let c = c.unwrap_or_default();
    let fields = [
        ("conclusion.facts_found", &c.facts_found, MAX_TEXT),
        ("conclusion.staff_handling", &c.staff_handling, MAX_TEXT),
        (
            "conclusion.corrective_actions",
            &c.corrective_actions,
            MAX_TEXT,
        ),
        ("conclusion.answer", &c.answer, MAX_TEXT),
        ("conclusion.handler", &c.handler, MAX_HANDLER),
        ("conclusion.handler_phone", &c.handler_phone, MAX_PHONE),
    ];
    let missing: Vec<&str> = fields
        .iter()
        .filter(|(_, v, _)| v.trim().is_empty())
        .map(|(n, _, _)| *n)
        .collect();
    if !missing.is_empty() {
        return Err(FieldError {
            field: missing.join(", "),
            rule: if missing.len() == 1 {
                "is required".into()
            } else {
                "are required".into()
            },
        });
    }
    for (name, value, max) in fields {
        input::text(name, value, true, max)?;
    }
    Ok(Conclusion {
        facts_found: c.facts_found.trim().to_owned(),
        staff_handling: c.staff_handling.trim().to_owned(),
        corrective_actions: c.corrective_actions.trim().to_owned(),
        answer: c.answer.trim().to_owned(),
        handler: c.handler.trim().to_owned(),
        handler_phone: c.handler_phone.trim().to_owned(),
    })
}

impl TryFrom<ActRequest> for Command {
    type Error = FieldError;

    fn try_from(req: ActRequest) -> Result<Self, FieldError> {
        let step = req.step.ok_or_else(|| FieldError {
            field: "step".into(),
            rule: "is required".into(),
        })?;
        Ok(match step {
            ProtoStep::Sign(_) => Command::Sign,
            ProtoStep::Return(r) => Command::Return {
                reason: text("return.reason", &r.reason, true)?,
            },
            ProtoStep::Reroute(r) => Command::Reroute {
                department: code("reroute.department", &r.department)?.unwrap_or_default(),
                reason: text("reroute.reason", &r.reason, false)?,
            },
            ProtoStep::Transfer(t) => Command::Transfer {
                department: required_code("transfer.department", &t.department)?,
                reason: text("transfer.reason", &t.reason, false)?,
            },
            ProtoStep::SetCoHandlers(s) => Command::SetCoHandlers {
                lead: code("set_co_handlers.lead", &s.lead)?,
                co_handlers: input::codes(
                    "set_co_handlers.co_handlers",
                    &s.co_handlers,
                    MAX_CO_HANDLERS,
                )?,
            },
            ProtoStep::RequestExtension(e) => {
                if !(1..=30).contains(&e.working_days) {
                    return Err(FieldError {
                        field: "request_extension.working_days".into(),
                        rule: "must be 1 to 30".into(),
                    });
                }
                Command::RequestExtension {
                    working_days: e.working_days,
                    reason: text("request_extension.reason", &e.reason, true)?,
                }
            }
            ProtoStep::DecideExtension(d) => Command::DecideExtension {
                approve: d.approve,
                reason: text("decide_extension.reason", &d.reason, !d.approve)?,
            },
            ProtoStep::Suspend(s) => Command::Suspend {
                reason: text("suspend.reason", &s.reason, true)?,
            },
            ProtoStep::Resume(r) => Command::Resume {
                reason: text("resume.reason", &r.reason, false)?,
            },
            ProtoStep::LogContact(c) => Command::LogContact {
                note: text("log_contact.note", &c.note, true)?,
            },
            ProtoStep::Conclude(c) => Command::Conclude {
                conclusion: conclusion(c.conclusion)?,
            },
            ProtoStep::Withdraw(w) => Command::Withdraw {
                reason: text("withdraw.reason", &w.reason, true)?,
                under_pressure: w.under_pressure,
            },
            ProtoStep::RecordCallback(c) => {
                use complaints_proto::v1::Satisfaction as S;
                const FIELD: &str = "record_callback.satisfaction";
                // Unspecified (0) and values this build does not know are
                // refused, never read as a verdict.
                let satisfaction = match input::enum_value(FIELD, c.satisfaction, true)? {
                    S::Satisfied => Satisfaction::Satisfied,
                    S::BasicallySatisfied => Satisfaction::BasicallySatisfied,
                    S::Dissatisfied => Satisfaction::Dissatisfied,
                    S::Unspecified => {
                        return Err(input::FieldError::new(FIELD, "is required").into())
                    }
                };
                Command::RecordCallback {
                    satisfaction,
                    note: text("record_callback.note", &c.note, false)?,
                }
            }
            ProtoStep::DecideReview(d) => Command::DecideReview {
                uphold: d.uphold,
                department: code("decide_review.department", &d.department)?,
                reason: text("decide_review.reason", &d.reason, true)?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use complaints_proto::v1::act_request;

    fn act(step: ProtoStep) -> ActRequest {
        ActRequest {
            case_number: "2026-11-000001".into(),
            actor: "east-heat".into(),
            step: Some(step),
        }
    }

    fn field(req: ActRequest) -> String {
        Command::try_from(req).expect_err("invalid").field
    }

    #[test]
    fn a_conclusion_names_every_missing_element() {
        let partial = Conclusion {
            facts_found: "属实".into(),
            answer: "已修复".into(),
            ..Default::default()
        };
        let err = Command::try_from(act(ProtoStep::Conclude(act_request::Conclude {
            conclusion: Some(partial),
        })))
        .expect_err("incomplete");
        assert_eq!(
            err.field,
            "conclusion.staff_handling, conclusion.corrective_actions, conclusion.handler, conclusion.handler_phone"
        );
        assert_eq!(err.rule, "are required");
    }

    #[test]
    fn unknown_verdicts_are_refused_not_defaulted() {
        for value in [0, 4, -1, 99] {
            let err = Command::try_from(act(ProtoStep::RecordCallback(
                act_request::RecordCallback {
                    satisfaction: value,
                    note: String::new(),
                },
            )))
            .expect_err("no verdict");
            assert_eq!(err.field, "record_callback.satisfaction", "{value}");
        }
    }

    #[test]
    fn texts_and_lists_have_limits() {
        let long = "字".repeat(MAX_TEXT + 1);
        let err = Command::try_from(act(ProtoStep::LogContact(act_request::LogContact {
            note: long.clone(),
        })))
        .expect_err("long");
        assert_eq!(
            err.to_string(),
            "log_contact.note: is 2001 characters long; at most 2000 are allowed"
        );
        let err = Command::try_from(act(ProtoStep::Conclude(act_request::Conclude {
            conclusion: Some(Conclusion {
                handler: "刘".repeat(MAX_HANDLER + 1),
                ..full()
            }),
        })))
        .expect_err("long handler");
        assert_eq!(err.field, "conclusion.handler");
        let err = Command::try_from(act(ProtoStep::Conclude(act_request::Conclude {
            conclusion: Some(Conclusion {
                handler_phone: "1".repeat(MAX_PHONE + 1),
                ..full()
            }),
        })))
        .expect_err("long phone");
        assert_eq!(err.field, "conclusion.handler_phone");
        assert!(
            Command::try_from(act(ProtoStep::Conclude(act_request::Conclude {
                conclusion: Some(full()),
            })))
            .is_ok()
        );
        let err = Command::try_from(act(ProtoStep::SetCoHandlers(act_request::SetCoHandlers {
            lead: String::new(),
            co_handlers: vec!["water".into(); MAX_CO_HANDLERS + 1],
        })))
        .expect_err("too many");
        assert_eq!(
            err.to_string(),
            "set_co_handlers.co_handlers: has 21 entries; at most 20 are allowed"
        );
        let err = Command::try_from(act(ProtoStep::Reroute(act_request::Reroute {
            department: "d".repeat(100_000),
            reason: String::new(),
        })))
        .expect_err("huge code");
        assert_eq!(err.field, "reroute.department");
        assert!(err.rule.len() < 200, "{}", err.rule);
    }

    fn full() -> Conclusion {
        Conclusion {
            facts_found: "属实".into(),
            staff_handling: "通报批评".into(),
            corrective_actions: "更换阀门".into(),
            answer: "已修复".into(),
            handler: "刘工".into(),
            handler_phone: "0000-1111".into(),
        }
    }

    #[test]
    fn reasons_and_departments_are_checked() {
        assert_eq!(
            field(act(ProtoStep::Return(act_request::Return {
                reason: " ".into()
            }))),
            "return.reason"
        );
        assert_eq!(
            field(act(ProtoStep::Transfer(act_request::Transfer {
                department: "".into(),
                reason: "".into()
            }))),
            "transfer.department"
        );
        assert_eq!(
            field(act(ProtoStep::Transfer(act_request::Transfer {
                department: "A B".into(),
                reason: "".into()
            }))),
            "transfer.department"
        );
        assert_eq!(
            field(act(ProtoStep::RequestExtension(
                act_request::RequestExtension {
                    working_days: 31,
                    reason: "x".into()
                }
            ))),
            "request_extension.working_days"
        );
        assert_eq!(
            field(act(ProtoStep::RecordCallback(
                act_request::RecordCallback {
                    satisfaction: 0,
                    note: "".into()
                }
            ))),
            "record_callback.satisfaction"
        );
        assert_eq!(
            field(ActRequest {
                step: None,
                ..act(ProtoStep::Sign(act_request::Sign {}))
            }),
            "step"
        );
        // Refusing an extension needs a reason; approving does not.
        assert_eq!(
            field(act(ProtoStep::DecideExtension(
                act_request::DecideExtension {
                    approve: false,
                    reason: "".into()
                }
            ))),
            "decide_extension.reason"
        );
        assert!(Command::try_from(act(ProtoStep::DecideExtension(
            act_request::DecideExtension {
                approve: true,
                reason: "".into()
            }
        )))
        .is_ok());
    }
}
