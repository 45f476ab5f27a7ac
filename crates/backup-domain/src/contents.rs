//! What a verified backup held, object by object, and which changes since the
//! previous backup an admin should look at: a backup with far fewer contacts
//! than the last one may mean records were deleted, and the older copy is the
//! one to keep.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The drop, in percent of an object's rows, that raises an alert unless the
/// admin chose another threshold.
pub const DEFAULT_DROP_ALERT_PERCENT: u8 = 10;

/// The records of one object (one CSV) in a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectCount {
    /// The object's name: `contacts` for `contacts.csv`.
    pub object: String,
    /// Records, header excluded.
    pub rows: u64,
    /// Uncompressed size of its CSV.
    pub bytes: u64,
}

/// An object whose rows dropped by at least the threshold, or that is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeAlert {
    pub object: String,
    /// Rows in the previous backup.
    pub before: u64,
    /// Rows in this backup; `None` when the object is missing from it.
    pub after: Option<u64>,
}

impl ChangeAlert {
    /// The drop in percent of `before`, rounded half up; 100 when the object
    /// is gone, 0 when it did not drop.
    pub fn drop_percent(&self) -> u32 {
        let Some(after) = self.after else {
            return 100;
        };
        if after >= self.before {
            return 0;
        }
        let (dropped, before) = (u128::from(self.before - after), u128::from(self.before));
        let rounded = (dropped * 200 + before) / (before * 2);
        u32::try_from(rounded).unwrap_or(100)
    }

    /// One line for an admin: `contacts: 10,234 → 7,102 (−31%)`, or
    /// `tickets: 8 → missing` for a gone object.
    pub fn describe(&self) -> String {
        let before = grouped(self.before);
        match self.after {
            None => format!("{}: {before} → missing", self.object),
            Some(after) => format!(
                "{}: {before} → {} (\u{2212}{}%)",
                self.object,
                grouped(after),
                self.drop_percent()
            ),
        }
    }
}

/// Whether `percent` is a usable drop-alert threshold: 1 to 100.
pub fn valid_threshold(percent: u8) -> bool {
    (1..=100).contains(&percent)
}

/// The alerts between the `previous` backup's counts and the `current` one's,
/// sorted by object name.
///
/// An object alerts when its rows dropped by at least `threshold_percent`
/// (exactly: `(before − after) × 100 ≥ threshold × before`), or when it had
/// rows before and is missing now. An object that had 0 rows and is missing is
/// no alert (an object with no records has no file); growth never is. A
/// threshold outside [`valid_threshold`] is clamped to 1..=100. An object
/// listed twice counts with the sum of its rows.
pub fn compare(
    previous: &[ObjectCount],
    current: &[ObjectCount],
    threshold_percent: u8,
) -> Vec<ChangeAlert> {
    let threshold = u128::from(threshold_percent.clamp(1, 100));
    let (previous, current) = (rows_by_object(previous), rows_by_object(current));
    previous
        .into_iter()
        .filter_map(|(object, before)| {
            let after = current.get(object).copied();
            let alert = match after {
                None => before > 0,
                Some(after) => {
                    after < before
                        && u128::from(before - after) * 100 >= threshold * u128::from(before)
                }
            };
            alert.then(|| ChangeAlert {
                object: object.to_owned(),
                before,
                after,
            })
        })
        .collect()
}

fn rows_by_object(counts: &[ObjectCount]) -> BTreeMap<&str, u64> {
    let mut rows = BTreeMap::new();
    for count in counts {
        let total: &mut u64 = rows.entry(count.object.as_str()).or_default();
        *total = total.saturating_add(count.rows);
    }
    rows
}

