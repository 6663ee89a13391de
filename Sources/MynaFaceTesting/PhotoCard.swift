import CardAccess
import FaceImaging
import Foundation
import MynaCard

/// The recipe that turns a photo into a simulated My Number Card, shared by `mynaface session`, the
/// benchmark workload and the tests.
///
/// The portrait (DF27) is taken as the card would hold it: a card-face file's own DF27, a JPEG 2000 file as is,
/// and any other image rendered by ``MynaCard/ChipPortraitEncoder`` (greyscale, 3:4, 240×320, ≤ 10,000 bytes).
public enum PhotoCard {
    /// Why a photo could not become a card portrait.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        /// The input is a card-face file that does not parse.
        case cardFaceFile(ContainerError)
        /// The input is not a decodable image.
        case image(ImageDecodeError)
        /// The image could not be rendered as a chip portrait.
        case portrait(ChipPortraitEncoder.Failure)

        public var description: String {
            switch self {
            case .cardFaceFile(let e): "card-face file: \(e)"
            case .image(let e): "\(e)"
            case .portrait(let e): "chip portrait: \(e)"
            }
        }
    }

    /// The card holder of the demo registry's valid insured person (`DemoRegistry.validKey`, 19800401-20310401).
    public static let demoHolder = CardHolder(
        birthDate: CardDate(year: 1980, month: 4, day: 1)!, sex: .notKnown,
        cardExpiry: CardDate(year: 2031, month: 4, day: 1)!)

    /// DF27 bytes for `bytes`: a card-face file's DF27, a JPEG 2000 file as is, any other image rendered by `encoder`.
    /// - Throws: ``Failure``.
    public static func chipPortrait(from bytes: [UInt8], encoder: ChipPortraitEncoder = ChipPortraitEncoder())
        throws(Failure) -> [UInt8]
    {
        if bytes.first == 0xFF, bytes.dropFirst().first == 0x20 {
            do { return try CardFaceFile.parse(bytes).portrait } catch { throw .cardFaceFile(error) }
        }
        if let format = ImageFormat.detect(bytes), format == .jp2 || format == .j2k { return bytes }
        let image: Image
        do { image = try ImageDecoder.decode(bytes) } catch { throw .image(error) }
        do { return try encoder.encode(image) } catch { throw .portrait(error) }
    }

    /// Issues a simulated card whose portrait is `photo` (see ``chipPortrait(from:encoder:)``).
    /// - Parameters:
    ///   - photo: a photo, a JPEG 2000 portrait or a card-face file.
    ///   - issuer: the simulated issuer that signs the card-face file (default: a freshly generated one).
    ///   - holder: DF22, DF23 and DF29 (default ``demoHolder``).
    ///   - variant, userPIN, securityCode, stateFile: as ``SimulatedCard/issue(by:variant:portrait:birthDate:sex:expiry:userPIN:securityCode:stateFile:)``.
    /// - Throws: ``Failure`` for the portrait; key-generation and ``SimulatedCardError`` for the card.
    public static func issue(
        photo: [UInt8], by issuer: SimulatedIssuer? = nil,
        variant: SimulatedCardState.Variant = .standard, holder: CardHolder = demoHolder,
        userPIN: String = "1234", securityCode: String = "2285",
        stateFile: URL? = nil
    ) throws -> SimulatedCard {
        let portrait = try chipPortrait(from: photo)
        return try SimulatedCard.issue(
            by: issuer ?? SimulatedIssuer.generate(), variant: variant, portrait: portrait,
            birthDate: holder.birthDate, sex: holder.sex, expiry: holder.cardExpiry,
            userPIN: userPIN, securityCode: securityCode, stateFile: stateFile)
    }
}
