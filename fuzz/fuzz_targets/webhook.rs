//! Webhook deliveries: any body through `Webhook::verify` of every version. Never a panic; a
//! verified delivery carries the secret, re-encodes and decodes again to an equal value, and
//! is what the unchecked decode reads; a decode error names a path.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lc_fuzz::check_webhook(data));
