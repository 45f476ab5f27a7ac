//! The provider's clock. Real time, plus an offset that tests and demos may
//! move forward — only when the data dir was created with `--movable-clock`
//! (off by default), so a production provider's time cannot be tampered with.

use chrono::{DateTime, TimeDelta, Timelike, Utc};

use crate::error::ProviderError;
use crate::store::Store;

const MOVABLE: &str = "clock_movable";
const OFFSET: &str = "clock_offset_seconds";

/// Now, as the provider sees it, truncated to whole seconds (the API's precision).
#[allow(clippy::disallowed_methods)] // the provider's one reading of the wall clock
pub fn now(store: &Store) -> Result<DateTime<Utc>, ProviderError> {
    let real = Utc::now();
    let offset = if is_movable(store)? {
        store
            .setting(OFFSET)?
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0)
    } else {
        0
    };
    let at = real + TimeDelta::seconds(offset);
    Ok(at.with_nanosecond(0).unwrap_or(at))
}

/// Whether this data dir allows moving the clock.
pub fn is_movable(store: &Store) -> Result<bool, ProviderError> {
    Ok(store.setting(MOVABLE)?.as_deref() == Some("1"))
}

/// Allows moving the clock of this data dir (tests and demos only).
pub fn make_movable(store: &Store) -> Result<(), ProviderError> {
    store.set_setting(MOVABLE, "1")
}

/// Moves the clock forward by `by`.
pub fn advance(store: &Store, by: TimeDelta) -> Result<DateTime<Utc>, ProviderError> {
    if !is_movable(store)? {
        return Err(ProviderError::Invalid(
            "this provider's clock is not movable: create its data dir with `init --movable-clock` (tests and demos only)".into(),
        ));
    }
    if by < TimeDelta::zero() {
        return Err(ProviderError::Invalid(
            "the clock only moves forward".into(),
        ));
    }
    let offset = store
        .setting(OFFSET)?
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    store.set_setting(OFFSET, &(offset + by.num_seconds()).to_string())?;
    now(store)
}

/// Parses `90s`, `15m`, `2h`, `28d` (or plain seconds).
pub fn parse_duration(text: &str) -> Result<TimeDelta, String> {
    let text = text.trim();
    let (digits, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: i64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 90s, 15m, 2h or 28d"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("{text:?}: the unit must be s, m, h or d")),
    };
    TimeDelta::try_seconds(secs).ok_or_else(|| format!("{text:?} is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units_and_reject_garbage() {
        assert_eq!(parse_duration("28d"), Ok(TimeDelta::days(28)));
        assert_eq!(parse_duration("90"), Ok(TimeDelta::seconds(90)));
        assert_eq!(parse_duration("2h"), Ok(TimeDelta::hours(2)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5y").is_err());
    }

    #[test]
    fn the_clock_cannot_move_unless_the_data_dir_allows_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("store");
        assert!(
            advance(&store, TimeDelta::days(1)).is_err(),
            "off by default"
        );
        make_movable(&store).expect("allow");
        let before = now(&store).expect("now");
        let after = advance(&store, TimeDelta::days(28)).expect("advance");
        assert!(after - before >= TimeDelta::days(28));
        assert!(
            advance(&store, TimeDelta::days(-1)).is_err(),
            "never backwards"
        );
    }
}
