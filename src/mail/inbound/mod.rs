//! Incoming mail: the SMTP listener and the parser.

pub mod parse;
pub mod smtp;
