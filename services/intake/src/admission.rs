//! Backpressure at the front door: intake refuses a submission it cannot
//! take on now, with a status that tells the caller to come back, rather
//! than queue work without bound.
//!
//! - At most `max_in_flight` submissions are handled at once; one more is
//!   refused at once with `RESOURCE_EXHAUSTED`. Memory stays bounded
//!   whatever the callers do.
//! - While more than `max_outbox_backlog` events wait in the outbox (NATS
//!   is down or slow, so they cannot leave), submissions are refused with
//!   `RESOURCE_EXHAUSTED`: the cases would be registered but go nowhere.
//! - When Postgres is down or slow, a submission waits at most the pool's
//!   acquire timeout and is answered `UNAVAILABLE` (error.rs).
//!
//! Either way nothing was written: the caller retries with the same
//! idempotency key.

use crate::error::IntakeError;
use mesh_kit::outbox::Backlog;
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Decides whether a submission is taken on now.
#[derive(Clone)]
pub struct Admission {
    slots: Arc<Semaphore>,
    max_in_flight: usize,
    backlog: Backlog,
    max_backlog: u64,
}

impl Admission {
    pub fn new(max_in_flight: usize, backlog: Backlog, max_backlog: u64) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(max_in_flight)),
            max_in_flight,
            backlog,
            max_backlog,
        }
    }

    /// A slot for one submission, held until the reply; or why not now.
    pub fn admit(&self) -> Result<OwnedSemaphorePermit, IntakeError> {
        let waiting = self.backlog.get();
        if waiting > self.max_backlog {
            return Err(IntakeError::Busy(format!(
                "{waiting} events wait to leave intake (is NATS reachable?), more than its limit of {}",
                self.max_backlog
            )));
        }
        self.slots.clone().try_acquire_owned().map_err(|_| {
            IntakeError::Busy(format!(
                "intake is handling its limit of {} submissions at once",
                self.max_in_flight
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_more_than_the_limit_is_refused_until_a_slot_frees() {
        let admission = Admission::new(2, Backlog::default(), 10);
        let a = admission.admit().expect("first");
        let _b = admission.admit().expect("second");
        let refused = admission.admit().expect_err("third");
        assert!(refused.to_string().contains("limit of 2 submissions"));
        drop(a);
        assert!(admission.admit().is_ok());
    }

    #[test]
    fn a_backlog_over_the_limit_refuses_submissions() {
        let backlog = Backlog::default();
        let admission = Admission::new(2, backlog.clone(), 10);
        backlog.set(10);
        assert!(admission.admit().is_ok(), "at the limit is not over it");
        backlog.set(11);
        let refused = admission.admit().expect_err("over the limit");
        assert!(refused.to_string().contains("is NATS reachable?"));
    }
}
