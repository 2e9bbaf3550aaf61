//! Pure rules shared by browser and server: no I/O. Unit-tested beside each file.

pub mod duration;
pub mod external_rules;
pub mod labels;
pub mod permissions;
pub mod reason_words;
pub mod sign_in;
pub mod spec_diff;
pub mod status;
pub mod target_keys;
pub mod validation;
