//! Pure rules shared by browser and server: no I/O. Unit-tested at the bottom of each file.

pub mod permissions;
pub mod status;
pub mod validation;
