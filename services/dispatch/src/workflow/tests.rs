//! The workflow's rules, path by path, and a property test that drives
//! random sequences of steps and checks the invariants after each.

use super::command::{Command, Satisfaction};
use super::machine::{decide, rule, Actor, Ctx, DeadlineChange, Rejection, TABLE};
use super::state::{OrderSnapshot, OrderState, Step};
use chrono::{DateTime, Duration, TimeZone, Utc};
use complaints_proto::v1::{Conclusion, HandlingMode, Handover, Severity};
use mesh_kit::network::Network;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use OrderState::*;

fn network() -> Network {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy/network/sample-city.toml");
    Network::load(&path).expect("sample network")
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0)
        .single()
        .expect("time")
}

fn order(mode: HandlingMode) -> OrderSnapshot {
    OrderSnapshot {
        state: Queued,
        holder: "east-heat".into(),
        co_handlers: vec![],
        mode,
        severity: Severity::General,
        assigned_at: t0(),
        base_working_days: 10,
        extended_days: 0,
        pending_extension: None,
        reopen_count: 0,
        returned_by: vec![],
        previous_holder: String::new(),
        suspended_at: None,
        return_window: Duration::minutes(30),
        extension_cap: 30,
    }
}

fn ctx(network: &Network, minutes: i64) -> Ctx<'_> {
    Ctx {
        network,
        now: t0() + Duration::minutes(minutes),
    }
}

fn by(code: &str) -> Actor {
    Actor::Department(code.into())
}

fn full_conclusion() -> Conclusion {
    Conclusion {
        facts_found: "管道阀门故障".into(),
        staff_handling: "值班员通报批评".into(),
        corrective_actions: "更换阀门，加强巡检".into(),
        answer: "已修复，室温恢复".into(),
        handler: "刘工".into(),
        handler_phone: "0000-1111".into(),
    }
}

/// Applies steps in order, each at the given minute, panicking on refusal.
fn run(mut o: OrderSnapshot, steps: &[(i64, Actor, Command)]) -> OrderSnapshot {
    let net = network();
    for (minute, actor, command) in steps {
        o = decide(&o, actor, command, &ctx(&net, *minute))
            .unwrap_or_else(|r| panic!("{command:?}: {r}"))
            .next;
    }
    o
}

#[test]
fn every_step_has_one_rule() {
    for step in Step::ALL {
        assert_eq!(
            TABLE.iter().filter(|r| r.step == step).count(),
            1,
            "{step:?}"
        );
        assert_eq!(rule(step).step, step);
    }
}

#[test]
fn sign_then_conclude_then_satisfied_closes() {
    let net = network();
    let o = run(
        order(HandlingMode::Transferred),
        &[(5, by("east-heat"), Command::Sign)],
    );
    assert_eq!(o.state, InProgress);
    let t = decide(
        &o,
        &by("east-heat"),
        &Command::Conclude {
            conclusion: full_conclusion(),
        },
        &ctx(&net, 60),
    )
    .expect("concludes");
    assert_eq!(
        (t.next.state, t.deadline.clone()),
        (Concluded, DeadlineChange::Stop)
    );
    let t = decide(
        &t.next,
        &by("centre"),
        &Command::RecordCallback {
            satisfaction: Satisfaction::Satisfied,
            note: String::new(),
        },
        &ctx(&net, 2000),
    )
    .expect("callback");
    assert_eq!(t.next.state, Closed);
}

#[test]
fn a_wrong_state_is_named() {
    let net = network();
    let err = decide(
        &order(HandlingMode::Transferred),
        &by("east-heat"),
        &Command::Conclude {
            conclusion: full_conclusion(),
        },
        &ctx(&net, 1),
    )
    .expect_err("not signed");
    assert_eq!(
        err.to_string(),
        "cannot conclude it: the order is queued (allowed when in_progress)"
    );
}

#[test]
fn only_the_holder_signs() {
    let net = network();
    let err = decide(
        &order(HandlingMode::Transferred),
        &by("west-heat"),
        &Command::Sign,
        &ctx(&net, 1),
    )
    .expect_err("not holder");
    assert!(matches!(err, Rejection::Forbidden(_)), "{err}");
    assert!(
        err.to_string().contains("only the holder (east-heat)"),
        "{err}"
    );
}

