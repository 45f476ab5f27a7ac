//! File names the provider suggests, made safe to create and to show.
//!
//! The name comes from the server, so it is treated as hostile: it must not
//! leave the download folder, must be creatable on Windows, macOS and Linux,
//! and must not look like something it is not. Unicode format characters
//! (general category Cf) are invisible yet reorder or hide text: with U+202E
//! `a\u{202E}gpj.zip` displays as `apiz.jpg`, so they are removed outright.

/// Longest name produced, in bytes (most file systems allow 255; the rest is
/// room for ` (12)` and the like).
const MAX_NAME_BYTES: usize = 200;

/// Longest suffix still treated as an extension (and so kept when shortening).
const MAX_EXTENSION_BYTES: usize = 16;

/// Used when nothing usable is left of the suggested name.
const FALLBACK_NAME: &str = "backup.zip";

/// The code points of Unicode general category Cf (format characters), as of
/// Unicode 15.1: bidi embeddings, overrides and isolates, marks, zero-width
/// characters, the byte-order mark, invisible operators, tags and the like.
const FORMAT_CHARACTERS: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),   // soft hyphen
    ('\u{0600}', '\u{0605}'),   // Arabic number signs
    ('\u{061C}', '\u{061C}'),   // Arabic letter mark
    ('\u{06DD}', '\u{06DD}'),   // Arabic end of ayah
    ('\u{070F}', '\u{070F}'),   // Syriac abbreviation mark
    ('\u{0890}', '\u{0891}'),   // Arabic pound and piastre marks above
    ('\u{08E2}', '\u{08E2}'),   // Arabic disputed end of ayah
    ('\u{180E}', '\u{180E}'),   // Mongolian vowel separator
    ('\u{200B}', '\u{200F}'),   // zero-width space, (non-)joiner, LRM, RLM
    ('\u{202A}', '\u{202E}'),   // bidi embeddings and overrides
    ('\u{2060}', '\u{2064}'),   // word joiner, invisible operators
    ('\u{2066}', '\u{206F}'),   // bidi isolates, deprecated format characters
    ('\u{FEFF}', '\u{FEFF}'),   // zero-width no-break space (byte-order mark)
    ('\u{FFF9}', '\u{FFFB}'),   // interlinear annotation
    ('\u{110BD}', '\u{110BD}'), // Kaithi number sign
    ('\u{110CD}', '\u{110CD}'), // Kaithi number sign above
    ('\u{13430}', '\u{1343F}'), // Egyptian hieroglyph format controls
    ('\u{1BCA0}', '\u{1BCA3}'), // shorthand format controls
    ('\u{1D173}', '\u{1D17A}'), // musical symbol format controls
    ('\u{E0001}', '\u{E0001}'), // language tag
    ('\u{E0020}', '\u{E007F}'), // tag characters
];

/// Names Windows gives to devices, whatever extension follows (compared
/// without case; `NUL.tar.gz` and `nul .zip` are the device too).
const WINDOWS_DEVICE_NAMES: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "COM0", "COM1", "COM2", "COM3", "COM4",
    "COM5", "COM6", "COM7", "COM8", "COM9", "COM¹", "COM²", "COM³", "LPT0", "LPT1", "LPT2", "LPT3",
    "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³",
];

/// Whether `c` is a Unicode format character (general category Cf).
pub fn is_format_character(c: char) -> bool {
    FORMAT_CHARACTERS
        .iter()
        .any(|&(first, last)| (first..=last).contains(&c))
}

/// A file name the server suggested, made safe: only its last component;
/// format characters removed; separators, control and reserved characters
/// replaced by `_`; no leading dot or space, no trailing dot or space; not a
/// Windows device name; at most 200 bytes, shortened in the stem so the
/// extension (`.zip`) is kept. Never empty.
pub fn sanitize_file_name(suggested: &str) -> String {
    let last = suggested.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|&c| !is_format_character(c))
        .map(|c| if is_replaced(c) { '_' } else { c })
        .collect();
    let trimmed = trim_ends(&cleaned);
    let (stem, extension) = split_extension(trimmed);
    let mut stem = stem.to_owned();
    if is_windows_device_name(&stem) {
        stem.insert(0, '_');
    }
    truncate_on_char_boundary(&mut stem, MAX_NAME_BYTES - extension.len());
    let name = format!("{stem}{extension}");
    let name = trim_ends(&name);
    if name.is_empty() {
        FALLBACK_NAME.to_owned()
    } else {
        name.to_owned()
    }
}

