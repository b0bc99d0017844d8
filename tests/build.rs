//! The schema test embeds intake's and reporting's migrations with
//! `sqlx::migrate!`; rebuild it when either directory changes (see the
//! services' build scripts).
fn main() {
    println!("cargo:rerun-if-changed=../services/intake/migrations");
    println!("cargo:rerun-if-changed=../services/reporting/migrations");
}
