use crate::cli::QueueArgs;
use crate::{connect, print};
use complaints_proto::v1::dispatch_client::DispatchClient;
use complaints_proto::v1::WatchQueueRequest;

pub async fn run(url: &str, args: QueueArgs, offset: chrono::FixedOffset) -> anyhow::Result<()> {
    let mut client = DispatchClient::new(connect::channel("dispatch", url).await?);
    let mut stream = client
        .watch_queue(WatchQueueRequest {
            department: args.department.clone(),
            from_start: !args.new,
        })
        .await
        .map_err(|s| connect::status("dispatch", s))?
        .into_inner();
    eprintln!("watching the queue of {} (Ctrl-C to stop)", args.department);
    let mut seen = 0;
    while let Some(order) = stream
        .message()
        .await
        .map_err(|s| connect::status("dispatch", s))?
    {
        print::emit(&print::order(&order, offset));
        seen += 1;
        if args.count.is_some_and(|n| seen >= n) {
            break;
        }
    }
    Ok(())
}