#[test]
fn returns_are_allowed_within_the_window_and_go_to_the_centre() {
    let net = network();
    let ret = Command::Return {
        reason: "不属于本单位职责".into(),
    };
    let t = decide(
        &order(HandlingMode::Transferred),
        &by("east-heat"),
        &ret,
        &ctx(&net, 29),
    )
    .expect("in time");
    assert_eq!(
        (
            t.next.state,
            t.next.holder.as_str(),
            t.next.returned_by.len()
        ),
        (Returned, "centre", 1)
    );
    let late = decide(
        &order(HandlingMode::Transferred),
        &by("east-heat"),
        &ret,
        &ctx(&net, 31),
    )
    .expect_err("late");
    assert!(
        late.to_string()
            .contains("return window of 30 minutes closed"),
        "{late}"
    );
    // The centre reroutes; the new department gets it in its queue with a
    // fresh deadline and its own return window.
    let r = decide(
        &t.next,
        &by("centre"),
        &Command::Reroute {
            department: "west-heat".into(),
            reason: String::new(),
        },
        &ctx(&net, 40),
    )
    .expect("reroute");
    assert_eq!(
        (r.next.state, r.next.holder.as_str()),
        (Queued, "west-heat")
    );
    assert_eq!(r.deadline, DeadlineChange::Restart);
    assert_eq!(r.queue[0].department, "west-heat");
    assert_eq!(r.queue[0].handover, Handover::Reroute);
    assert_eq!(r.next.assigned_at, t0() + Duration::minutes(40));
    assert!(
        decide(&r.next, &by("west-heat"), &ret, &ctx(&net, 65)).is_ok(),
        "the window runs from the reroute"
    );
}

#[test]
fn transfers_go_down_the_subtree_and_never_for_transferred_cases() {
    let net = network();
    let assigned = run(
        order(HandlingMode::Assigned),
        &[(1, by("east-heat"), Command::Sign)],
    );
    let down = Command::Transfer {
        department: "east-heat-s1".into(),
        reason: String::new(),
    };
    let t = decide(&assigned, &by("east-heat"), &down, &ctx(&net, 2)).expect("down the subtree");
    assert_eq!(
        (t.next.state, t.next.holder.as_str()),
        (Queued, "east-heat-s1")
    );
    assert_eq!(
        t.deadline,
        DeadlineChange::Keep,
        "a transfer keeps the case's deadline"
    );
    let sideways = Command::Transfer {
        department: "west-heat".into(),
        reason: String::new(),
    };
    let err = decide(&assigned, &by("east-heat"), &sideways, &ctx(&net, 2)).expect_err("sideways");
    assert!(err.to_string().contains("not below east-heat"), "{err}");
    let transferred = run(
        order(HandlingMode::Transferred),
        &[(1, by("east-heat"), Command::Sign)],
    );
    let err = decide(&transferred, &by("east-heat"), &down, &ctx(&net, 2)).expect_err("转办");
    assert!(matches!(err, Rejection::Precondition(_)));
    assert!(
        err.to_string().contains("may not be transferred again"),
        "{err}"
    );
}

#[test]
fn co_handlers_see_the_order_and_only_the_lead_concludes() {
    let net = network();
    let o = run(
        order(HandlingMode::Assigned),
        &[(1, by("east-heat"), Command::Sign)],
    );
    let t = decide(
        &o,
        &by("centre"),
        &Command::SetCoHandlers {
            lead: None,
            co_handlers: vec!["water".into(), "east-urban".into()],
        },
        &ctx(&net, 2),
    )
    .expect("co-handlers");
    assert_eq!(t.next.co_handlers, vec!["water", "east-urban"]);
    assert_eq!(t.queue.iter().filter(|q| q.co_handler).count(), 2);
    let o = t.next;
    assert!(decide(
        &o,
        &by("water"),
        &Command::LogContact {
            note: "已联系".into()
        },
        &ctx(&net, 3)
    )
    .is_ok());
    let err = decide(
        &o,
        &by("water"),
        &Command::Conclude {
            conclusion: full_conclusion(),
        },
        &ctx(&net, 3),
    )
    .expect_err("co-handler");
    assert!(matches!(err, Rejection::Forbidden(_)), "{err}");
    // A new lead takes over and must sign.
    let t = decide(
        &o,
        &by("centre"),
        &Command::SetCoHandlers {
            lead: Some("water".into()),
            co_handlers: vec!["east-heat".into()],
        },
        &ctx(&net, 4),
    )
    .expect("new lead");
    assert_eq!((t.next.holder.as_str(), t.next.state), ("water", Queued));
    assert_eq!(t.next.co_handlers, vec!["east-heat"]);
}

