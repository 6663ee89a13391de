/// `max(v, 0)` lane-wise, as a compare-and-select the optimiser always inlines (ReLU).
@inline(__always)
func relu8(_ v: SIMD8<Float>) -> SIMD8<Float> {
    v.replacing(with: 0, where: v .< 0)
}
