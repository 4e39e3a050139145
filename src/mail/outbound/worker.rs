//! The outbound delivery worker: one manager task that takes due items from the durable
//! queue ([`super::queue`]), delivers them through the smarthost ([`super::delivery`]) with
//! bounded concurrency, and records each outcome in one store write.
//!
//! When it runs: at start (so mail queued before a restart goes out at once), whenever
//! [`App::outbound_wakeup`] is notified (a reply was committed), and when the earliest
//! queued item falls due (re-checked at least every [`MAX_IDLE`]).
//!
//! Outcomes, per item:
//! - accepted by the relay → removed from the queue; article `Delivery::Sent { reply }`;
//! - temporary failure (4yz reply, connect/DNS failure, timeout, STARTTLS required but not
//!   offered or failed, no smarthost configured) → `attempts + 1`, `last_error`, next try
//!   after an exponential back-off (base [`DEFAULT_RETRY_BASE_MS`] = 1 min, doubling,
//!   capped at [`MAX_BACKOFF_MS`] = 1 h); article `Delivery::Queued { attempts, last_error }`;
//! - permanent failure (5yz reply to MAIL/RCPT/DATA, RFC 5321 §4.2.1), or a temporary one
//!   after the item's `expires_ms` → removed; article `Delivery::Failed { reason }`.
//!
//! Delivery is at-least-once: if the process stops between the relay's acceptance and the
//! commit of the outcome, the message is sent again after the restart.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use super::delivery::{self, DeliveryOptions};
use super::queue::{self, OutboundItem};
use crate::app::App;
use crate::error::{Error, Result};
use crate::helpdesk::model::Delivery;
use crate::helpdesk::settings::{self, Relay, RelayTls};
use crate::store::codec::{be, be2};
use crate::store::{Reader, Table, WriteTx};

/// Environment variable: the first back-off step in milliseconds (default
/// [`DEFAULT_RETRY_BASE_MS`], i.e. 60000 = 1 minute; then 2, 4, 8 … times that, capped at
/// [`MAX_BACKOFF_MS`] or the base itself if larger). Tests set it low (e.g. `500`) so
/// retries happen within seconds; values below 100 are raised to 100.
pub const RETRY_BASE_ENV: &str = "TRYGG_OUTBOUND_RETRY_BASE_MS";
/// Default first back-off step: 1 minute, in milliseconds.
pub const DEFAULT_RETRY_BASE_MS: i64 = 60_000;
/// Longest back-off step: 1 hour, in milliseconds.
pub const MAX_BACKOFF_MS: i64 = 3_600_000;
/// Items taken per round.
pub const BATCH: usize = 16;
/// Deliveries in flight at once.
pub const CONCURRENCY: usize = 4;
/// Longest sleep without re-checking the queue.
pub const MAX_IDLE: Duration = Duration::from_secs(60);
/// Shortest sleep between rounds that found nothing due.
const MIN_PAUSE: Duration = Duration::from_millis(100);
/// Pause after a store error before trying again.
const STORE_ERROR_PAUSE: Duration = Duration::from_secs(5);

/// Error recorded while no smarthost is configured (the mail stays queued).
pub const NO_RELAY: &str = "no smarthost configured";

/// Delivers queued mail until the task is dropped. Never returns on a delivery or store
/// error: those are logged (and recorded on the item), and the loop goes on.
pub async fn run(app: Arc<App>) -> Result<()> {
    let base = retry_base_ms();
    tracing::debug!(retry_base_ms = base, "outbound worker started");
    loop {
        let now = app.now_ms();
        let due = blocking(&app, move |a| a.store.read(|r| queue::due(r, now, BATCH))).await;
        let pause = match due {
            Ok(items) if !items.is_empty() => {
                if process_batch(&app, items, base).await {
                    continue; // more may be due right away
                }
                STORE_ERROR_PAUSE
            }
            Ok(_) => match blocking(&app, |a| a.store.read(queue::next_due_ms)).await {
                Ok(Some(at)) => {
                    let ms = (at - app.now_ms()).clamp(0, MAX_IDLE.as_millis() as i64);
                    Duration::from_millis(ms as u64)
                }
                Ok(None) => MAX_IDLE,
                Err(e) => {
                    tracing::error!("outbound queue: cannot read the next due time: {e}");
                    STORE_ERROR_PAUSE
                }
            },
            Err(e) => {
                tracing::error!("outbound queue: cannot read due items: {e}");
                STORE_ERROR_PAUSE
            }
        };
        // Never spin: an item that fell due meanwhile is taken after this short floor.
        let pause = pause.max(MIN_PAUSE);
        tokio::select! {
            _ = app.outbound_wakeup.notified() => {}
            _ = tokio::time::sleep(pause) => {}
        }
    }
}

