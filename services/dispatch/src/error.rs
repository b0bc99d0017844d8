//! dispatch's errors and their gRPC statuses.

use tonic::Status;

#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error("{field}: {rule}")]
    InvalidField { field: &'static str, rule: String },
    #[error("no department {0:?} in the network")]
    UnknownDepartment(String),
    #[error("storage error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("queue error: {0}")]
    Queue(String),
}

impl From<DispatchError> for Status {
    fn from(err: DispatchError) -> Self {
        match &err {
            DispatchError::InvalidField { .. } => Status::invalid_argument(err.to_string()),
            DispatchError::UnknownDepartment(_) => Status::not_found(err.to_string()),
            DispatchError::Db(db) => {
                tracing::error!(error = %db, "storage error");
                Status::unavailable("work-order storage is unavailable")
            }
            DispatchError::Queue(msg) => {
                tracing::error!(error = %msg, "queue error");
                Status::unavailable("the department queue is unavailable")
            }
        }
    }
}
