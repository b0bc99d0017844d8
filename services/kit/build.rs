//! `sqlx::migrate!` embeds `migrations/` at compile time, but Cargo reruns
//! the macro only when a Rust source changes: a new migration alone would
//! leave the binary migrating to the old list. This is the build script
//! sqlx recommends (`sqlx migrate build-script`).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
