//! The network file loader (`mesh_kit::network::Network::parse`: TOML,
//! then the checks of codes, the tree and the regions), and the walks of
//! the tree every service does with a network it accepted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mesh_kit::network::Network;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(network) = Network::parse(text) else {
        return;
    };
    let centre = network.centre().code.clone();
    for d in network.departments() {
        let _ = network.parent(&d.code);
        let _ = network.is_within(&d.code, &centre);
        let _ = network.is_within(&centre, &d.code);
    }
    for r in network.regions() {
        let _ = network.department(&r.office);
    }
    let _ = mesh_reporting::report::subtree(&network, &centre);
});
