//! The deadline-watcher binary: everything is in the library.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    mesh_kit::service::main::<mesh_deadline_watcher::Application>().await
}