/// The first back-off step from [`RETRY_BASE_ENV`], or the default.
fn retry_base_ms() -> i64 {
    match std::env::var(RETRY_BASE_ENV) {
        Err(_) => DEFAULT_RETRY_BASE_MS,
        Ok(v) => match v.trim().parse::<i64>() {
            Ok(ms) => ms.max(100),
            Err(_) => {
                tracing::warn!(
                    "{RETRY_BASE_ENV}={v:?} is not a number of milliseconds; using {DEFAULT_RETRY_BASE_MS}"
                );
                DEFAULT_RETRY_BASE_MS
            }
        },
    }
}

/// Delay before the next try after `attempts` failed ones (1 → base, 2 → 2·base, …),
/// capped at [`MAX_BACKOFF_MS`] (or `base` when that is larger). Milliseconds.
pub fn backoff_ms(base: i64, attempts: u32) -> i64 {
    let cap = MAX_BACKOFF_MS.max(base);
    let shift = attempts.saturating_sub(1).min(40);
    base.saturating_mul(1i64 << shift).min(cap)
}

/// What one attempt came to.
#[derive(Debug, Clone)]
enum Outcome {
    Sent(String),
    Temporary(String),
    Permanent(String),
}

/// Delivers `items` (at most [`CONCURRENCY`] at once) and records each outcome. Returns
/// `false` when a store error happened (the caller pauses).
async fn process_batch(app: &Arc<App>, items: Vec<OutboundItem>, base: i64) -> bool {
    let relay = match blocking(app, |a| a.store.read(settings::load)).await {
        Ok(s) => s.and_then(|s| s.relay),
        Err(e) => {
            tracing::error!("outbound: cannot read settings: {e}");
            return false;
        }
    };
    let opts: std::result::Result<Arc<DeliveryOptions>, String> = match &relay {
        // With TLS off, a broken extra CA file must not hold the mail back.
        Some(r) => match delivery::relay_tls_config() {
            Ok(tls) => Ok(Arc::new(DeliveryOptions::new(tls))),
            Err(_) if r.tls == RelayTls::None => {
                Ok(Arc::new(DeliveryOptions::new(delivery::empty_tls_config())))
            }
            Err(e) => Err(e),
        },
        None => Err(NO_RELAY.to_string()),
    };
    let relay = relay.map(Arc::new);
    let mut ok = true;
    let mut pending = items.into_iter();
    let mut running: JoinSet<bool> = JoinSet::new();
    loop {
        while running.len() < CONCURRENCY {
            let Some(item) = pending.next() else { break };
            let app = app.clone();
            let relay = relay.clone();
            let opts = opts.clone();
            running.spawn(async move { attempt(&app, item, relay, opts, base).await });
        }
        match running.join_next().await {
            Some(Ok(true)) => {}
            Some(Ok(false)) => ok = false,
            Some(Err(e)) => {
                tracing::error!("outbound: delivery task failed: {e}");
                ok = false;
            }
            None => break,
        }
    }
    ok
}

/// One item: load its bytes, deliver, record. Returns `false` on a store error.
async fn attempt(
    app: &Arc<App>,
    item: OutboundItem,
    relay: Option<Arc<Relay>>,
    opts: std::result::Result<Arc<DeliveryOptions>, String>,
    base: i64,
) -> bool {
    let sha = item.raw_sha256.clone();
    let raw = match blocking(app, move |a| {
        a.store.read(|r| crate::helpdesk::ingest::get_blob(r, &sha))
    })
    .await
    {
        Ok(raw) => raw,
        Err(e) => {
            tracing::error!(item = item.id, "outbound: cannot read the message: {e}");
            return false;
        }
    };
    let outcome = match (raw, relay, opts) {
        (None, _, _) => Outcome::Permanent(format!(
            "the message content ({}) is missing from the store",
            item.raw_sha256
        )),
        (Some(_), None, _) => Outcome::Temporary(NO_RELAY.to_string()),
        (Some(_), Some(_), Err(e)) => Outcome::Temporary(e),
        (Some(raw), Some(relay), Ok(opts)) => {
            match delivery::deliver(&relay, &item.mail_from, &item.rcpt_to, &raw, &opts).await {
                Ok(reply) => Outcome::Sent(reply),
                Err(e) if e.permanent => Outcome::Permanent(e.message),
                Err(e) => Outcome::Temporary(e.message),
            }
        }
    };
    match &outcome {
        Outcome::Sent(reply) => tracing::info!(
            item = item.id, ticket = item.ticket, article = item.article, %reply, "outbound mail sent"
        ),
        Outcome::Temporary(e) => tracing::warn!(
            item = item.id, ticket = item.ticket, attempts = item.attempts + 1, error = %e,
            "outbound delivery deferred"
        ),
        Outcome::Permanent(e) => tracing::warn!(
            item = item.id, ticket = item.ticket, error = %e, "outbound delivery failed"
        ),
    }
    let id = item.id;
    match blocking(app, move |a| {
        let now = a.now_ms();
        a.store
            .write(now, |tx| record(tx, &item, &outcome, now, base))
    })
    .await
    {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(
                item = id,
                "outbound: cannot record the delivery result: {e}"
            );
            false
        }
    }
}

