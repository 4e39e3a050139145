//! Mail in (SMTP listener, parsing) and mail out (compose, queue, delivery).

pub mod inbound;
pub mod outbound;
// mail rules
pub mod rules;
