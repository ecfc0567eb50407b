//! Every type by name (`Api::decode_type`) and `AnyRequest`/`AnyResponse`/`AnyPush` by name, in
//! every version: the first two bytes choose (see `lc_fuzz::split_types_input`), the rest is
//! JSON. Whatever decodes re-encodes and decodes again to an equal value; a decode error names
//! a path.
#![no_main]

use lc_fuzz::{decode, json_dyn, roundtrip, split_types_input};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((api, kind, name, json)) = split_types_input(data) else {
        return;
    };
    let Ok(text) = std::str::from_utf8(json) else { return };
    let what = format!("{} `{name}` of v{}", kind.as_str(), api.version);
    if decode(api, kind, &name, text).is_none() {
        // Only a type name the version lacks gives `None`.
        assert!(!api.types.contains(&name.as_str()), "{what}: a listed type does not decode");
        return;
    }
    roundtrip(&what, text, |t| decode(api, kind, &name, t).expect("checked"), json_dyn);
});