/// A display name (an account's, chosen by a provider) made into one safe
/// folder name: the rules of [`sanitize_file_name`], except that path
/// separators inside it are replaced (the whole name counts) and no
/// extension is kept apart. `None` when nothing usable is left.
pub fn sanitize_folder_name(display_name: &str) -> Option<String> {
    let cleaned: String = display_name
        .chars()
        .filter(|&c| !is_format_character(c))
        .map(|c| if is_replaced(c) { '_' } else { c })
        .collect();
    let mut name = trim_ends(&cleaned).to_owned();
    if is_windows_device_name(&name) {
        name.insert(0, '_');
    }
    truncate_on_char_boundary(&mut name, MAX_NAME_BYTES);
    let name = trim_ends(&name);
    (!name.is_empty() && name.chars().any(|c| c != '_')).then(|| name.to_owned())
}

/// Characters that cannot be in a name on some system, or that display as a
/// path separator without being one.
fn is_replaced(c: char) -> bool {
    c.is_control()
        || "<>:\"/\\|?*".contains(c)
        // Line and paragraph separators, and slashes that only look like one.
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{2044}' | '\u{2215}' | '\u{29F8}' | '\u{FF0F}' | '\u{FF3C}'
        )
}

/// Without leading dots (hidden files) or whitespace, nor trailing dots or
/// whitespace (Windows drops them, so the name would change).
fn trim_ends(name: &str) -> &str {
    name.trim_matches(|c: char| c == '.' || c.is_whitespace())
}

/// `("archive", ".zip")` for `archive.zip`; no extension when the suffix is
/// too long to be one or the name has no stem.
fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(dot) if dot > 0 && name.len() - dot <= MAX_EXTENSION_BYTES => name.split_at(dot),
        _ => (name, ""),
    }
}

/// Whether Windows would open a device for this stem: the part before the
/// first dot, trailing spaces ignored, compared without ASCII case.
fn is_windows_device_name(stem: &str) -> bool {
    let base = stem
        .split('.')
        .next()
        .unwrap_or_default()
        .trim_end_matches(' ');
    WINDOWS_DEVICE_NAMES
        .iter()
        .any(|device| device.eq_ignore_ascii_case(base))
}

