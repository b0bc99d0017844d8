//! intake's errors, and the one place they become gRPC statuses.

use tonic::Status;

/// Why a call failed when Postgres could not be used.
pub const STORAGE_UNAVAILABLE: &str = "case storage is unavailable";

/// What a caller answered UNAVAILABLE should do.
const RETRY: &str = "try again (a submission with the same idempotency key)";

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The request breaks a rule; the message names the field and the rule.
    #[error("{field}: {rule}")]
    InvalidField { field: &'static str, rule: String },
    #[error("no case numbered {0}")]
    CaseNotFound(String),
    #[error("the query code does not match case {0}")]
    WrongQueryCode(String),
    /// The case is not in a state that allows the request.
    #[error("{0}")]
    NotNow(String),
    /// Intake cannot take the submission on now (admission.rs).
    #[error("{0}")]
    Busy(String),
    #[error("storage error: {0}")]
    Db(#[from] sqlx::Error),
    /// Nothing was written, or the outcome is not known (registrar.rs:
    /// Postgres unreachable for a group of submissions, or intake
    /// stopping); the message says why.
    #[error("{0}")]
    Unavailable(String),
}

impl From<mesh_kit::input::FieldError> for IntakeError {
    fn from(err: mesh_kit::input::FieldError) -> Self {
        IntakeError::InvalidField {
            field: err.field,
            rule: err.rule,
        }
    }
}

impl From<IntakeError> for Status {
    fn from(err: IntakeError) -> Self {
        match &err {
            IntakeError::InvalidField { .. } => Status::invalid_argument(err.to_string()),
            IntakeError::CaseNotFound(_) => Status::not_found(err.to_string()),
            IntakeError::WrongQueryCode(_) => Status::permission_denied(err.to_string()),
            IntakeError::NotNow(_) => Status::failed_precondition(err.to_string()),
            IntakeError::Busy(why) => Status::resource_exhausted(format!(
                "{why}; nothing was registered: try again shortly with the same idempotency key"
            )),

            IntakeError::Db(db) => {
                tracing::error!(error = %db, "storage error");
                // Nothing was written: any call may be retried, a submission
                // with the same idempotency key.
                Status::unavailable(format!("{STORAGE_UNAVAILABLE}; {RETRY}"))
            }
            IntakeError::Unavailable(why) => Status::unavailable(format!("{why}; {RETRY}")),
        }
    }
}
