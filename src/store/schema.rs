//! Table definitions. Every logical table maps bytes to bytes; typed values are encoded by
//! [`super::codec`]. A table's numeric id is what the change log records, so ids are never
//! reused or renumbered.

use redb::TableDefinition;

/// A replicated table of the store. The change log names tables by [`Table::id`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// `&str key → value`: schema version, counters.
    Meta,
    /// `&str key → value`: runtime settings changed by admins (organisation, mailboxes, relay).
    Settings,
    /// `ticket number (u64 BE) → Ticket`.
    Tickets,
    /// `ticket number (u64 BE) ++ article id (u64 BE) → Article`.
    Articles,
    /// `Message-ID (bytes, without <>) → MessageRef`: threading and de-duplication.
    MessageIds,
    /// `sha256 (32 bytes) → content`: raw messages and attachments, stored once.
    Blobs,
    /// `lower-case e-mail address → Contact` (customers).
    Contacts,
    /// `lower-case e-mail address → User` (agents and admins).
    Users,
    /// `item id (u64 BE) → OutboundItem`: the durable outbound mail queue.
    Outbound,
    /// `due time ms (u64 BE) ++ item id (u64 BE) → ()`: the queue's timer index.
    OutboundDue,
    // access (ids 20–29)
    /// `role name → RoleDef`: named sets of permissions.
    Roles,
    /// `queue id → Queue`: functions (e.g. "hr") that tickets belong to.
    Queues,
    /// `seq (u64 BE) → AuditRecord`: the append-only, hash-chained audit log.
    Audit,
    // gdpr
    /// `lower-case contact address ++ 0 ++ consent id (u64 BE) → Consent` (GDPR Art. 7).
    Consents,
    // login-security
    /// `lower-case e-mail address → UserSecurity`: password history and age, TOTP secret,
    /// recovery-code hashes, directory link (see `auth::policy`).
    LoginSecurity,
    // mail rules (ids 15–19)
    /// `day (u64 BE, Unix days) ++ lower-case address → u32`: automatic mails sent to an
    /// address that day (RFC 3834 rate limit).
    AutoReplyCounts,
    /// `ticket (u64 BE) ++ other ticket (u64 BE) → TicketLink`.
    TicketLinks,
    /// `ticket (u64 BE) ++ article id (u64 BE) → ArticleMail`: which of our mailboxes an
    /// incoming article reached, and its content fingerprint.
    ArticleMail,
    // mail in (IMAP fetch, quarantine): ids 11–14
    /// `account id (u64 BE) → ImapAccount`: mailboxes fetched over IMAP.
    ImapAccounts,
    /// `account id (u64 BE) → ImapState`: UIDVALIDITY/UID checkpoint and reconciled counts.
    ImapState,
    /// `item id (u64 BE) → QuarantineItem`: mail held back (too large, unprocessable).
    Quarantine,
    /// `item id (u64 BE) → raw message bytes` of a quarantined mail.
    QuarantineRaw,
}

impl Table {
    /// Every replicated table, in id order.
    pub const ALL: [Table; 22] = [
        Table::Meta,
        Table::Settings,
        Table::Tickets,
        Table::Articles,
        Table::MessageIds,
        Table::Blobs,
        Table::Contacts,
        Table::Users,
        Table::Outbound,
        Table::OutboundDue,
        // mail rules
        Table::AutoReplyCounts,
        Table::TicketLinks,
        Table::ArticleMail,
        // gdpr
        Table::Consents,
        // login-security
        Table::LoginSecurity,
        // mail in
        Table::ImapAccounts,
        Table::ImapState,
        Table::Quarantine,
        Table::QuarantineRaw,
        // access
        Table::Roles,
        Table::Queues,
        Table::Audit,
    ];

    /// Stable numeric id used in change-log records.
    pub fn id(self) -> u8 {
        match self {
            Table::Meta => 1,
            Table::Settings => 2,
            Table::Tickets => 3,
            Table::Articles => 4,
            Table::MessageIds => 5,
            Table::Blobs => 6,
            Table::Contacts => 7,
            Table::Users => 8,
            Table::Outbound => 9,
            Table::OutboundDue => 10,
            // gdpr: ids 45–49
            Table::Consents => 45,
            // mail rules
            Table::AutoReplyCounts => 15,
            Table::TicketLinks => 16,
            Table::ArticleMail => 17,
            // mail in
            Table::ImapAccounts => 11,
            Table::ImapState => 12,
            Table::Quarantine => 13,
            Table::QuarantineRaw => 14,
            // access
            Table::Roles => 20,
            Table::Queues => 21,
            Table::Audit => 22,
            // login-security: ids 30–34
            Table::LoginSecurity => 30,
        }
    }

    /// The table with change-log id `id`, if any.
    pub fn from_id(id: u8) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.id() == id)
    }

    /// redb table name.
    pub fn name(self) -> &'static str {
        match self {
            Table::Meta => "meta",
            Table::Settings => "settings",
            Table::Tickets => "tickets",
            Table::Articles => "articles",
            Table::MessageIds => "message_ids",
            Table::Blobs => "blobs",
            Table::Contacts => "contacts",
            Table::Users => "users",
            Table::Outbound => "outbound",
            Table::OutboundDue => "outbound_due",
            Table::Consents => "consents",
            // mail rules
            Table::AutoReplyCounts => "auto_reply_counts",
            Table::TicketLinks => "ticket_links",
            Table::ArticleMail => "article_mail",
            // mail in
            Table::ImapAccounts => "imap_accounts",
            Table::ImapState => "imap_state",
            Table::Quarantine => "quarantine",
            Table::QuarantineRaw => "quarantine_raw",
            // access
            Table::Roles => "roles",
            Table::Queues => "queues",
            Table::Audit => "audit",
            Table::LoginSecurity => "login_security", // login-security
        }
    }

    pub(crate) fn def(self) -> TableDefinition<'static, &'static [u8], &'static [u8]> {
        TableDefinition::new(self.name())
    }
}

/// `seq → encoded ChangeRecord`. Not itself logged.
pub(crate) const CHANGELOG: TableDefinition<u64, &[u8]> = TableDefinition::new("changelog");
/// Internal bookkeeping of the log (`"head"` → last sequence number). Not logged.
pub(crate) const LOG_STATE: TableDefinition<&str, u64> = TableDefinition::new("changelog_state");
/// Keys written by erasure transactions whose earlier after-images still have to be
/// scrubbed from the change log: `table id ++ key → seq of the erasing record`. Not logged,
/// not replicated (see [`super::Store::purge_erased`]).
pub(crate) const ERASED: TableDefinition<&[u8], u64> = TableDefinition::new("erased_pending");
