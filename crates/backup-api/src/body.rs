//! Reading an answer's body with a size limit. A provider's answer is
//! untrusted: a faulty or hostile one could send gigabytes, so the body is
//! read in chunks and reading stops as soon as it passes the limit, instead of
//! holding the whole of it in memory first.

/// The largest JSON answer accepted: far above any page of the contract
/// (100 backups are about 60 KiB), far below what would strain the app.
pub(crate) const ANSWER_LIMIT: usize = 8 * 1024 * 1024;

/// The largest problem body read; a longer one is ignored, keeping its status.
pub(crate) const PROBLEM_LIMIT: usize = 64 * 1024;

/// Why a body could not be read whole.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// It is longer than the limit (by `Content-Length` or as it arrived).
    TooLarge,
    /// The connection failed while reading.
    Read(reqwest::Error),
}

/// The body of `response`, at most `limit` bytes.
pub(crate) async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    let announced = response.content_length();
    if announced.is_some_and(|length| length > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    let expected = announced.map_or(0, |length| length as usize);
    let mut bytes = Vec::with_capacity(expected.min(limit));
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Read)? {
        if bytes.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}
