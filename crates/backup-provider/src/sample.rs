//! A realistic sample of an account's CRM data, seeded when an account is
//! created, so archives are made from real rows in the provider's database.
//!
//! Objects follow what SaaS CRMs export (one CSV per object); `calls` is
//! deliberately left empty so the "no file for an empty object" rule shows,
//! and some ticket subjects span two lines (a quoted line break), so a
//! client that counts lines instead of CSV records gets it wrong.
//!
//! Between backups the account lives on: [`activity`] says how many
//! contacts, deals and tasks appear before each archive is made.

use rusqlite::{Transaction, params};

use crate::error::ProviderError;

/// Every object a backup can contain, with its CSV header.
pub const OBJECTS: &[(&str, &str)] = &[
    ("calls", "id,contact_id,started_at,duration_seconds,outcome"),
    ("companies", "id,name,domain,industry,employees,country"),
    (
        "contacts",
        "id,first_name,last_name,email,phone,company_id,created_at",
    ),
    (
        "deals",
        "id,name,company_id,stage,amount_cents,currency,close_date",
    ),
    ("products", "id,sku,name,unit_price_cents,currency,active"),
    ("tasks", "id,subject,owner_email,due_date,status"),
    ("tickets", "id,subject,contact_id,priority,status,opened_at"),
];

const FIRST: &[&str] = &[
    "Ana", "Bruno", "Carla", "Diego", "Elisa", "Fábio", "Gabriela", "Hugo", "Isabel", "João",
];
const LAST: &[&str] = &[
    "Silva", "Souza", "Oliveira", "Pereira", "Lima", "Costa", "Ferreira", "Almeida",
];
const INDUSTRY: &[&str] = &[
    "Manufacturing",
    "Healthcare",
    "Retail",
    "Logistics",
    "Software",
    "Education",
];
const STAGE: &[&str] = &[
    "qualification",
    "proposal",
    "negotiation",
    "closed_won",
    "closed_lost",
];

/// The header of `object`, or an error naming the objects that exist.
pub fn object_header(object: &str) -> Result<&'static str, ProviderError> {
    OBJECTS
        .iter()
        .find(|(name, _)| *name == object)
        .map(|(_, header)| *header)
        .ok_or_else(|| {
            let known: Vec<&str> = OBJECTS.iter().map(|(name, _)| *name).collect();
            ProviderError::Invalid(format!(
                "{object:?} is not an object: use one of {}",
                known.join(", ")
            ))
        })
}

/// A tiny deterministic generator: the same account always gets the same sample.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// Quotes a CSV field when needed (RFC 4180).
pub fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// One generated contact row (also used to pad large archives).
pub fn contact_row(i: usize, rng_seed: u64) -> String {
    let mut rng = Lcg(rng_seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let first = FIRST[rng.next(FIRST.len())];
    let last = LAST[rng.next(LAST.len())];
    format!(
        "c{i},{first},{last},{}.{}{i}@example.com,+55 11 9{:04}-{:04},co{},2025-{:02}-{:02}T10:00:00Z",
        first.to_lowercase(),
        last.to_lowercase(),
        rng.next(10_000),
        rng.next(10_000),
        rng.next(12) + 1,
        rng.next(12) + 1,
        rng.next(28) + 1
    )
}

/// The seed of an account's generated rows (FNV-1a of its id).
fn account_seed(account_id: &str) -> u64 {
    account_id.bytes().fold(1469598103934665603u64, |h, b| {
        (h ^ b as u64).wrapping_mul(1099511628211)
    })
}

fn deal_row(i: usize, name: &str, rng: &mut Lcg) -> String {
    format!(
        "d{i},{name} {i},co{},{},{},BRL,2026-{:02}-15",
        rng.next(12) + 1,
        STAGE[rng.next(STAGE.len())],
        100_000 + rng.next(5_000_000),
        rng.next(12) + 1
    )
}

fn task_row(i: usize, subject: &str, account_id: &str, rng: &mut Lcg) -> String {
    format!(
        "t{i},{},owner@{account_id}.example.com,2026-02-{:02},open",
        csv_field(&format!("{subject} {i}")),
        rng.next(28) + 1
    )
}

/// How many rows of each object appear in an account before its
/// `completed`-th archive is made (0 for the first): 1 to 6 each, never the
/// same count twice in a row, so consecutive archives differ.
pub fn activity(completed: u64) -> [(&'static str, usize); 3] {
    let count = |shift: u64| 1 + ((completed + shift) % 6) as usize;
    [
        ("contacts", count(2)),
        ("deals", count(4)),
        ("tasks", count(0)),
    ]
}

/// A row of `object` made by the account's activity; `seq` is its unused
/// position, which also names it (`c120`), so ids are never reused.
/// `None` for objects that see no activity.
pub fn activity_row(account_id: &str, object: &str, seq: u64) -> Option<String> {
    let i = seq as usize;
    let mut rng = Lcg(account_seed(account_id) ^ seq.wrapping_mul(0xA24B_AED4_963E_E407));
    match object {
        "contacts" => Some(contact_row(i, account_seed(account_id))),
        "deals" => Some(deal_row(i, "New business", &mut rng)),
        "tasks" => Some(task_row(i, "Call back, lead", account_id, &mut rng)),
        _ => None,
    }
}

/// Seeds the sample rows of `account_id` inside `tx`.
pub fn seed(tx: &Transaction<'_>, account_id: &str) -> rusqlite::Result<()> {
    let seed = account_seed(account_id);
    let mut rng = Lcg(seed);
    let mut rows: Vec<(&str, String)> = Vec::new();
    for i in 1..=12 {
        rows.push((
            "companies",
            format!(
                "co{i},{},{}.example.com,{},{},BR",
                csv_field(&format!(
                    "{} {} Ltda",
                    LAST[rng.next(LAST.len())],
                    INDUSTRY[i % INDUSTRY.len()]
                )),
                account_id,
                INDUSTRY[rng.next(INDUSTRY.len())],
                10 + rng.next(5000)
            ),
        ));
    }
    for i in 1..=40 {
        rows.push(("contacts", contact_row(i, seed)));
    }
    for i in 1..=15 {
        rows.push(("deals", deal_row(i, "Renewal", &mut rng)));
    }
    for i in 1..=6 {
        rows.push((
            "products",
            format!("p{i},SKU-{:04},Plan {i},{},BRL,true", i * 7, 9_900 * i),
        ));
    }
    for i in 1..=10 {
        rows.push((
            "tasks",
            task_row(i, "Follow up, call", account_id, &mut rng),
        ));
    }
    for i in 1..=8 {
        // Every third subject is two lines, as pasted from an e-mail.
        let subject = if i % 3 == 0 {
            format!("Export of report {i} fails with \"timeout\"\nsince the last update")
        } else {
            format!("Cannot export report {i}")
        };
        rows.push((
            "tickets",
            format!(
                "tk{i},{},c{},{},open,2026-01-{:02}T09:00:00Z",
                csv_field(&subject),
                rng.next(40) + 1,
                ["low", "normal", "high"][rng.next(3)],
                rng.next(28) + 1
            ),
        ));
    }
    let mut stmt = tx.prepare("INSERT INTO crm_records VALUES (?1, ?2, ?3, ?4)")?;
    for (seq, (object, fields)) in rows.iter().enumerate() {
        stmt.execute(params![account_id, object, seq as i64, fields])?;
    }
    Ok(())
}
