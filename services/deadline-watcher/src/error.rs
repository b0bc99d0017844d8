//! The deadline-watcher's errors at its gRPC edge, and the one place they
//! become gRPC statuses.

use mesh_kit::input::FieldError;
use tonic::Status;

#[derive(Debug, thiserror::Error)]
pub enum DeadlineError {
    /// The request breaks a rule; the message names the field and the rule.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// One request of a batch breaks a rule; the message names its index,
    /// then the field and the rule (`requests[3].mode: is required`).
    #[error("requests[{index}].{source}")]
    InvalidItem { index: usize, source: FieldError },
    /// A batch with more requests than are computed at once.
    #[error("requests: {count} requests; at most {max} at once")]
    TooMany { count: usize, max: usize },
    #[error("no department {0:?} in the network")]
    UnknownDepartment(String),
    #[error("storage error: {0}")]
    Db(#[from] sqlx::Error),
    /// The alert stream could not be read.
    #[error("the alert stream is unavailable: {0}")]
    Stream(String),
}

impl From<DeadlineError> for Status {
    fn from(err: DeadlineError) -> Self {
        match &err {
            DeadlineError::Invalid(_)
            | DeadlineError::InvalidItem { .. }
            | DeadlineError::TooMany { .. } => Status::invalid_argument(err.to_string()),
            DeadlineError::UnknownDepartment(_) => Status::not_found(err.to_string()),
            DeadlineError::Db(db) => {
                tracing::error!(error = %db, "deadline storage failed");
                Status::unavailable("deadline storage is unavailable")
            }
            DeadlineError::Stream(_) => Status::unavailable(err.to_string()),
        }
    }
}