#[test]
fn extensions_need_approval_and_are_capped_at_30_working_days() {
    let net = network();
    let o = run(
        order(HandlingMode::Transferred),
        &[(1, by("east-heat"), Command::Sign)],
    );
    let ask = |days| Command::RequestExtension {
        working_days: days,
        reason: "涉及多部门".into(),
    };
    let err = decide(&o, &by("east-heat"), &ask(21), &ctx(&net, 2)).expect_err("over the cap");
    assert!(
        err.to_string().contains("would make 31 in all; at most 30"),
        "{err}"
    );
    let o = run(o, &[(2, by("east-heat"), ask(15))]);
    assert_eq!(o.pending_extension, Some(15));
    assert!(
        decide(&o, &by("east-heat"), &ask(1), &ctx(&net, 3)).is_err(),
        "one request at a time"
    );
    let t = decide(
        &o,
        &by("centre"),
        &Command::DecideExtension {
            approve: true,
            reason: String::new(),
        },
        &ctx(&net, 4),
    )
    .expect("approve");
    assert_eq!(t.deadline, DeadlineChange::Extend(15));
    assert_eq!((t.next.extended_days, t.next.pending_extension), (15, None));
    let o = run(t.next, &[(5, by("east-heat"), ask(5))]);
    let t = decide(
        &o,
        &by("centre"),
        &Command::DecideExtension {
            approve: false,
            reason: "理由不充分".into(),
        },
        &ctx(&net, 6),
    )
    .expect("refuse");
    assert_eq!(
        (t.deadline, t.next.extended_days),
        (DeadlineChange::Keep, 15)
    );
    let err =
        decide(&t.next, &by("east-heat"), &ask(6), &ctx(&net, 7)).expect_err("10 + 15 + 6 > 30");
    assert!(matches!(err, Rejection::Precondition(_)));
    let err = decide(
        &t.next,
        &by("east-heat"),
        &Command::DecideExtension {
            approve: true,
            reason: String::new(),
        },
        &ctx(&net, 7),
    )
    .expect_err("only the centre");
    assert!(matches!(err, Rejection::Forbidden(_)));
}

#[test]
fn a_new_holder_starts_without_the_old_extension() {
    let approve = Command::DecideExtension {
        approve: true,
        reason: String::new(),
    };
    let o = run(
        order(HandlingMode::Assigned),
        &[
            (1, by("east-heat"), Command::Sign),
            (
                2,
                by("east-heat"),
                Command::RequestExtension {
                    working_days: 10,
                    reason: "涉及多部门".into(),
                },
            ),
            (3, by("centre"), approve),
            (
                4,
                by("east-heat"),
                Command::Return {
                    reason: "不属本单位".into(),
                },
            ),
        ],
    );
    assert_eq!(o.extended_days, 10);
    let net = network();
    let t = decide(
        &o,
        &by("centre"),
        &Command::Reroute {
            department: "west-heat".into(),
            reason: String::new(),
        },
        &ctx(&net, 5),
    )
    .expect("reroute");
    assert_eq!(
        (t.deadline, t.next.extended_days),
        (DeadlineChange::Restart, 0)
    );
}

