//! Reading work orders: one with its history, or a department's list.

use crate::cli::{CaseArg, OrdersArgs};
use crate::{connect, print};
use complaints_proto::v1::dispatch_client::DispatchClient;
use complaints_proto::v1::{GetOrderRequest, ListOrdersRequest};

pub async fn show(url: &str, args: CaseArg, offset: chrono::FixedOffset) -> anyhow::Result<()> {
    let mut client = DispatchClient::new(connect::channel("dispatch", url).await?);
    let order = client
        .get_order(GetOrderRequest {
            case_number: args.case_number,
        })
        .await
        .map_err(|s| connect::status("dispatch", s))?
        .into_inner();
    print::emit(&print::order_view(&order, offset));
    Ok(())
}

pub async fn list(url: &str, args: OrdersArgs, offset: chrono::FixedOffset) -> anyhow::Result<()> {
    let mut client = DispatchClient::new(connect::channel("dispatch", url).await?);
    let orders = client
        .list_orders(ListOrdersRequest {
            department: args.department,
            limit: 0,
            all: args.all,
        })
        .await
        .map_err(|s| connect::status("dispatch", s))?
        .into_inner()
        .orders;
    let mut out = String::new();
    for o in &orders {
        let w = o.order.clone().unwrap_or_default();
        let case = print::case_of(w.header.as_ref());
        let alert = if o.alert_stage.is_empty() {
            String::new()
        } else {
            format!(" {}", o.alert_stage.to_uppercase())
        };
        out += &format!(
            "{case}  {:<12} holder {:<14} due {}{alert}  {}\n",
            o.state,
            w.holder,
            print::time(w.due_at.as_ref(), offset),
            w.summary.chars().take(40).collect::<String>()
        );
    }
    if orders.is_empty() {
        out += "no work orders\n";
    }
    print::emit(&out);
    Ok(())
}
