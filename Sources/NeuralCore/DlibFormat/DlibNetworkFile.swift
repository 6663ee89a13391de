import Foundation

/// A dlib DNN file (`net_type` serialized with `dlib::serialize`) read into its layer records.
///
/// dlib writes the network recursively, outermost first: the loss wrapper (int 1 + loss record), then
/// one header per wrapper (`add_layer` int 2, tag/skip int 1), then the input layer and the first layer
/// (under an int 3 — or 2 in older files — header), then every other layer's record in input→output order,
/// each followed by 3 bools and 3 (normally empty) tensors. Tags and skips carry no data, so which output
/// an `add_prev_` adds is fixed by the model's declared graph, not by the file.
package struct DlibNetworkFile: Sendable {
    /// The loss record (`loss_metric_2`, `loss_mmod_`).
    package var loss: DlibLayer
    /// The input record.
    package var input: DlibLayer
    /// Every computational layer's record, input → output.
    package var layers: [DlibLayer]
    /// The number of tag/skip wrapper headers met.
    package var tagOrSkipCount: Int
    /// The number of bytes parsed (the whole file).
    package var byteCount: Int

    /// The total of all records' trainable parameters.
    package var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }

    /// Parses a whole file.
    /// - Throws: ``DlibFormatError`` for truncated, corrupted or unsupported files (the offset says where).
    package init(bytes: [UInt8]) throws(DlibFormatError) {
        var r = DlibReader(bytes: bytes)
        let top = r.offset
        guard try r.int64() == 1 else {
            throw .unsupported(offset: top, detail: "not a dlib network: no loss-layer header")
        }
        loss = try r.layerRecord()
        guard loss.kind.hasPrefix("loss") else {
            throw .unexpectedRecord(offset: top, expected: "loss layer", found: loss.kind)
        }
        var addLayers = 0
        var tags = 0
        var inputVersion = 0
        while inputVersion == 0 {
            let at = r.offset
            let v = try r.int64()
            let next = try r.peekInt()
            let isWrapper = (1...3).contains(next)
            if (v == 2 || v == 3) && !isWrapper {
                inputVersion = Int(v)
            } else if v == 2 {
                addLayers += 1
            } else if v == 1 {
                tags += 1
            } else {
                throw .unsupported(offset: at, detail: "layer wrapper header \(v)")
            }
            if addLayers + tags > 100_000 { throw .unsupported(offset: at, detail: "too many layer wrappers") }
        }
        input = try r.layerRecord()
        guard input.kind.hasPrefix("input") else {
            throw .unexpectedRecord(offset: r.offset, expected: "input layer", found: input.kind)
        }
        var layers: [DlibLayer] = []
        layers.reserveCapacity(addLayers + 1)
        func layerWithTrailer(_ r: inout DlibReader) throws(DlibFormatError) -> DlibLayer {
            let layer = try r.layerRecord()
            for _ in 0..<3 { _ = try r.bool() }
            for _ in 0..<3 { _ = try r.tensor() }
            return layer
        }
        layers.append(try layerWithTrailer(&r))
        if inputVersion == 3 { _ = try r.int64() }  // sample_expansion_factor
        for _ in 0..<addLayers { layers.append(try layerWithTrailer(&r)) }
        try r.expectEnd()
        self.layers = layers
        self.tagOrSkipCount = tags
        self.byteCount = bytes.count
    }

    /// Reads and parses a file.
    /// - Throws: ``ModelFileError`` when the file cannot be read, ``DlibFormatError`` when it does not parse.
    package init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw ModelFileError.unreadable(path: url.path, reason: "\(error)")
        }
        try self.init(bytes: [UInt8](data))
    }
}