#[test]
fn suspension_needs_an_office_above_and_pauses_the_deadline() {
    let net = network();
    let o = run(
        order(HandlingMode::Transferred),
        &[(1, by("east-heat"), Command::Sign)],
    );
    let suspend = Command::Suspend {
        reason: "诉求超出政策范围".into(),
    };
    assert!(
        matches!(
            decide(&o, &by("east-heat"), &suspend, &ctx(&net, 2)),
            Err(Rejection::Forbidden(_))
        ),
        "not by the holder"
    );
    assert!(
        matches!(
            decide(&o, &by("west-office"), &suspend, &ctx(&net, 2)),
            Err(Rejection::Forbidden(_))
        ),
        "not another office"
    );
    let t = decide(&o, &by("east-office"), &suspend, &ctx(&net, 60))
        .expect("the district office approves");
    assert_eq!(
        (t.next.state, t.deadline),
        (Suspended, DeadlineChange::Pause)
    );
    let r = decide(
        &t.next,
        &by("centre"),
        &Command::Resume {
            reason: String::new(),
        },
        &ctx(&net, 60 + 3 * 24 * 60),
    )
    .expect("resume");
    assert_eq!(r.next.state, InProgress);
    assert_eq!(r.deadline, DeadlineChange::ResumeAfter(Duration::days(3)));
}

#[test]
fn dissatisfied_callbacks_reopen_at_the_same_department_then_one_tier_up() {
    let net = network();
    let concluded = |o| {
        run(
            o,
            &[
                (1, by("east-heat"), Command::Sign),
                (
                    2,
                    by("east-heat"),
                    Command::Conclude {
                        conclusion: full_conclusion(),
                    },
                ),
            ],
        )
    };
    let unhappy = Command::RecordCallback {
        satisfaction: Satisfaction::Dissatisfied,
        note: "仍然不热".into(),
    };
    let o = concluded(order(HandlingMode::Transferred));
    let t = decide(&o, &by("centre"), &unhappy, &ctx(&net, 3)).expect("reopen");
    assert_eq!(
        (t.next.state, t.next.holder.as_str(), t.next.reopen_count),
        (Queued, "east-heat", 1)
    );
    assert_eq!(t.deadline, DeadlineChange::Restart);
    assert_eq!(t.queue[0].handover, Handover::Reopen);
    let o = concluded(t.next);
    let t = decide(&o, &by("east-heat"), &unhappy, &ctx(&net, 4)).expect("second failure");
    assert_eq!(
        (t.next.holder.as_str(), t.next.reopen_count),
        ("east-office", 2),
        "二次投诉 goes one tier up"
    );
}

#[test]
fn reviews_go_to_the_centre_and_can_reopen() {
    let net = network();
    let closed = run(
        order(HandlingMode::Transferred),
        &[
            (1, by("east-heat"), Command::Sign),
            (
                2,
                by("east-heat"),
                Command::Conclude {
                    conclusion: full_conclusion(),
                },
            ),
            (
                3,
                by("centre"),
                Command::RecordCallback {
                    satisfaction: Satisfaction::BasicallySatisfied,
                    note: String::new(),
                },
            ),
        ],
    );
    assert_eq!(closed.state, Closed);
    let err = decide(
        &closed,
        &by("east-heat"),
        &Command::RequestReview { reason: "x".into() },
        &ctx(&net, 4),
    )
    .expect_err("only the complainant");
    assert!(matches!(err, Rejection::Forbidden(_)));
    let t = decide(
        &closed,
        &Actor::Complainant,
        &Command::RequestReview {
            reason: "结果不实".into(),
        },
        &ctx(&net, 5),
    )
    .expect("review");
    assert_eq!(
        (t.next.state, t.next.holder.as_str()),
        (UnderReview, "centre")
    );
    let upheld = decide(
        &t.next,
        &by("centre"),
        &Command::DecideReview {
            uphold: true,
            department: None,
            reason: "处理得当".into(),
        },
        &ctx(&net, 6),
    )
    .expect("uphold");
    assert_eq!(
        (upheld.next.state, upheld.next.holder.as_str()),
        (Closed, "east-heat")
    );
    let reopened = decide(
        &t.next,
        &by("centre"),
        &Command::DecideReview {
            uphold: false,
            department: None,
            reason: "重新核查".into(),
        },
        &ctx(&net, 6),
    )
    .expect("reopen");
    assert_eq!(
        (reopened.next.state, reopened.next.holder.as_str()),
        (Queued, "east-heat")
    );
}