fn truncate_on_char_boundary(text: &mut String, max_bytes: usize) {
    if text.len() > max_bytes {
        let mut end = max_bytes;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_name_becomes_one_folder_never_a_path() {
        assert_eq!(
            sanitize_folder_name("Acme Ltda").as_deref(),
            Some("Acme Ltda")
        );
        assert_eq!(
            sanitize_folder_name("../../etc").as_deref(),
            Some("_.._etc"),
            "separators are replaced, so the name never leaves its parent"
        );
        assert_eq!(sanitize_folder_name("A/B: C?").as_deref(), Some("A_B_ C_"));
        assert_eq!(sanitize_folder_name("nul").as_deref(), Some("_nul"));
        for empty in ["", "  ", "...", "\u{202E}", "//"] {
            assert_eq!(sanitize_folder_name(empty), None, "{empty:?}");
        }
    }

    #[test]
    fn server_names_never_escape_the_download_folder() {
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
        assert_eq!(
            sanitize_file_name("..\\..\\windows\\system32\\evil.dll"),
            "evil.dll"
        );
        assert_eq!(sanitize_file_name("/abs/path/backup.zip"), "backup.zip");
        assert_eq!(sanitize_file_name(".."), "backup.zip");
        assert_eq!(sanitize_file_name(""), "backup.zip");
        assert_eq!(sanitize_file_name(".hidden.zip"), "hidden.zip");
        assert_eq!(sanitize_file_name("a\u{0}b\nc:d.zip"), "a_b_c_d.zip");
        assert_eq!(
            sanitize_file_name("a\u{2215}b.zip"),
            "a_b.zip",
            "a slash look-alike must not make the name read as a path"
        );
    }

    #[test]
    fn bidi_and_invisible_characters_cannot_disguise_the_extension() {
        let spoofed = sanitize_file_name("a\u{202E}gpj.zip");
        assert_eq!(
            spoofed, "agpj.zip",
            "U+202E would display `a\\u{{202E}}gpj.zip` as `apiz.jpg`"
        );
        for invisible in [
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{200E}',
            '\u{200F}',
            '\u{202A}',
            '\u{202B}',
            '\u{202C}',
            '\u{202D}',
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}',
            '\u{FEFF}',
            '\u{061C}',
            '\u{00AD}',
            '\u{E0041}',
        ] {
            let name = sanitize_file_name(&format!("re{invisible}port.zip{invisible}"));
            assert_eq!(
                name, "report.zip",
                "U+{:04X} is invisible and must not survive in a name the user reads",
                invisible as u32
            );
        }
        assert_eq!(
            sanitize_file_name("\u{202E}.zip"),
            "zip",
            "what is left after removal is trimmed like any name"
        );
        assert_eq!(
            sanitize_file_name("relatório-ação.zip"),
            "relatório-ação.zip",
            "ordinary letters are kept"
        );
    }

    #[test]
    fn long_names_are_shortened_in_the_stem_so_the_extension_stays() {
        let long = format!("{}.zip", "x".repeat(500));
        let name = sanitize_file_name(&long);
        assert!(name.len() <= MAX_NAME_BYTES, "{} bytes", name.len());
        assert!(
            name.ends_with("xx.zip"),
            "the archive must still open as a zip: {name}"
        );
        // Multi-byte characters are cut on a character boundary.
        let accented = format!("{}.zip", "é".repeat(300));
        let name = sanitize_file_name(&accented);
        assert!(
            name.len() <= MAX_NAME_BYTES && name.ends_with("é.zip"),
            "{name}"
        );
        // A cut that leaves a trailing dot or space is trimmed.
        let dotted = format!("{}. {}", "y".repeat(199), "z".repeat(50));
        let name = sanitize_file_name(&dotted);
        assert_eq!(name, "y".repeat(199), "no trailing dot or space");
        // A suffix too long to be an extension is not protected.
        let name = sanitize_file_name(&format!("a.{}", "b".repeat(400)));
        assert_eq!(name.len(), MAX_NAME_BYTES);
    }

    #[test]
    fn every_windows_device_name_is_renamed_whatever_its_case_or_extension() {
        for device in WINDOWS_DEVICE_NAMES {
            let lower = device.to_lowercase();
            for suggested in [
                device.to_string(),
                format!("{device}.zip"),
                format!("{lower}.zip"),
                format!("{device}.tar.gz"),
                format!("{device} .zip"),
                format!("{device}  "),
                format!("{device}..."),
                format!("{device}. . .zip"),
            ] {
                let name = sanitize_file_name(&suggested);
                assert!(
                    name.starts_with('_'),
                    "{suggested:?} would open the {device} device on Windows, got {name:?}"
                );
                assert!(
                    !name.ends_with(['.', ' ']),
                    "Windows drops trailing dots and spaces: {name:?}"
                );
            }
        }
        for ordinary in [
            "CONSOLE.zip",
            "COM10.zip",
            "LPT.zip",
            "NULL.zip",
            "acon.zip",
        ] {
            assert_eq!(
                sanitize_file_name(ordinary),
                ordinary,
                "{ordinary} is not a device name and is kept as is"
            );
        }
    }

    #[test]
    fn trailing_dots_and_spaces_are_removed() {
        assert_eq!(sanitize_file_name("backup.zip. . "), "backup.zip");
        assert_eq!(sanitize_file_name("  backup.zip"), "backup.zip");
    }
}
