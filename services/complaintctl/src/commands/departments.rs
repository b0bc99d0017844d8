use crate::connect;
use complaints_proto::v1::dispatch_client::DispatchClient;
use complaints_proto::v1::{Department, ListDepartmentsRequest};

pub async fn run(url: &str) -> anyhow::Result<()> {
    let mut client = DispatchClient::new(connect::channel("dispatch", url).await?);
    let departments = client
        .list_departments(ListDepartmentsRequest {})
        .await
        .map_err(|s| connect::status("dispatch", s))?
        .into_inner()
        .departments;
    fn walk(all: &[Department], parent: &str, depth: usize, out: &mut String) {
        for d in all.iter().filter(|d| d.parent == parent) {
            out.push_str(&format!(
                "{}{:<24} tier {}  {}\n",
                "  ".repeat(depth),
                d.code,
                d.tier,
                d.name
            ));
            walk(all, &d.code, depth + 1, out);
        }
    }
    let mut out = String::new();
    walk(&departments, "", 0, &mut out);
    crate::print::emit(&out);
    Ok(())
}