#[test]
fn withdrawal_ends_everything_and_pressure_is_flagged() {
    let net = network();
    let t = decide(
        &order(HandlingMode::Transferred),
        &by("centre"),
        &Command::Withdraw {
            reason: "已私下解决".into(),
            under_pressure: true,
        },
        &ctx(&net, 1),
    )
    .expect("withdraw");
    assert_eq!(t.next.state, Withdrawn);
    assert!(t.detail.contains("to be investigated"));
    assert!(decide(&t.next, &by("east-heat"), &Command::Sign, &ctx(&net, 2)).is_err());
}

/// A random but plausible command by a random actor.
fn random_step(rng: &mut StdRng) -> (Actor, Command) {
    const ACTORS: [&str; 8] = [
        "centre",
        "east-office",
        "east-heat",
        "east-heat-s1",
        "west-heat",
        "water",
        "east-urban",
        "nobody",
    ];
    const DEPTS: [&str; 6] = [
        "east-heat",
        "east-heat-s1",
        "west-heat",
        "water",
        "centre",
        "east-office",
    ];
    let actor = if rng.random_ratio(1, 8) {
        Actor::Complainant
    } else {
        Actor::Department(ACTORS[rng.random_range(0..ACTORS.len())].into())
    };
    let mut dept = || DEPTS[rng.random_range(0..DEPTS.len())].to_string();
    let (d1, d2, d3) = (dept(), dept(), dept());
    let command = match rng.random_range(0..16) {
        0 => Command::Sign,
        1 => Command::Return { reason: "r".into() },
        2 => Command::Reroute {
            department: d1,
            reason: String::new(),
        },
        3 => Command::Transfer {
            department: d1,
            reason: String::new(),
        },
        4 => Command::SetCoHandlers {
            lead: rng.random_bool(0.5).then_some(d1),
            co_handlers: vec![d2, d3],
        },
        5 => Command::RequestExtension {
            working_days: rng.random_range(1..=30),
            reason: "r".into(),
        },
        6 => Command::DecideExtension {
            approve: rng.random_bool(0.7),
            reason: "r".into(),
        },
        7 => Command::Suspend { reason: "r".into() },
        8 => Command::Resume {
            reason: String::new(),
        },
        9 => Command::LogContact { note: "n".into() },
        10 => Command::Conclude {
            conclusion: full_conclusion(),
        },
        // Withdrawals and merges end a walk: rarer, so that walks reach
        // the steps after closing.
        11 if rng.random_ratio(1, 8) => Command::Withdraw {
            reason: "r".into(),
            under_pressure: rng.random_bool(0.1),
        },
        12 => Command::RecordCallback {
            satisfaction: [
                Satisfaction::Satisfied,
                Satisfaction::BasicallySatisfied,
                Satisfaction::Dissatisfied,
            ][rng.random_range(0..3)],
            note: String::new(),
        },
        13 => Command::RequestReview { reason: "r".into() },
        11 => Command::Conclude {
            conclusion: full_conclusion(),
        },
        14 if rng.random_ratio(1, 25) => Command::Merge {
            lead_case_number: "2026-11-000001".into(),
            incident_size: 3,
        },
        14 => Command::RequestReview { reason: "r".into() },
        _ => Command::DecideReview {
            uphold: rng.random_bool(0.5),
            department: rng.random_bool(0.5).then_some(d1),
            reason: "r".into(),
        },
    };
    (actor, command)
}

/// The deadline as the invariants see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    Running,
    Paused,
    Stopped,
}

fn expected_timer(state: OrderState) -> Timer {
    match state {
        Queued | InProgress | Returned => Timer::Running,
        Suspended => Timer::Paused,
        Concluded | UnderReview | Closed | Withdrawn | Merged => Timer::Stopped,
    }
}

