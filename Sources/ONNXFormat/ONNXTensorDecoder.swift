import Foundation
import NeuralCore

/// Turns a TensorProto (an initializer or a Constant's value) into a ``GraphConstant``, checking its dims and its
/// data length before anything is allocated from them.
enum ONNXTensorDecoder {
    /// ONNX TensorProto.DataType values the reader takes.
    static let float32 = 1
    static let int64 = 7

    /// Decodes `tensor` (named `name` in messages).
    /// - Throws: ``ONNXModelError/invalidTensor(name:reason:)`` for dims ≤ 0 or data not matching them,
    ///   ``ONNXModelError/tensorTooLarge(name:dims:)``, ``ONNXModelError/unsupportedDataType(tensor:dataType:)``,
    ///   ``ONNXModelError/externalData(tensor:)``.
    static func decode(_ tensor: Onnx_TensorProto, name: String) throws(ONNXModelError) -> GraphConstant {
        if tensor.dataLocation == .external || !tensor.externalData.isEmpty { throw .externalData(tensor: name) }
        if tensor.hasSegment { throw .invalidTensor(name: name, reason: "segmented tensors are not supported") }
        guard tensor.dims.count <= 8 else { throw .invalidTensor(name: name, reason: "rank \(tensor.dims.count) > 8") }
        var dims: [Int] = []
        var count = 1
        for d in tensor.dims {
            guard d > 0 else { throw .invalidTensor(name: name, reason: "dimension \(d) ≤ 0") }
            guard d <= Int64(ONNXModelReader.maximumTensorElements) else {
                throw .tensorTooLarge(name: name, dims: tensor.dims.map { Int(clamping: $0) })
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: Int(d))
            guard !overflow, product <= ONNXModelReader.maximumTensorElements else {
                throw .tensorTooLarge(name: name, dims: tensor.dims.map { Int(clamping: $0) })
            }
            dims.append(Int(d))
            count = product
        }
        switch Int(tensor.dataType) {
        case float32:
            if tensor.hasRawData {
                let raw = tensor.rawData
                guard raw.count == count * 4 else {
                    throw .invalidTensor(name: name, reason: "raw_data holds \(raw.count) bytes, dims need \(count * 4)")
                }
                var values = [Float](repeating: 0, count: count)
                values.withUnsafeMutableBytes { dst in
                    raw.withUnsafeBytes { src in dst.copyMemory(from: src) }
                }
                #if _endian(big)
                    values = values.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
                #endif
                return GraphConstant(shape: dims, floats: values)
            }
            guard tensor.floatData.count == count else {
                throw .invalidTensor(
                    name: name, reason: "float_data holds \(tensor.floatData.count) values, dims need \(count)")
            }
            return GraphConstant(shape: dims, floats: tensor.floatData)
        case int64:
            var values: [Int64]
            if tensor.hasRawData {
                let raw = tensor.rawData
                guard raw.count == count * 8 else {
                    throw .invalidTensor(name: name, reason: "raw_data holds \(raw.count) bytes, dims need \(count * 8)")
                }
                values = [Int64](repeating: 0, count: count)
                values.withUnsafeMutableBytes { dst in
                    raw.withUnsafeBytes { src in dst.copyMemory(from: src) }
                }
                values = values.map { Int64(littleEndian: $0) }
            } else {
                guard tensor.int64Data.count == count else {
                    throw .invalidTensor(
                        name: name, reason: "int64_data holds \(tensor.int64Data.count) values, dims need \(count)")
                }
                values = tensor.int64Data
            }
            return GraphConstant(shape: dims, integers: values.map { Int(clamping: $0) })
        default:
            throw .unsupportedDataType(tensor: name, dataType: Int(tensor.dataType))
        }
    }
}
