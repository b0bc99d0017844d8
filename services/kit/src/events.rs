//! Names of the mesh's streams and event subjects (without prefix), in one
//! place. Each stream is owned by the service that produces into it.

/// intake's stream and its events.
pub mod intake {
    pub const STREAM: &str = "INTAKE";
    pub const SUBJECTS: &str = "intake.v1.>";
    /// `CaseRegistered`.
    pub const CASE_REGISTERED: &str = "intake.v1.case_registered";
    /// `ReviewRequested`.
    pub const REVIEW_REQUESTED: &str = "intake.v1.review_requested";
}

/// triage's stream and its events.
pub mod triage {
    pub const STREAM: &str = "TRIAGE";
    pub const SUBJECTS: &str = "triage.v1.>";
    /// `CaseRouted`.
    pub const CASE_ROUTED: &str = "triage.v1.case_routed";
    /// `CaseNotAccepted`.
    pub const CASE_NOT_ACCEPTED: &str = "triage.v1.case_not_accepted";
}

/// dispatch's stream: department queues and work-order events.
pub mod dispatch {
    pub const STREAM: &str = "DISPATCH";
    pub const SUBJECTS: &str = "dispatch.v1.>";
    /// `WorkOrder`s, one subject per department: `dispatch.v1.orders.<code>`.
    pub const ORDERS: &str = "dispatch.v1.orders.>";
    pub const ORDERS_PREFIX: &str = "dispatch.v1.orders.";
    /// `WorkflowStep`s: `dispatch.v1.steps.<step>`.
    pub const STEPS_PREFIX: &str = "dispatch.v1.steps.";
}

/// deadline-watcher's stream and its events.
pub mod deadline {
    pub const STREAM: &str = "DEADLINE";
    pub const SUBJECTS: &str = "deadline.v1.>";
    /// `DeadlineRegistered`.
    pub const DEADLINE_REGISTERED: &str = "deadline.v1.deadline_registered";
    /// `DeadlineAlert`s: `deadline.v1.alerts.<stage>.<notified department>`.
    pub const ALERTS: &str = "deadline.v1.alerts.>";
    pub const ALERTS_PREFIX: &str = "deadline.v1.alerts.";
}
