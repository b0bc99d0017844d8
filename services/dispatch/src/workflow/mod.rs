//! The department workflow (DOMAIN.md §4, §5, §8) as a pure state machine:
//! the allowed transitions live in one table ([`machine::TABLE`]), rendered
//! in `docs/workflow.md`; [`machine::decide`] checks a step against the
//! table, the actor and the rules, and returns the transition to apply.
//! Nothing here touches the database or the network.

pub mod command;
pub mod diagram;
pub mod machine;
pub mod state;

pub use command::{Command, Satisfaction};
pub use machine::{decide, Ctx, DeadlineChange, QueueEntry, Rejection, Transition};
pub use state::{OrderSnapshot, OrderState, Step};

#[cfg(test)]
mod tests;
