//! RTM frames: the envelope (`lc_types::Frame`), then the payload by action and version
//! (`AnyRequest`, `AnyResponse`, `AnyPush`, the error envelope). Whatever decodes re-encodes
//! and decodes again to an equal value; a decode error names a path.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    match std::str::from_utf8(data) {
        Ok(text) => lc_fuzz::check_frame(text),
        Err(_) => {
            if let Err(e) = lc_types::from_slice::<lc_types::Frame>(data) {
                assert!(!e.path().is_empty(), "a decode error without a path: {e:?}");
            }
        }
    }
});