/// Records `outcome` for `item` in the caller's (single) transaction: the queue entry and
/// the article's delivery state change together.
fn record(
    tx: &mut WriteTx,
    item: &OutboundItem,
    outcome: &Outcome,
    now: i64,
    base: i64,
) -> Result<()> {
    // The queue is the truth: if the item is gone (handled elsewhere), change nothing.
    let Some(current) = tx.get_rec::<OutboundItem>(Table::Outbound, &be(item.id))? else {
        return Ok(());
    };
    let attempts = current.attempts.saturating_add(1);
    let delivery = match outcome {
        Outcome::Sent(reply) => {
            queue::remove(tx, &current)?;
            Delivery::Sent {
                at_ms: now,
                reply: reply.clone(),
            }
        }
        Outcome::Temporary(e) if now < current.expires_ms => {
            let mut next = current.clone();
            next.attempts = attempts;
            next.last_error = Some(e.clone());
            next.next_attempt_ms = now + backoff_ms(base, attempts);
            queue::reschedule(tx, &next, current.next_attempt_ms)?;
            Delivery::Queued {
                attempts,
                last_error: Some(e.clone()),
            }
        }
        Outcome::Temporary(e) => {
            queue::remove(tx, &current)?;
            Delivery::Failed {
                at_ms: now,
                reason: format!("gave up after {attempts} attempts: {e}"),
            }
        }
        Outcome::Permanent(e) => {
            queue::remove(tx, &current)?;
            Delivery::Failed {
                at_ms: now,
                reason: e.clone(),
            }
        }
    };
    set_article_delivery(tx, current.ticket, current.article, delivery)
}

/// Updates the outgoing article's delivery state (skipped if the article was erased).
fn set_article_delivery(tx: &mut WriteTx, ticket: u64, article: u64, d: Delivery) -> Result<()> {
    let key = be2(ticket, article);
    let Some(mut a) = tx.get_rec::<crate::helpdesk::model::Article>(Table::Articles, &key)? else {
        return Ok(());
    };
    a.delivery = Some(d);
    tx.put_rec(Table::Articles, &key, &a)
}

