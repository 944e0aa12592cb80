import CZlib

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The default cap on decompressed output: 1 GiB.
public let defaultMaxDecompressedBytes = 1 << 30

/// Decompresses `data` if it is gzip-compressed, otherwise returns it as is.
///
/// Gzip data is recognised by its magic bytes `1f 8b`. It is inflated with
/// zlib, feeding the input in chunks into an output buffer that grows as
/// needed (sized up front from the gzip trailer's length hint) but never
/// beyond `maxBytes`: this guards against decompression bombs. Concatenated
/// gzip members are decompressed one after the other, as `gunzip` does;
/// zero padding after the last member is ignored.
///
/// - Parameters:
///   - data: the file contents.
///   - file: the file name used in errors.
///   - maxBytes: the largest decompressed size accepted (default 1 GiB).
/// - Throws: ``DatasetError/tooLarge(file:limit:)`` when the output would
///   exceed `maxBytes`; ``DatasetError/corrupt(file:detail:)`` when the stream
///   is truncated, damaged, fails its CRC check or is followed by garbage.
public func gunzipIfNeeded(_ data: [UInt8], file: String, maxBytes: Int = defaultMaxDecompressedBytes) throws -> [UInt8] {
    guard data.count >= 2, data[0] == 0x1F, data[1] == 0x8B else { return data }
    return try GzipInflater(input: data, file: file, maxBytes: maxBytes).run()
}

/// One gunzip operation; owns the zlib stream and the growing output buffer.
private struct GzipInflater {
    /// Input is handed to zlib at most this much at a time.
    static let inputChunk = 1 << 20
    /// Smallest initial output buffer.
    static let minimumCapacity = 1 << 16

    let input: [UInt8]
    let file: String
    let maxBytes: Int

    init(input: [UInt8], file: String, maxBytes: Int) {
        self.input = input
        self.file = file
        self.maxBytes = max(0, maxBytes)
    }

    func run() throws -> [UInt8] {
        var stream = z_stream()
        let status = inflateInit2_(&stream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            throw DatasetError.corrupt(file: file, detail: "zlib inflateInit2 failed with code \(status)")
        }
        defer { inflateEnd(&stream) }

        // The buffer may hold up to maxBytes + 1 bytes: producing that extra
        // byte is how we learn that the output is over the limit.
        let hardCapacity = maxBytes == Int.max ? maxBytes : maxBytes + 1
        var capacity = min(initialCapacity(), hardCapacity)
        var output = UnsafeMutablePointer<UInt8>.allocate(capacity: max(capacity, 1))
        defer { output.deallocate() }
        var produced = 0
        var consumed = 0

        while true {
            if produced == capacity {
                guard capacity < hardCapacity else { throw DatasetError.tooLarge(file: file, limit: maxBytes) }
                let newCapacity = capacity > hardCapacity / 2 ? hardCapacity : max(capacity * 2, Self.minimumCapacity)
                let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
                grown.update(from: output, count: produced)
                output.deallocate()
                output = grown
                capacity = newCapacity
            }
            let inCount = min(input.count - consumed, Self.inputChunk)
            let outCount = min(capacity - produced, Int(UInt32.max))
            let result: Int32 = input.withUnsafeBufferPointer { inBuffer in
                stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress! + consumed)
                stream.avail_in = UInt32(inCount)
                stream.next_out = output + produced
                stream.avail_out = UInt32(outCount)
                let code = inflate(&stream, Z_NO_FLUSH)
                consumed += inCount - Int(stream.avail_in)
                produced += outCount - Int(stream.avail_out)
                stream.next_in = nil
                stream.next_out = nil
                return code
            }
            if produced > maxBytes { throw DatasetError.tooLarge(file: file, limit: maxBytes) }

            switch result {
            case Z_STREAM_END:
                if try !startNextMember(&stream, consumed: consumed) {
                    return [UInt8](UnsafeBufferPointer(start: output, count: produced))
                }
            case Z_OK, Z_BUF_ERROR:
                // zlib stops when it runs out of input or of output space.
                // With output space left and no input left, the stream is cut short.
                if consumed == input.count && produced < capacity {
                    throw truncatedError(consumed: consumed, produced: produced)
                }
            case Z_NEED_DICT:
                throw DatasetError.corrupt(file: file, detail: "gzip stream asks for a preset dictionary")
            case Z_MEM_ERROR:
                throw DatasetError.corrupt(file: file, detail: "zlib ran out of memory while inflating")
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(result)"
                throw DatasetError.corrupt(
                    file: file, detail: "invalid gzip data after \(consumed) compressed bytes: \(message)")
            }
        }
    }

    /// Initial output size: the gzip trailer's ISIZE (the uncompressed size
    /// modulo 2^32), bounded by the largest ratio deflate can achieve so that
    /// a lying trailer cannot cause a huge allocation; +1 so that a stream
    /// that fits exactly still ends without a regrow.
    private func initialCapacity() -> Int {
        var hint = 0
        if input.count >= 18 {
            let n = input.count
            hint = Int(input[n - 4]) | Int(input[n - 3]) << 8 | Int(input[n - 2]) << 16 | Int(input[n - 1]) << 24
        }
        let (bound, overflow) = input.count.multipliedReportingOverflow(by: 1032)
        let plausible = overflow ? hint : min(hint, bound)
        return max(plausible + 1, Self.minimumCapacity)
    }

    /// After a member ends: returns true (after resetting the stream) if
    /// another gzip member follows, false if the input is done. Throws on
    /// trailing bytes that are neither a gzip member nor zero padding.
    private func startNextMember(_ stream: inout z_stream, consumed: Int) throws -> Bool {
        let rest = input.count - consumed
        if rest == 0 { return false }
        if rest >= 2 && input[consumed] == 0x1F && input[consumed + 1] == 0x8B {
            guard inflateReset(&stream) == Z_OK else {
                throw DatasetError.corrupt(file: file, detail: "zlib inflateReset failed")
            }
            return true
        }
        let isPadding = input.withUnsafeBufferPointer { buffer in
            UnsafeBufferPointer(rebasing: buffer[consumed...]).allSatisfy { $0 == 0 }
        }
        if isPadding { return false }
        throw DatasetError.corrupt(
            file: file, detail: "\(rest) bytes of trailing garbage after the end of the gzip data")
    }

    private func truncatedError(consumed: Int, produced: Int) -> DatasetError {
        .corrupt(
            file: file,
            detail: "truncated gzip stream: the data ends after \(consumed) compressed bytes, before the "
                + "end of the stream (\(produced) bytes decompressed so far)")
    }
}
