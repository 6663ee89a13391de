/// Limits applied when parsing portrait containers (card-face file, certificate, DG2).
public struct ContainerLimits: Sendable, Equatable {
    /// Limits for the BER-TLV walk (depth, element length, input size).
    public var tlv: TLVLimits
    /// Largest width × height a container header may declare for a face image. Default 40 megapixels.
    public var maxImagePixels: Int
    /// Largest number of face images a DG2 may declare. Default 16.
    public var maxFaces: Int

    /// Creates limits (defaults: ``TLVLimits/default``, 40 MP, 16 faces).
    public init(tlv: TLVLimits = .default, maxImagePixels: Int = 40_000_000, maxFaces: Int = 16) {
        self.tlv = tlv
        self.maxImagePixels = maxImagePixels
        self.maxFaces = maxFaces
    }

    /// The default limits.
    public static let `default` = ContainerLimits()
}
