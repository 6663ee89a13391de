/// The verifier's default operating points, as calibrated on East-Asian faces — the patients a reader in Japan
/// mostly serves — by `mynaface eval` (the committed files `Models/operating-point-single.json` and
/// `Models/operating-point-fused3.json` hold the same values with the per-set rates; `docs/threshold-config.md`
/// gives the commands that reproduce them, and a test checks that these constants equal the files).
extension MatchThreshold {
    /// A single camera frame against the card portrait: cosine of mirror-averaged descriptors.
    public static let readerDefault = MatchThreshold(
        metric: .cosine, value: DefaultOperatingPoint.singleFrameThreshold, descriptor: .mirrorAveraged,
        targetFMR: 1e-3,
        source: "calibrated on tw_ntu (East-Asian), FMR 95% upper bound ≤ 1e-3; Models/operating-point-single.json")

    /// An attempt fusing up to three frames (their mirror-averaged descriptors averaged), compared once.
    public static let readerDefaultFused = MatchThreshold(
        metric: .cosine, value: DefaultOperatingPoint.fusedThreshold, descriptor: .mirrorAveraged, targetFMR: 1e-3,
        source: "calibrated on tw_ntu (East-Asian), attempts of 3 photos; Models/operating-point-fused3.json")
}

/// The calibrated threshold values behind ``MatchThreshold/readerDefault`` and ``MatchThreshold/readerDefaultFused``.
public enum DefaultOperatingPoint {
    /// Cosine threshold for one frame (from `Models/operating-point-single.json`).
    public static let singleFrameThreshold = 0.9721924925777812
    /// Cosine threshold for a fused attempt of 3 frames (from `Models/operating-point-fused3.json`).
    public static let fusedThreshold = 0.9737124137253359
}