#[test]
fn random_sequences_keep_the_invariants() {
    let net = network();
    let mut rng = StdRng::seed_from_u64(0x12345);
    let mut accepted = std::collections::HashMap::<Step, usize>::new();
    for sequence in 0..8000 {
        let mode = [
            HandlingMode::Direct,
            HandlingMode::Assigned,
            HandlingMode::Transferred,
        ][sequence % 3];
        let mut o = order(mode);
        let mut timer = Timer::Running;
        let mut minute = 0;
        for _ in 0..60 {
            minute += rng.random_range(0..40);
            let (actor, command) = random_step(&mut rng);
            let before = o.clone();
            let result = decide(&o, &actor, &command, &ctx(&net, minute));
            let Ok(t) = result else {
                // A refusal leaves the order as it was (nothing to apply).
                continue;
            };
            *accepted.entry(t.step).or_default() += 1;
            let n = &t.next;
            let why = format!("sequence {sequence}: {before:?} --{command:?} by {actor}--> {n:?}");
            // No step after withdrawal or a merge; after conclusion only the
            // callback; after closing only a review request.
            assert_ne!(before.state, Withdrawn, "{why}");
            assert_ne!(before.state, Merged, "{why}");
            if before.state == Concluded {
                assert_eq!(t.step, Step::RecordCallback, "{why}");
            }
            if before.state == Closed {
                assert_eq!(t.step, Step::RequestReview, "{why}");
            }
            // The table allows the transition.
            assert!(rule(t.step).allows(before.state, n.state), "{why}");
            // One holder at a time, and a real one; co-handlers are others.
            assert!(net.department(&n.holder).is_some(), "{why}");
            assert!(!n.co_handlers.contains(&n.holder), "{why}");
            assert!(
                n.co_handlers.iter().all(|c| net.department(c).is_some()),
                "{why}"
            );
            // A new holder in the queue gets the order in its queue.
            if n.state == Queued
                && (n.holder != before.holder || t.deadline == DeadlineChange::Restart)
            {
                assert!(
                    t.queue
                        .iter()
                        .any(|q| q.department == n.holder && !q.co_handler),
                    "{why}"
                );
            }
            // Deadlines: extensions within the cap, and a restarted deadline
            // carries none of the old one's; timers follow the state.
            assert!(n.base_working_days + n.extended_days <= 30, "{why}");
            if t.deadline == DeadlineChange::Restart {
                assert_eq!(n.extended_days, 0, "{why}");
            }
            assert_eq!(n.suspended_at.is_some(), n.state == Suspended, "{why}");
            assert!(
                n.pending_extension.is_none() || matches!(n.state, InProgress | Suspended),
                "{why}"
            );
            timer = match t.deadline {
                DeadlineChange::Restart => Timer::Running,
                DeadlineChange::Pause => {
                    assert_eq!(timer, Timer::Running, "{why}");
                    Timer::Paused
                }
                DeadlineChange::ResumeAfter(d) => {
                    assert_eq!(timer, Timer::Paused, "{why}");
                    assert!(d >= Duration::zero(), "{why}");
                    Timer::Running
                }
                DeadlineChange::Stop => Timer::Stopped,
                DeadlineChange::Keep | DeadlineChange::Extend(_) => timer,
            };
            assert_eq!(timer, expected_timer(n.state), "{why}");
            assert!(n.assigned_at >= before.assigned_at, "{why}");
            o = t.next;
        }
    }
    // The random walk reached every step, so every rule was exercised.
    for step in Step::ALL {
        assert!(
            accepted.get(&step).copied().unwrap_or(0) > 0,
            "{step:?} was never accepted"
        );
    }
}

#[test]
fn a_merge_into_an_incident_is_the_centres_and_stops_the_order() {
    let net = network();
    let merge = Command::Merge {
        lead_case_number: "2026-11-000007".into(),
        incident_size: 3,
    };
    let o = order(HandlingMode::Transferred);
    assert!(matches!(
        decide(&o, &by("east-heat"), &merge, &ctx(&net, 1)),
        Err(Rejection::Forbidden(_))
    ));
    let t = decide(&o, &by("centre"), &merge, &ctx(&net, 1)).expect("merge");
    assert_eq!(t.next.state, Merged);
    assert_eq!(t.deadline, DeadlineChange::Stop);
    assert!(t.queue.is_empty());
    assert!(t.detail.contains("2026-11-000007"), "{}", t.detail);
    assert!(decide(&t.next, &by("east-heat"), &Command::Sign, &ctx(&net, 2)).is_err());
    // A concluded order is not merged: its complainant is waiting for the
    // callback, not for another department.
    let mut concluded = order(HandlingMode::Transferred);
    concluded.state = Concluded;
    assert!(matches!(
        decide(&concluded, &by("centre"), &merge, &ctx(&net, 1)),
        Err(Rejection::State { .. })
    ));
}
