//! `Deadlines.ComputeDeadlines` on the real deadline-watcher binary (with
//! its own database and NATS prefix), over a real connection:
//! - each request of a batch is answered as `ComputeDeadline` answers it
//!   alone, in the requests' order; no requests, no answers;
//! - one invalid request refuses the call with `INVALID_ARGUMENT` naming
//!   its index; a batch over the cap (128) is `INVALID_ARGUMENT` naming the
//!   cap, and one over the server's decoding limit tonic's `OUT_OF_RANGE`.
//!
//! That dispatch's batch path uses the call, with one call per batch, is
//! `services/dispatch/tests/batch_deadlines.rs`; that the orders of a
//! batch get the deadline deadline-watcher gives each alone, through the
//! whole mesh, is `backlog.rs`.

use anyhow::ensure;
use complaints_proto::v1::deadlines_client::DeadlinesClient;
use complaints_proto::v1::{
    ComputeDeadlineRequest, ComputeDeadlinesRequest, DeadlineKind, HandlingMode, Kind, Severity,
};
use mesh_e2e::TestMesh;
use mesh_kit::time::to_proto;
use tonic::transport::Channel;
use tonic::Code;

/// Requests of every mode, kind and severity, starting an hour and a bit
/// apart over some weeks (weekends and holidays included), and acceptance
/// deadlines.
fn varied() -> Vec<ComputeDeadlineRequest> {
    let start = chrono::DateTime::parse_from_rfc3339("2026-09-28T09:00:00+08:00")
        .expect("a valid time")
        .with_timezone(&chrono::Utc);
    let mut out = Vec::new();
    let mut n = 0i64;
    for mode in [
        HandlingMode::Transferred,
        HandlingMode::Assigned,
        HandlingMode::Direct,
    ] {
        for kind in [Kind::Complaint, Kind::Inquiry, Kind::HelpRequest] {
            for severity in [Severity::Minor, Severity::General, Severity::Major] {
                n += 1;
                out.push(ComputeDeadlineRequest {
                    deadline_kind: DeadlineKind::Conclusion as i32,
                    mode: mode as i32,
                    kind: kind as i32,
                    severity: severity as i32,
                    start: Some(to_proto(start + chrono::Duration::minutes(n * 977))),
                });
            }
        }
    }
    out.push(ComputeDeadlineRequest {
        deadline_kind: DeadlineKind::Acceptance as i32,
        start: Some(to_proto(start)),
        ..Default::default()
    });
    out
}

fn plain() -> ComputeDeadlineRequest {
    ComputeDeadlineRequest {
        deadline_kind: DeadlineKind::Conclusion as i32,
        mode: HandlingMode::Transferred as i32,
        start: Some(to_proto(chrono::Utc::now())),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_deadlines_is_answered_in_order_and_checked_item_by_item() -> anyhow::Result<()>
{
    let mesh = TestMesh::start_services(&["deadline-watcher"], &[]).await?;
    let result = run(DeadlinesClient::new(
        mesh.channel("deadline-watcher").await?,
    ))
    .await;
    if result.is_err() {
        eprintln!("{}", mesh.logs_tail());
    }
    mesh.stop_after(result).await
}

async fn run(mut deadlines: DeadlinesClient<Channel>) -> anyhow::Result<()> {
    // Answered in order, each as alone.
    let requests = varied();
    let batch = deadlines
        .compute_deadlines(ComputeDeadlinesRequest {
            requests: requests.clone(),
        })
        .await?
        .into_inner();
    ensure!(
        batch.responses.len() == requests.len(),
        "{} answers to {} requests",
        batch.responses.len(),
        requests.len()
    );
    for (i, (request, got)) in requests.iter().zip(&batch.responses).enumerate() {
        let alone = deadlines.compute_deadline(*request).await?.into_inner();
        ensure!(
            got == &alone,
            "request {i}: the batch says {got:?}, alone {alone:?}"
        );
    }
    let empty = deadlines
        .compute_deadlines(ComputeDeadlinesRequest::default())
        .await?
        .into_inner();
    ensure!(empty.responses.is_empty(), "answers to no requests");

    // One invalid request refuses the call, by index.
    let mut requests = vec![plain(); 6];
    requests[4].mode = 0;
    let status = deadlines
        .compute_deadlines(ComputeDeadlinesRequest { requests })
        .await
        .expect_err("a request without a mode");
    ensure!(
        status.code() == Code::InvalidArgument
            && status
                .message()
                .starts_with("requests[4].mode: is required"),
        "{status:?}"
    );

    // The cap, and tonic's size limit beyond it.
    let at_cap = deadlines
        .compute_deadlines(ComputeDeadlinesRequest {
            requests: vec![plain(); 128],
        })
        .await?
        .into_inner();
    ensure!(at_cap.responses.len() == 128, "{}", at_cap.responses.len());
    let status = deadlines
        .compute_deadlines(ComputeDeadlinesRequest {
            requests: vec![plain(); 129],
        })
        .await
        .expect_err("over the cap");
    ensure!(
        status.code() == Code::InvalidArgument
            && status.message() == "requests: 129 requests; at most 128 at once",
        "{status:?}"
    );
    let status = deadlines
        .compute_deadlines(ComputeDeadlinesRequest {
            requests: vec![plain(); 2_000],
        })
        .await
        .expect_err("over the decoding limit");
    ensure!(status.code() == Code::OutOfRange, "{status:?}");
    Ok(())
}
