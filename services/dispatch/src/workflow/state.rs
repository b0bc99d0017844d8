//! Order states, workflow steps and the order as the machine sees it.

use chrono::{DateTime, Utc};
use complaints_proto::v1::{HandlingMode, Severity};

/// Where a work order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderState {
    /// In the holder's queue, not yet signed for (待签收).
    Queued,
    /// Signed for and being handled (办理中).
    InProgress,
    /// Handed back to the centre (退单), waiting to be rerouted.
    Returned,
    /// Paused with approval while demands cannot be met (中止).
    Suspended,
    /// Concluded and answered (办结), waiting for the callback.
    Concluded,
    /// The complainant asked for a re-review (复核); the centre holds it.
    UnderReview,
    /// Done: the callback found the complainant satisfied, or a review
    /// upheld the result.
    Closed,
    /// The complainant withdrew the complaint (撤诉).
    Withdrawn,
    /// Merged into a batch incident's lead order (批量投诉): the lead's
    /// holder handles the matter for every complainant.
    Merged,
}

impl OrderState {
    pub const ALL: [OrderState; 9] = [
        OrderState::Queued,
        OrderState::InProgress,
        OrderState::Returned,
        OrderState::Suspended,
        OrderState::Concluded,
        OrderState::UnderReview,
        OrderState::Closed,
        OrderState::Withdrawn,
        OrderState::Merged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Queued => "queued",
            OrderState::InProgress => "in_progress",
            OrderState::Returned => "returned",
            OrderState::Suspended => "suspended",
            OrderState::Concluded => "concluded",
            OrderState::UnderReview => "under_review",
            OrderState::Closed => "closed",
            OrderState::Withdrawn => "withdrawn",
            OrderState::Merged => "merged",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == s)
    }

    /// Whether the case is still being handled (its timers run).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            OrderState::Queued | OrderState::InProgress | OrderState::Returned
        )
    }
}

/// A step of the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    Sign,
    Return,
    Reroute,
    Transfer,
    SetCoHandlers,
    RequestExtension,
    DecideExtension,
    Suspend,
    Resume,
    LogContact,
    Conclude,
    Withdraw,
    RecordCallback,
    RequestReview,
    DecideReview,
    Merge,
}

impl Step {
    pub const ALL: [Step; 16] = [
        Step::Sign,
        Step::Return,
        Step::Reroute,
        Step::Transfer,
        Step::SetCoHandlers,
        Step::RequestExtension,
        Step::DecideExtension,
        Step::Suspend,
        Step::Resume,
        Step::LogContact,
        Step::Conclude,
        Step::Withdraw,
        Step::RecordCallback,
        Step::RequestReview,
        Step::DecideReview,
        Step::Merge,
    ];

    /// The step in a sentence: "cannot {verb}".
    pub fn verb(self) -> &'static str {
        match self {
            Step::Sign => "sign for it",
            Step::Return => "return it",
            Step::Reroute => "reroute it",
            Step::Transfer => "transfer it",
            Step::SetCoHandlers => "set co-handlers",
            Step::RequestExtension => "request an extension",
            Step::DecideExtension => "decide an extension",
            Step::Suspend => "suspend it",
            Step::Resume => "resume it",
            Step::LogContact => "log a contact",
            Step::Conclude => "conclude it",
            Step::Withdraw => "withdraw it",
            Step::RecordCallback => "record a callback",
            Step::RequestReview => "request a review",
            Step::DecideReview => "decide a review",
            Step::Merge => "merge it into an incident",
        }
    }

    /// The event name, also the last token of `dispatch.v1.steps.<name>`.
    pub fn event(self) -> &'static str {
        match self {
            Step::Sign => "signed",
            Step::Return => "returned",
            Step::Reroute => "rerouted",
            Step::Transfer => "transferred",
            Step::SetCoHandlers => "co_handlers_set",
            Step::RequestExtension => "extension_requested",
            Step::DecideExtension => "extension_decided",
            Step::Suspend => "suspended",
            Step::Resume => "resumed",
            Step::LogContact => "contact_logged",
            Step::Conclude => "concluded",
            Step::Withdraw => "withdrawn",
            Step::RecordCallback => "callback_recorded",
            Step::RequestReview => "review_requested",
            Step::DecideReview => "review_decided",
            Step::Merge => "merged",
        }
    }
}

/// What the machine needs to know about an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderSnapshot {
    pub state: OrderState,
    /// The department holding the case (the lead, 主办).
    pub holder: String,
    /// Departments helping (协办); never the holder.
    pub co_handlers: Vec<String>,
    pub mode: HandlingMode,
    pub severity: Severity,
    /// When the holder received it: the return window runs from here.
    pub assigned_at: DateTime<Utc>,
    /// The policy's time limit in working days (0 when not in working days).
    pub base_working_days: u32,
    /// Working days added by approved extensions.
    pub extended_days: u32,
    pub pending_extension: Option<u32>,
    /// How often a dissatisfied callback or a review reopened it.
    pub reopen_count: u32,
    /// Departments that returned it (one entry per return), so a reroute
    /// goes elsewhere.
    pub returned_by: Vec<String>,
    /// Who held it before the centre took it for a review.
    pub previous_holder: String,
    pub suspended_at: Option<DateTime<Utc>>,
    /// How long a holder may return it (退单), from the deadline policy.
    pub return_window: chrono::Duration,
    /// Most working days in all, extensions included, from the policy.
    pub extension_cap: u32,
}
