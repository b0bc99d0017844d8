use clap::Parser;
use mesh_kit::Shutdown;
use mesh_triage::{Application, Settings};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::parse();
    let _telemetry = mesh_kit::telemetry::init("triage", settings.common.log_format)?;
    let shutdown = Shutdown::new();
    tokio::spawn(shutdown.clone().on_signal());
    let app = Application::build(settings).await?;
    app.run_until_stopped(shutdown).await
}
