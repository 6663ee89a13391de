/// How a face's descriptor is formed from its aligned chip before scoring.
public enum DescriptorMode: String, Sendable, Codable, CaseIterable {
    /// dlib's descriptor of the chip as it is.
    case plain
    /// The mean of the descriptors of the chip and of its mirror image (left–right flip). Measured on the
    /// chip-vs-camera protocol it rejects a few points fewer genuine pairs at the same FMR (README, "Accuracy");
    /// it costs one more ResNet pass per face.
    case mirrorAveraged = "mirror-averaged"
}
