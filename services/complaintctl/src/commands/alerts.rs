//! Deadline alerts as they fire, from the deadline-watcher.

use crate::cli::AlertsArgs;
use crate::{connect, print};
use complaints_proto::v1::deadlines_client::DeadlinesClient;
use complaints_proto::v1::WatchAlertsRequest;

pub async fn run(url: &str, args: AlertsArgs, offset: chrono::FixedOffset) -> anyhow::Result<()> {
    let mut client = DeadlinesClient::new(connect::channel("deadline-watcher", url).await?);
    let mut stream = client
        .watch_alerts(WatchAlertsRequest {
            department: args.department.clone().unwrap_or_default(),
            from_start: !args.new,
        })
        .await
        .map_err(|s| connect::status("deadline-watcher", s))?
        .into_inner();
    eprintln!("watching deadline alerts (Ctrl-C to stop)");
    let mut seen = 0;
    while let Some(alert) = stream
        .message()
        .await
        .map_err(|s| connect::status("deadline-watcher", s))?
    {
        let case = print::case_of(alert.header.as_ref());
        let at = print::time(alert.header.as_ref().and_then(|h| h.at.as_ref()), offset);
        print::emit(&format!(
            "{at}  {case}  {}\n",
            complaints_proto::alert_summary(&alert, offset)
        ));
        seen += 1;
        if args.count.is_some_and(|n| seen >= n) {
            break;
        }
    }
    Ok(())
}
