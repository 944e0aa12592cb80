/// Which end of a sequence ``padSequences(_:maxLen:padding:truncating:value:)``
/// pads or truncates.
public enum SequencePadding: String, Sendable, CaseIterable {
    /// At the start (left): Keras's default.
    case pre
    /// At the end (right).
    case post
}

/// Pads and truncates integer sequences to one length, as Keras's
/// `pad_sequences`, and returns them as one flat row-major matrix.
///
/// The rule for each sequence `s`, with `n = maxLen`:
/// - `s.count > n`: it is cut to `n` ids. `truncating: .pre` keeps the LAST
///   `n` ids (drops from the start: Keras's default), `.post` keeps the first `n`.
/// - `s.count < n`: `n - s.count` copies of `value` are added, before the ids
///   (`padding: .pre`, Keras's default) or after them (`.post`).
/// - `s.count == n`: unchanged.
///
/// With the defaults this is exactly `keras.utils.pad_sequences(seqs,
/// maxlen=maxLen)` (`padding='pre', truncating='pre', value=0`).
///
/// - Parameters:
///   - seqs: the sequences (any lengths, empty ones allowed).
///   - maxLen: the row length; nil means the length of the longest
///     sequence (0 when there are none), as Keras's `maxlen=None`.
///   - padding: where padding goes.
///   - truncating: which end is dropped from sequences longer than `maxLen`.
///   - value: the padding id.
/// - Returns: `seqs.count * maxLen` ids, row after row.
/// - Precondition: `maxLen >= 0`.
public func padSequences(
    _ seqs: [[Int32]], maxLen: Int? = nil, padding: SequencePadding = .pre,
    truncating: SequencePadding = .pre, value: Int32 = 0
) -> [Int32] {
    let width = maxLen ?? seqs.reduce(0) { Swift.max($0, $1.count) }
    precondition(width >= 0, "padSequences: maxLen must be >= 0, got \(width)")
    let total = seqs.count * width
    return [Int32](unsafeUninitializedCapacity: total) { out, initialized in
        guard let base = out.baseAddress else {
            initialized = 0
            return
        }
        base.initialize(repeating: value, count: total)
        for (row, seq) in seqs.enumerated() {
            let kept = Swift.min(seq.count, width)
            guard kept > 0 else { continue }
            let source = truncating == .pre ? seq.count - kept : 0
            let target = row * width + (padding == .pre ? width - kept : 0)
            seq.withUnsafeBufferPointer { src in
                (base + target).update(from: src.baseAddress! + source, count: kept)
            }
        }
        initialized = total
    }
}
