//! triage's errors at its gRPC edge, and the one place they become gRPC
//! statuses.

use mesh_kit::input::FieldError;
use tonic::Status;

#[derive(Debug, thiserror::Error)]
pub enum TriageError {
    /// The request breaks a rule; the message names the field and the rule.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// The rules file could not be reloaded; the rules in force stay.
    #[error("rules not reloaded, the rules in force stay: {0}")]
    RulesNotReloaded(#[from] crate::rules::RulesError),
}

impl From<TriageError> for Status {
    fn from(err: TriageError) -> Self {
        match &err {
            TriageError::Invalid(_) => Status::invalid_argument(err.to_string()),
            TriageError::RulesNotReloaded(_) => Status::failed_precondition(err.to_string()),
        }
    }
}