/// Runs blocking store work off the async threads.
async fn blocking<T: Send + 'static>(
    app: &Arc<App>,
    f: impl FnOnce(&App) -> Result<T> + Send + 'static,
) -> Result<T> {
    let app = app.clone();
    tokio::task::spawn_blocking(move || f(&app))
        .await
        .map_err(|e| Error::internal(format!("blocking task failed: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::FixedClock;
    use crate::helpdesk::model::*;
    use crate::helpdesk::settings::Settings;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff_ms(60_000, 1), 60_000);
        assert_eq!(backoff_ms(60_000, 2), 120_000);
        assert_eq!(backoff_ms(60_000, 3), 240_000);
        assert_eq!(backoff_ms(60_000, 7), MAX_BACKOFF_MS);
        assert_eq!(backoff_ms(60_000, 1000), MAX_BACKOFF_MS);
        assert_eq!(backoff_ms(500, 2), 1000);
    }

    fn article(ticket: u64, id: u64) -> Article {
        Article {
            id,
            ticket,
            direction: Direction::Out,
            message_id: format!("{id}@t.test"),
            from: MailAddress {
                name: None,
                address: "support@t.test".into(),
            },
            reply_to: None,
            to: vec![],
            cc: vec![],
            subject: "s".into(),
            text: "t".into(),
            html: None,
            attachments: vec![],
            raw_sha256: None,
            created_ms: 0,
            date: None,
            in_reply_to: vec![],
            references: vec![],
            flags: ParseFlags::default(),
            author: None,
            delivery: Some(Delivery::Queued {
                attempts: 0,
                last_error: None,
            }),
        }
    }

    fn item(id: u64, due: i64, expires: i64) -> OutboundItem {
        OutboundItem {
            id,
            ticket: 1001,
            article: id,
            mail_from: "support@t.test".into(),
            rcpt_to: vec!["c@x.test".into()],
            raw_sha256: "00".into(),
            attempts: 0,
            next_attempt_ms: due,
            created_ms: due,
            expires_ms: expires,
            last_error: None,
        }
    }

    fn setup() -> (tempfile::TempDir, Arc<App>) {
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(dir.path(), Arc::new(FixedClock::at(1_000_000))).unwrap();
        (dir, app)
    }

    fn seed(app: &App, it: &OutboundItem) {
        app.store
            .write(0, |tx| {
                tx.put_rec(
                    Table::Articles,
                    &be2(it.ticket, it.article),
                    &article(it.ticket, it.article),
                )?;
                queue::enqueue(tx, it)
            })
            .unwrap();
    }

    fn delivery_of(app: &App, it: &OutboundItem) -> Delivery {
        app.store
            .read(|r| crate::helpdesk::tickets::article(r, it.ticket, it.article))
            .unwrap()
            .delivery
            .unwrap()
    }

    #[test]
    fn outcomes_update_queue_and_article_in_one_write() {
        let (_d, app) = setup();
        let now = 1_000_000;
        // Temporary: rescheduled with back-off.
        let a = item(1, now, now + 10_000_000);
        seed(&app, &a);
        app.store
            .write(now, |tx| {
                record(tx, &a, &Outcome::Temporary("451 busy".into()), now, 1000)
            })
            .unwrap();
        let q = app.store.read(queue::all).unwrap();
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].attempts, 1);
        assert_eq!(q[0].next_attempt_ms, now + 1000);
        assert_eq!(q[0].last_error.as_deref(), Some("451 busy"));
        assert_eq!(
            app.store.read(queue::next_due_ms).unwrap(),
            Some(now + 1000)
        );
        assert!(
            app.store
                .read(|r| queue::due(r, now, 10))
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            delivery_of(&app, &a),
            Delivery::Queued {
                attempts: 1,
                last_error: Some("451 busy".into())
            }
        );
        // Second temporary failure doubles the delay.
        app.store
            .write(now, |tx| {
                record(tx, &a, &Outcome::Temporary("again".into()), now, 1000)
            })
            .unwrap();
        let q = app.store.read(queue::all).unwrap();
        assert_eq!((q[0].attempts, q[0].next_attempt_ms), (2, now + 2000));
        // Sent: removed.
        app.store
            .write(now, |tx| {
                record(tx, &a, &Outcome::Sent("250 ok".into()), now, 1000)
            })
            .unwrap();
        assert!(app.store.read(queue::all).unwrap().is_empty());
        assert_eq!(app.store.read(queue::next_due_ms).unwrap(), None);
        assert!(matches!(delivery_of(&app, &a), Delivery::Sent { reply, .. } if reply == "250 ok"));

        // Temporary after expiry: failed.
        let b = item(2, now, now - 1);
        seed(&app, &b);
        app.store
            .write(now, |tx| {
                record(tx, &b, &Outcome::Temporary("down".into()), now, 1000)
            })
            .unwrap();
        assert!(app.store.read(queue::all).unwrap().is_empty());
        assert!(
            matches!(delivery_of(&app, &b), Delivery::Failed { reason, .. } if reason.contains("down"))
        );

        // Permanent: failed.
        let c = item(3, now, now + 10_000_000);
        seed(&app, &c);
        app.store
            .write(now, |tx| {
                record(tx, &c, &Outcome::Permanent("550 no".into()), now, 1000)
            })
            .unwrap();
        assert!(app.store.read(queue::all).unwrap().is_empty());
        assert!(
            matches!(delivery_of(&app, &c), Delivery::Failed { reason, .. } if reason == "550 no")
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn without_relay_mail_stays_queued_with_an_error() {
        let (_d, app) = setup();
        let now = app.now_ms();
        app.store
            .write(0, |tx| {
                settings::save(
                    tx,
                    &Settings {
                        org_name: "X".into(),
                        mailboxes: vec!["support@t.test".into()],
                        relay: None,
                        secret_hex: "00".repeat(32),
                        setup_ms: 0,
                    },
                )?;
                let raw = b"Subject: x\r\n\r\nhi\r\n";
                let sha = crate::helpdesk::ingest::put_blob(tx, raw)?;
                let mut it = item(7, now, now + 10_000_000);
                it.raw_sha256 = sha;
                tx.put_rec(
                    Table::Articles,
                    &be2(it.ticket, it.article),
                    &article(it.ticket, it.article),
                )?;
                queue::enqueue(tx, &it)
            })
            .unwrap();
        assert!(
            process_batch(
                &app,
                app.store.read(|r| queue::due(r, now, 16)).unwrap(),
                1000
            )
            .await
        );
        let q = app.store.read(queue::all).unwrap();
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].last_error.as_deref(), Some(NO_RELAY));
        assert_eq!(q[0].next_attempt_ms, now + 1000);
    }
}
