//! dispatch's errors and their gRPC statuses.

use crate::workflow::command::FieldError;
use crate::workflow::Rejection;
use tonic::Status;

#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error("{field}: {rule}")]
    InvalidField { field: String, rule: String },
    #[error("no department {0:?} in the network")]
    UnknownDepartment(String),
    #[error("no work order for case {0}")]
    OrderNotFound(String),
    /// The workflow refused the step.
    #[error("{0}")]
    Rejected(Rejection),
    /// The deadline-watcher or triage did not answer.
    #[error("{0}")]
    Upstream(String),
    #[error("storage error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("queue error: {0}")]
    Queue(String),
}

impl DispatchError {
    /// For a consumer: a storage or upstream failure is retried; anything
    /// else is the event's fault and is parked with `what` and the reason.
    pub fn into_handle_error(self, what: &str) -> mesh_kit::consumer::HandleError {
        use mesh_kit::consumer::HandleError;
        match self {
            DispatchError::Db(err) => HandleError::Retry(err.into()),
            DispatchError::Upstream(msg) => HandleError::Retry(anyhow::anyhow!(msg)),
            other => HandleError::Reject(format!("{what}: {other}")),
        }
    }
}

impl From<FieldError> for DispatchError {
    fn from(err: FieldError) -> Self {
        DispatchError::InvalidField {
            field: err.field,
            rule: err.rule,
        }
    }
}

impl From<mesh_kit::input::FieldError> for DispatchError {
    fn from(err: mesh_kit::input::FieldError) -> Self {
        DispatchError::InvalidField {
            field: err.field.to_owned(),
            rule: err.rule,
        }
    }
}

impl From<DispatchError> for Status {
    fn from(err: DispatchError) -> Self {
        match &err {
            DispatchError::InvalidField { .. } => Status::invalid_argument(err.to_string()),
            DispatchError::UnknownDepartment(_) | DispatchError::OrderNotFound(_) => {
                Status::not_found(err.to_string())
            }
            DispatchError::Rejected(rejection) => match rejection {
                Rejection::State { .. } | Rejection::Precondition(_) => {
                    Status::failed_precondition(err.to_string())
                }
                Rejection::Forbidden(_) => Status::permission_denied(err.to_string()),
                Rejection::Invalid { .. } => Status::invalid_argument(err.to_string()),
            },
            DispatchError::Upstream(msg) => {
                tracing::warn!(error = %msg, "a service dispatch depends on did not answer");
                Status::unavailable(msg.clone())
            }
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
