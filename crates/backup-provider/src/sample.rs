//! A realistic sample of an account's CRM data, seeded when an account is
//! created, so archives are made from real rows in the provider's database.
//!
//! Objects follow what SaaS CRMs export (one CSV per object); `calls` is
//! deliberately left empty so the "no file for an empty object" rule shows.

use rusqlite::{Transaction, params};

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

/// Seeds the sample rows of `account_id` inside `tx`.
pub fn seed(tx: &Transaction<'_>, account_id: &str) -> rusqlite::Result<()> {
    let seed = account_id.bytes().fold(1469598103934665603u64, |h, b| {
        (h ^ b as u64).wrapping_mul(1099511628211)
    });
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
        rows.push((
            "deals",
            format!(
                "d{i},Renewal {i},co{},{},{},BRL,2026-{:02}-15",
                rng.next(12) + 1,
                STAGE[rng.next(STAGE.len())],
                100_000 + rng.next(5_000_000),
                rng.next(12) + 1
            ),
        ));
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
            format!(
                "t{i},\"Follow up, call {i}\",owner@{account_id}.example.com,2026-02-{:02},open",
                rng.next(28) + 1
            ),
        ));
    }
    for i in 1..=8 {
        rows.push((
            "tickets",
            format!(
                "tk{i},Cannot export report {i},c{},{},open,2026-01-{:02}T09:00:00Z",
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
