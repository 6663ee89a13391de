/// Liveness measurements on dlib's 68-point shape (iBUG 300-W order: 0–16 jaw, 17–26 brows, 27–35 nose, 36–41 the
/// image-left eye, 42–47 the image-right eye, 48–67 lips), frames in time order.
///
/// With 68 points the plane of the face is fixed by 59 points spread over the whole face (jaw, brows, eyes, lips),
/// not by four nearly collinear eye corners: the nose's departure from that plane is measured in both image
/// directions. Pure functions of the landmark track: microseconds per frame.
public enum ShapeLivenessCues {
    /// The points a shape has.
    public static let pointCount = 68
    /// The nose (bridge 27–30, base 31–35): the part of the face that stands out of its plane.
    public static let nose = 27...35
    /// The nose points whose parallax is measured: the tip (30) and the base (31–35).
    public static let noseTip = 30...35
    /// Every point but the nose: the plane of the face is fitted to these.
    public static let face: [Int] = Array(0..<27) + Array(36..<68)

    /// The centres of the image-left (36–41) and image-right (42–47) eyes, pixels.
    public static func eyeCentres(_ p: [SIMD2<Double>]) -> (left: SIMD2<Double>, right: SIMD2<Double>) {
        var left = SIMD2<Double>.zero
        var right = SIMD2<Double>.zero
        for i in 36..<42 { left += p[i] }
        for i in 42..<48 { right += p[i] }
        return (left / 6, right / 6)
    }

    /// The yaw proxy: the nose tip's (30) offset from the midpoint of the eye centres along the eye line, in eye
    /// distances (0 frontal; grows when the patient turns to their own left, as ``LivenessCues/yaw(_:)`` does).
    public static func yaw(_ p: [SIMD2<Double>]) -> Double {
        let (left, right) = eyeCentres(p)
        let d = right - left
        let e2 = max((d * d).sum(), 1e-18)
        return ((p[30] - (left + right) / 2) * d).sum() / e2
    }

    /// The nose's parallax from frame `a` to frame `b`: the homography fitted to the 59 non-nose points
    /// (``face``) predicts where the nose tip and base (``noseTip``) of `b` would be if the face were flat; the
    /// mean of `actual − predicted`, along `b`'s eye line (image-left eye → image-right eye), in `b`'s eye
    /// distances. Positive when the nose moved toward the image right more than the plane of the face: a head
    /// turning to its own left. About 0 (landmark noise) for a flat photo however it moves. Nil when the fit is
    /// degenerate.
    public static func noseParallax(_ a: [SIMD2<Double>], _ b: [SIMD2<Double>]) -> Double? {
        guard a.count == pointCount, b.count == pointCount,
            let h = Homography.fit(from: face.map { a[$0] }, to: face.map { b[$0] })
        else { return nil }
        var shift = SIMD2<Double>.zero
        for i in noseTip {
            guard let predicted = h.apply(a[i]) else { return nil }
            shift += b[i] - predicted
        }
        shift /= Double(noseTip.count)
        let (left, right) = eyeCentres(b)
        let d = right - left
        return (shift * d).sum() / max((d * d).sum(), 1e-18)
    }

    /// The head turn toward `direction` and the nose's parallax over it: over frames `i` before `j`, the pair
    /// with the largest rise `s·(yaw[j] − yaw[i])` (s = +1 for a turn to the left, −1 to the right; on ties the
    /// smallest `j`, then the smallest `i`) gives `turn` = that rise and `parallax` = `s ·` ``noseParallax(_:_:)`` of the pair, both
    /// in eye distances; (0, 0) when the yaw never rose that way.
    ///
    /// A head turning that way moves its nose out of the plane of the rest of the face in the same direction;
    /// a flat or bent photo whose yaw proxy the landmark predictor reads as turned (foreshortening, bending) does
    /// not.
    public static func turnParallax(_ track: [[SIMD2<Double>]], toward direction: HeadTurn) -> (
        turn: Double, parallax: Double
    ) {
        let s = direction.yawSign
        let yaws = track.map(yaw)
        var best = 0.0
        var pair: (Int, Int)?
        for j in yaws.indices {
            for i in 0..<j where s * (yaws[j] - yaws[i]) > best {
                best = s * (yaws[j] - yaws[i])
                pair = (i, j)
            }
        }
        guard let (i, j) = pair, let p = noseParallax(track[i], track[j]) else { return (best, 0) }
        return (best, s * p)
    }
}
