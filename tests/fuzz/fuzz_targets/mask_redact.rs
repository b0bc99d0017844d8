//! intake's masking of personal data: `redact` of any text with any name,
//! phone and e-mail, and each mask on its own. Fields are separated by
//! 0xFF: text, name, phone, e-mail.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mesh_intake::mask::{mask_email, mask_name, mask_phone, redact};

fuzz_target!(|data: &[u8]| {
    let [text, name, phone, email] = mesh_fuzz::fields::<4>(data);
    let _ = redact(&text, &name, &phone, &email);
    for s in [&text, &name, &phone, &email] {
        let _ = mask_name(s);
        let _ = mask_phone(s);
        let _ = mask_email(s);
    }
});