/// `10234` → `10,234`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(rows: &[(&str, u64)]) -> Vec<ObjectCount> {
        rows.iter()
            .map(|&(object, rows)| ObjectCount {
                object: object.into(),
                rows,
                bytes: rows * 100,
            })
            .collect()
    }

    fn alert(object: &str, before: u64, after: Option<u64>) -> ChangeAlert {
        ChangeAlert {
            object: object.into(),
            before,
            after,
        }
    }

    #[test]
    fn an_alert_reads_like_a_sentence_an_admin_can_act_on() {
        let dropped = alert("contacts", 10_234, Some(7_102));
        assert_eq!(
            dropped.drop_percent(),
            31,
            "3,132 of 10,234 is 30.6%, rounded"
        );
        assert_eq!(dropped.describe(), "contacts: 10,234 → 7,102 (−31%)");
        assert_eq!(alert("tickets", 8, None).describe(), "tickets: 8 → missing");
        assert_eq!(alert("tickets", 8, None).drop_percent(), 100);
        assert_eq!(
            alert("deals", 1_234_567, Some(0)).describe(),
            "deals: 1,234,567 → 0 (−100%)"
        );
    }

    #[test]
    fn drop_percent_rounds_half_up_and_never_goes_negative() {
        assert_eq!(
            alert("a", 200, Some(199)).drop_percent(),
            1,
            "0.5% rounds up"
        );
        assert_eq!(
            alert("a", 1000, Some(996)).drop_percent(),
            0,
            "0.4% rounds down"
        );
        assert_eq!(
            alert("a", 5, Some(9)).drop_percent(),
            0,
            "growth is no drop"
        );
        assert_eq!(
            alert("a", u64::MAX, Some(0)).drop_percent(),
            100,
            "no overflow"
        );
    }

    #[test]
    fn a_drop_of_exactly_the_threshold_alerts_and_just_less_does_not() {
        let previous = counts(&[("contacts", 1_000), ("deals", 1_000)]);
        let current = counts(&[("contacts", 900), ("deals", 901)]);
        assert_eq!(
            compare(&previous, &current, 10),
            [alert("contacts", 1_000, Some(900))],
            "10.0% reaches a 10% threshold; 9.9% does not"
        );
        let previous = counts(&[("contacts", 3)]);
        assert_eq!(
            compare(&previous, &counts(&[("contacts", 2)]), 34),
            Vec::new(),
            "one of three is 33.3%: below 34% when computed exactly, not rounded"
        );
        assert_eq!(compare(&previous, &counts(&[("contacts", 2)]), 33).len(), 1);
    }

    #[test]
    fn gone_objects_alert_unless_they_were_empty() {
        let previous = counts(&[("tickets", 8), ("notes", 0), ("contacts", 5)]);
        let current = counts(&[("contacts", 5)]);
        assert_eq!(
            compare(&previous, &current, DEFAULT_DROP_ALERT_PERCENT),
            [alert("tickets", 8, None)],
            "an object with no records has no file, so its absence means nothing"
        );
    }

    #[test]
    fn growth_and_new_objects_never_alert() {
        let previous = counts(&[("contacts", 100)]);
        let current = counts(&[("contacts", 5_000), ("deals", 7)]);
        assert!(
            compare(&previous, &current, 1).is_empty(),
            "more data is not a loss"
        );
        assert!(
            compare(&[], &current, 1).is_empty(),
            "a first backup has nothing to lose"
        );
    }

    #[test]
    fn a_threshold_of_100_alerts_only_when_everything_is_gone() {
        let previous = counts(&[("a", 10), ("b", 10), ("c", 10)]);
        let current = counts(&[("a", 0), ("b", 1)]);
        assert_eq!(
            compare(&previous, &current, 100),
            [alert("a", 10, Some(0)), alert("c", 10, None)],
            "a 90% drop is below 100%; emptied and missing objects are not"
        );
    }

    #[test]
    fn alerts_are_sorted_by_object_and_duplicates_are_summed() {
        let previous = counts(&[("zebra", 10), ("apple", 10), ("mango", 4), ("mango", 6)]);
        let current = counts(&[("mango", 10)]);
        let names: Vec<String> = compare(&previous, &current, 10)
            .into_iter()
            .map(|a| a.object)
            .collect();
        assert_eq!(names, ["apple", "zebra"], "sorted; mango kept its 10 rows");
    }

    #[test]
    fn thresholds_are_whole_percents_from_1_to_100() {
        assert!(valid_threshold(1) && valid_threshold(DEFAULT_DROP_ALERT_PERCENT));
        assert!(valid_threshold(100));
        assert!(
            !valid_threshold(0),
            "0% would alert on a single deleted record"
        );
        assert!(!valid_threshold(101), "a drop cannot exceed 100%");
        let previous = counts(&[("a", 1_000), ("b", 10)]);
        let current = counts(&[("a", 999), ("b", 0)]);
        assert_eq!(
            compare(&previous, &current, 0),
            [alert("b", 10, Some(0))],
            "0 is read as 1%: one deleted record in a thousand is no alert"
        );
        assert_eq!(
            compare(&previous, &current, 255),
            [alert("b", 10, Some(0))],
            "above 100 is read as 100%: an emptied object still alerts"
        );
    }
}
