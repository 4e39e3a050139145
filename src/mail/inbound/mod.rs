//! Incoming mail: the SMTP listener, the IMAP fetcher and the parser.

pub mod parse;
pub mod smtp;
// mail in: IMAP fetch
pub mod imap;
