//! The intake binary: everything is in the library.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    mesh_kit::service::main::<mesh_intake::Application>().await
}
