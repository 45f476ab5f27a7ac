//! Counting a CSV's records at the speed bytes arrive. A full parser (the
//! `csv` crate) splits every field, which is most of an archive check's time
//! on a large export; counting only needs the record ends that are not inside
//! quotes. [`RecordCounter`] finds them with `memchr` and agrees with the `csv`
//! crate's reading (RFC 4180, lenient like it): a quote opens a quoted field
//! only at the start of a field, `""` inside one is a quote, `\r`, `\n` and
//! `\r\n` end a record, empty lines are not records, and a last record
//! without a line end counts. A differential test holds it to the crate.

/// Where the counter is within the CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Outside quotes.
    Unquoted,
    /// Inside a quoted field.
    Quoted,
    /// Just after a quote inside a quoted field: `""` (a quote) or the end.
    QuoteInQuoted,
}

/// Counts records (header included) over chunks of a CSV, in order.
#[derive(Debug, Clone)]
pub(crate) struct RecordCounter {
    state: State,
    /// The record being read has a byte (an empty line is not a record).
    content: bool,
    /// The byte before the current chunk (`\n` at the start: a record starts).
    prev: u8,
    records: u64,
}

impl Default for RecordCounter {
    fn default() -> RecordCounter {
        RecordCounter {
            state: State::Unquoted,
            content: false,
            prev: b'\n',
            records: 0,
        }
    }
}

fn starts_field(before: u8) -> bool {
    matches!(before, b',' | b'\n' | b'\r')
}

impl RecordCounter {
    /// Reads the next chunk.
    pub(crate) fn feed(&mut self, buf: &[u8]) {
        let Some(&last) = buf.last() else {
            return;
        };
        let mut i = 0;
        while i < buf.len() {
            match self.state {
                State::Unquoted => match memchr::memchr3(b'"', b'\n', b'\r', &buf[i..]) {
                    None => {
                        self.content = true;
                        i = buf.len();
                    }
                    Some(offset) => {
                        let at = i + offset;
                        if offset > 0 {
                            self.content = true;
                        }
                        let before = if at > 0 { buf[at - 1] } else { self.prev };
                        if buf[at] == b'"' {
                            self.content = true;
                            if starts_field(before) {
                                self.state = State::Quoted;
                            }
                        } else {
                            if self.content {
                                self.records += 1;
                            }
                            self.content = false;
                        }
                        i = at + 1;
                    }
                },
                State::Quoted => match memchr::memchr(b'"', &buf[i..]) {
                    None => i = buf.len(),
                    Some(offset) => {
                        self.state = State::QuoteInQuoted;
                        i += offset + 1;
                    }
                },
                State::QuoteInQuoted => {
                    if buf[i] == b'"' {
                        self.state = State::Quoted;
                        i += 1;
                    } else {
                        // The field closed; this byte is read outside quotes.
                        self.state = State::Unquoted;
                    }
                }
            }
        }
        self.prev = last;
    }

    /// Records read, header included, once every chunk was fed.
    pub(crate) fn finish(&self) -> u64 {
        self.records + u64::from(self.content)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(text: &[u8]) -> u64 {
        let mut counter = RecordCounter::default();
        counter.feed(text);
        counter.finish()
    }

    /// What the `csv` crate reads (the reference): records, header included.
    fn reference(text: &[u8]) -> u64 {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text);
        let mut record = csv::ByteRecord::new();
        let mut n = 0;
        while reader
            .read_byte_record(&mut record)
            .expect("csv reads any bytes")
        {
            n += 1;
        }
        n
    }

    #[test]
    fn quoted_line_ends_and_empty_lines_are_not_records() {
        assert_eq!(count(b"id,name\r\n1,\"a\r\nb\"\r\n\r\n2,c"), 3);
        assert_eq!(count(b""), 0);
        assert_eq!(count(b"\n\r\n\n"), 0);
        assert_eq!(
            count(b"a\"b,c\nd"),
            2,
            "a quote inside a field is a plain byte"
        );
        assert_eq!(
            count(b"\"x\"\"\ny\"\nz"),
            2,
            "\"\" inside quotes is a quote"
        );
        assert_eq!(count(b"\"\"\n"), 1, "an empty quoted field is a record");
    }

    /// A tiny deterministic generator for the differential test.
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

    #[test]
    fn it_counts_what_the_csv_crate_reads_on_any_bytes_split_anywhere() {
        let alphabet = b"ab,\"\n\r ";
        let mut rng = Lcg(7);
        for case in 0..20_000 {
            let len = rng.next(40);
            let text: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.next(alphabet.len())])
                .collect();
            let expected = reference(&text);
            assert_eq!(
                count(&text),
                expected,
                "case {case}: {:?}",
                String::from_utf8_lossy(&text)
            );
            // The same bytes in chunks cut at random places.
            let mut counter = RecordCounter::default();
            let mut at = 0;
            while at < text.len() {
                let end = (at + 1 + rng.next(6)).min(text.len());
                counter.feed(&text[at..end]);
                at = end;
            }
            assert_eq!(
                counter.finish(),
                expected,
                "case {case} in chunks: {:?}",
                String::from_utf8_lossy(&text)
            );
        }
    }
}
