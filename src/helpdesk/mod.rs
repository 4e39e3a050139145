//! The help desk: tickets, articles, contacts, and the operations on them. Every function
//! here is shared by the web pages, the JSON API, the control socket and the CLI (DESIGN
//! invariant 6).

pub mod autoreply;
pub mod ingest;
pub mod links;
pub mod model;
pub mod queues;
pub mod reply;
pub mod settings;
pub mod tickets;

pub use model::*;

/// The subject tag trygg puts on outgoing mail and recognises on incoming mail for ticket
/// `number`, e.g. `[#1001]`.
pub fn ticket_tag(number: u64) -> String {
    format!("[#{number}]")
}

/// Ticket numbers named by tags (`[#digits]`) in `subject`, in order of appearance.
pub fn tags_in_subject(subject: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let mut rest = subject;
    while let Some(i) = rest.find("[#") {
        rest = &rest[i + 2..];
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        if !digits.is_empty()
            && digits.len() <= 12
            && rest[digits.len()..].starts_with(']')
            && let Ok(n) = digits.parse()
        {
            out.push(n);
        }
    }
    out
}

/// `subject` without reply/forward prefixes and without trygg's own tag for `number`:
/// the ticket title.
pub fn ticket_title(subject: &str, number: Option<u64>) -> String {
    let mut s = crate::mail::inbound::parse::strip_reply_prefixes(subject).to_string();
    if let Some(n) = number {
        s = s.replace(&ticket_tag(n), "");
    }
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.is_empty() {
        "(no subject)".into()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_found_and_look_alikes_ignored() {
        assert_eq!(tags_in_subject("SV: [#1002] Skrivaren"), vec![1002]);
        assert_eq!(tags_in_subject("[#] [#12a] [# 3] #44 [#7]"), vec![7]);
        assert_eq!(tags_in_subject("[#1][#2]"), vec![1, 2]);
        assert!(tags_in_subject("[#99999999999999999999]").is_empty());
        assert_eq!(ticket_tag(1001), "[#1001]");
    }
}
