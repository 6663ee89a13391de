/// The measurements liveness decisions are made of, on dlib's 5 landmarks per frame (points 0–1: the corners of the
/// image-right eye, 2–3: the image-left eye, 4: the base of the nose), frames in time order.
///
/// Pure functions of the landmark track: no image is looked at, so they cost microseconds per frame.
public enum LivenessCues {
    /// Distance between the eye centres (the normaliser of every cue), pixels.
    public static func interocular(_ p: [SIMD2<Double>]) -> Double {
        let right = (p[0] + p[1]) / 2
        let left = (p[2] + p[3]) / 2
        return ((right - left) * (right - left)).sum().squareRoot()
    }

    /// The yaw proxy of ``QualityGate``: the nose's offset from the eye midpoint along the eye line, in eye distances
    /// (0 frontal; grows when the patient turns to their own left).
    public static func yaw(_ p: [SIMD2<Double>]) -> Double {
        let right = (p[0] + p[1]) / 2
        let left = (p[2] + p[3]) / 2
        let d = right - left
        let e = max((d * d).sum().squareRoot(), 1e-9)
        let v = p[4] - (right + left) / 2
        return (v * d).sum() / (e * e)
    }

    /// How far the yaw proxy moved in the requested direction: the largest `s·(yaw[j] − yaw[i])` over frames
    /// `i` before `j` (s = +1 for a turn to the left, −1 to the right), in eye distances; 0 when it never did.
    ///
    /// A flat photo turned about its vertical axis keeps its yaw proxy (an affine map preserves ratios along the eye
    /// line); only shear and strong perspective move it a little. A head turn moves it by the nose's depth.
    public static func turn(yaws: [Double], toward direction: HeadTurn) -> Double {
        let s = direction.yawSign
        var lowest = Double.infinity
        var best = 0.0
        for y in yaws {
            best = max(best, s * y - lowest)
            lowest = min(lowest, s * y)
        }
        return best
    }

    /// The planarity residual between two frames: the homography fitted to the four eye corners of frame `a` and
    /// frame `b` predicts where `b`'s nose should be if the face were flat; the distance from the actual nose, in
    /// `b`'s eye distances. Nil when the eye corners are degenerate.
    public static func planarityResidual(_ a: [SIMD2<Double>], _ b: [SIMD2<Double>]) -> Double? {
        guard let h = Homography.fit(from: Array(a[0..<4]), to: Array(b[0..<4])), let predicted = h.apply(a[4]) else {
            return nil
        }
        let r = predicted - b[4]
        return (r * r).sum().squareRoot() / max(interocular(b), 1e-9)
    }

    /// Parallax over the track: the median, over every pair of frames, of ``planarityResidual(_:_:)``, taken along
    /// the eye line only (the eye corners are nearly collinear, so the homography is well determined along the eye
    /// line and poorly across it). A flat photo scores near its landmark noise; a head turning scores the nose's
    /// depth times the change of its angle. 0 for fewer than two frames.
    public static func parallax(_ track: [[SIMD2<Double>]]) -> Double {
        guard track.count >= 2 else { return 0 }
        var residuals: [Double] = []
        for i in 0..<track.count {
            for j in (i + 1)..<track.count {
                let (a, b) = (track[i], track[j])
                guard let h = Homography.fit(from: Array(a[0..<4]), to: Array(b[0..<4])),
                    let predicted = h.apply(a[4])
                else { continue }
                let right = (b[0] + b[1]) / 2
                let left = (b[2] + b[3]) / 2
                let d = right - left
                let e = max((d * d).sum().squareRoot(), 1e-9)
                residuals.append(abs(((predicted - b[4]) * d).sum()) / (e * e))
            }
        }
        guard !residuals.isEmpty else { return 0 }
        residuals.sort()
        return residuals[residuals.count / 2]
    }

    /// The largest landmark displacement between any frame and the first, in eye distances (0: no motion at all).
    public static func motion(_ track: [[SIMD2<Double>]]) -> Double {
        guard let first = track.first else { return 0 }
        let e = max(interocular(first), 1e-9)
        var most = 0.0
        for f in track.dropFirst() {
            for (p, q) in zip(first, f) { most = max(most, ((p - q) * (p - q)).sum().squareRoot() / e) }
        }
        return most
    }
}
