use clap::Parser;
use mesh_dispatch::{Application, Settings};
use mesh_kit::Shutdown;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::parse();
    let _telemetry = mesh_kit::telemetry::init("dispatch", settings.common.log_format)?;
    let shutdown = Shutdown::new();
    tokio::spawn(shutdown.clone().on_signal());
    let app = Application::build(settings).await?;
    app.run_until_stopped(shutdown).await
}
