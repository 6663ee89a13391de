import Foundation

/// Self-contained SVG plots (no scripts, no external fonts) a person can open in a browser.
public enum SVGPlot {
    /// Tick positions and labels of the DET axes (rates as fractions).
    static let detTicks: [(Double, String)] = [
        (0.00001, "0.001%"), (0.0001, "0.01%"), (0.001, "0.1%"), (0.01, "1%"), (0.05, "5%"),
        (0.2, "20%"), (0.5, "50%"), (0.8, "80%"), (0.95, "95%"),
    ]

    /// One curve of a DET plot: a data set (population) and its error curve.
    public struct DETSeries: Sendable {
        /// The legend label (e.g. `tw_ntu (East-Asian)`).
        public var label: String
        public var curve: [ErrorRatePoint]
        public var eer: EqualErrorRate
        /// Operating points to mark on this curve.
        public var operatingPoints: [OperatingPoint]

        public init(label: String, curve: [ErrorRatePoint], eer: EqualErrorRate, operatingPoints: [OperatingPoint]) {
            self.label = label
            self.curve = curve
            self.eer = eer
            self.operatingPoints = operatingPoints
        }
    }

    /// Series colours, in order.
    static let palette = [
        "#1f5fbf", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
        "#7f7f7f", "#bcbd22",
    ]

    /// The DET curve: FNMR (y) against FMR (x), both on normal-deviate (probit) axes.
    ///
    /// The axes run from the smallest tick the data can reach (1/N for N comparisons, at least 0.001%) to
    /// 95%. Zero rates lie below the axis and are clipped. The dashed diagonal is FMR = FNMR; the EER and
    /// the resolvable operating points are marked.
    public static func det(
        curve: [ErrorRatePoint], eer: EqualErrorRate, operatingPoints: [OperatingPoint],
        title: String, impostors: Int, genuine: Int
    ) -> String {
        det(
            series: [DETSeries(label: "", curve: curve, eer: eer, operatingPoints: operatingPoints)], title: title,
            impostors: impostors, genuine: genuine)
    }

    /// Several DET curves on one plot (one per data set / population), with a legend when there are several.
    /// - Parameters:
    ///   - impostors, genuine: the largest counts of any series (they set the axes' lower end).
    public static func det(series: [DETSeries], title: String, impostors: Int, genuine: Int) -> String {
        let width = 640.0
        let height = 600.0
        let left = 80.0
        let right = 30.0
        let top = 50.0
        let bottom = 70.0
        let plotW = width - left - right
        let plotH = height - top - bottom
        let lowest = 1.0 / Double(max(1, impostors, genuine))
        let low = detTicks.map(\.0).filter { $0 <= max(lowest, 0.00001) }.last ?? 0.00001
        let high = 0.95
        let zLow = Probit.inverseNormalCDF(low)
        let zHigh = Probit.inverseNormalCDF(high)
        func x(_ p: Double) -> Double { left + (clampedZ(p) - zLow) / (zHigh - zLow) * plotW }
        func y(_ p: Double) -> Double { top + plotH - (clampedZ(p) - zLow) / (zHigh - zLow) * plotH }
        func clampedZ(_ p: Double) -> Double {
            let z = Probit.inverseNormalCDF(p)
            return min(max(z, zLow - 0.5), zHigh + 0.5)
        }
        let several = series.count > 1
        var svg = header(width: width, height: height, title: title)
        svg +=
            "<defs><clipPath id=\"plot\"><rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\"/></clipPath></defs>\n"
        svg +=
            "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"white\" stroke=\"black\"/>\n"
        for (p, label) in detTicks where p >= low && p <= high {
            svg +=
                "<line x1=\"\(f(x(p)))\" y1=\"\(f(top))\" x2=\"\(f(x(p)))\" y2=\"\(f(top + plotH))\" stroke=\"#ddd\"/>\n"
            svg +=
                "<line x1=\"\(f(left))\" y1=\"\(f(y(p)))\" x2=\"\(f(left + plotW))\" y2=\"\(f(y(p)))\" stroke=\"#ddd\"/>\n"
            svg += text(x(p), top + plotH + 18, label, anchor: "middle", size: 12)
            svg += text(left - 6, y(p) + 4, label, anchor: "end", size: 12)
        }
        let axisNote = several ? "up to \(impostors)" : "\(impostors)"
        svg += text(
            left + plotW / 2, height - 20, "False match rate (FMR), \(axisNote) impostor comparisons", anchor: "middle",
            size: 14)
        svg +=
            "<text x=\"20\" y=\"\(f(top + plotH / 2))\" font-family=\"sans-serif\" font-size=\"14\" text-anchor=\"middle\" transform=\"rotate(-90 20 \(f(top + plotH / 2)))\">False non-match rate (FNMR), \(several ? "up to " : "")\(genuine) genuine comparisons</text>\n"
        svg += "<g clip-path=\"url(#plot)\">\n"
        svg +=
            "<line x1=\"\(f(x(low)))\" y1=\"\(f(y(low)))\" x2=\"\(f(x(high)))\" y2=\"\(f(y(high)))\" stroke=\"#999\" stroke-dasharray=\"5,4\"/>\n"
        for (k, s) in series.enumerated() {
            var points = ""
            var last = (-1.0, -1.0)
            for point in s.curve {
                let px = (x(point.fmr) * 10).rounded() / 10
                let py = (y(point.fnmr) * 10).rounded() / 10
                if px == last.0, py == last.1 { continue }
                last = (px, py)
                points += "\(f(px)),\(f(py)) "
            }
            svg +=
                "<polyline fill=\"none\" stroke=\"\(palette[k % palette.count])\" stroke-width=\"2\" points=\"\(points)\"/>\n"
        }
        svg += "</g>\n"
        for (k, s) in series.enumerated() {
            let colour = several ? palette[k % palette.count] : "#d62728"
            let markColour = several ? palette[k % palette.count] : "#2ca02c"
            let eer = s.eer
            if eer.rate > 0, eer.rate >= low, eer.rate <= high {
                svg += "<circle cx=\"\(f(x(eer.rate)))\" cy=\"\(f(y(eer.rate)))\" r=\"5\" fill=\"\(colour)\"/>\n"
                svg += text(
                    x(eer.rate) + 8, y(eer.rate) - 8, "EER \(percent(eer.rate))", anchor: "start", size: 12,
                    colour: colour)
            }
            for point in s.operatingPoints
            where point.fmr > 0 && point.fnmr > 0 && point.fmr >= low && point.fnmr >= low && point.fnmr <= high {
                svg +=
                    "<rect x=\"\(f(x(point.fmr) - 4))\" y=\"\(f(y(point.fnmr) - 4))\" width=\"8\" height=\"8\" fill=\"\(markColour)\"/>\n"
                svg += text(
                    x(point.fmr) + 8, y(point.fnmr) + 14,
                    "FMR≤\(percent(point.targetFMR)): FNMR \(percent(point.fnmr))", anchor: "start", size: 11,
                    colour: markColour)
            }
            if eer.rate == 0, !several {
                svg += text(
                    left + plotW / 2, top + 20, "No errors at the EER: genuine and impostor scores are separated",
                    anchor: "middle", size: 12)
            }
        }
        if several {
            for (k, s) in series.enumerated() {
                let ly = top + 16 + Double(k) * 16
                svg +=
                    "<line x1=\"\(f(left + plotW - 190))\" y1=\"\(f(ly - 4))\" x2=\"\(f(left + plotW - 170))\" y2=\"\(f(ly - 4))\" stroke=\"\(palette[k % palette.count])\" stroke-width=\"3\"/>\n"
                svg += text(left + plotW - 165, ly, s.label, anchor: "start", size: 11)
            }
        }
        svg += "</svg>\n"
        return svg
    }

    /// Genuine and impostor score histograms (fraction of each class per bin), with the threshold marked.
    public static func histogram(
        scores: ComparisonScores, scoreName: String, threshold: Double?, thresholdLabel: String,
        title: String, bins: Int = 50
    ) -> String {
        let width = 720.0
        let height = 480.0
        let left = 70.0
        let right = 30.0
        let top = 50.0
        let bottom = 70.0
        let plotW = width - left - right
        let plotH = height - top - bottom
        let all = scores.genuine + scores.impostor
        var lo = all.min()!
        var hi = all.max()!
        if hi - lo < 1e-12 {
            lo -= 0.5
            hi += 0.5
        }
        let binWidth = (hi - lo) / Double(bins)
        func counts(_ values: [Double]) -> [Double] {
            var c = [Double](repeating: 0, count: bins)
            for v in values { c[min(bins - 1, max(0, Int((v - lo) / binWidth)))] += 1 }
            return c.map { $0 / Double(values.count) }
        }
        let g = counts(scores.genuine)
        let im = counts(scores.impostor)
        let yMax = max(g.max()!, im.max()!) * 1.1
        func x(_ v: Double) -> Double { left + (v - lo) / (hi - lo) * plotW }
        func y(_ v: Double) -> Double { top + plotH - v / yMax * plotH }
        var svg = header(width: width, height: height, title: title)
        svg +=
            "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"white\" stroke=\"black\"/>\n"
        let step = niceStep((hi - lo) / 6)
        var tick = (lo / step).rounded(.up) * step
        while tick <= hi + 1e-12 {
            svg +=
                "<line x1=\"\(f(x(tick)))\" y1=\"\(f(top + plotH))\" x2=\"\(f(x(tick)))\" y2=\"\(f(top + plotH + 5))\" stroke=\"black\"/>\n"
            svg += text(x(tick), top + plotH + 20, trim(tick, step: step), anchor: "middle", size: 12)
            tick += step
        }
        let yStep = niceStep(yMax / 5)
        var yt = 0.0
        while yt <= yMax {
            svg +=
                "<line x1=\"\(f(left))\" y1=\"\(f(y(yt)))\" x2=\"\(f(left + plotW))\" y2=\"\(f(y(yt)))\" stroke=\"#eee\"/>\n"
            svg += text(left - 6, y(yt) + 4, trim(yt, step: yStep), anchor: "end", size: 12)
            yt += yStep
        }
        func bars(_ fractions: [Double], colour: String) -> String {
            var path = "M\(f(x(lo))),\(f(y(0)))"
            for (i, v) in fractions.enumerated() {
                let x0 = x(lo + Double(i) * binWidth)
                let x1 = x(lo + Double(i + 1) * binWidth)
                path += " L\(f(x0)),\(f(y(v))) L\(f(x1)),\(f(y(v)))"
            }
            path += " L\(f(x(hi))),\(f(y(0))) Z"
            return
                "<path d=\"\(path)\" fill=\"\(colour)\" fill-opacity=\"0.35\" stroke=\"\(colour)\" stroke-width=\"1.5\"/>\n"
        }
        svg += bars(im, colour: "#d62728")
        svg += bars(g, colour: "#2ca02c")
        if let threshold, threshold >= lo, threshold <= hi {
            svg +=
                "<line x1=\"\(f(x(threshold)))\" y1=\"\(f(top))\" x2=\"\(f(x(threshold)))\" y2=\"\(f(top + plotH))\" stroke=\"black\" stroke-dasharray=\"6,4\"/>\n"
            svg += text(
                x(threshold) + 4, top + 14, "threshold \(trim(threshold, step: 0.0001)) (\(thresholdLabel))",
                anchor: "start", size: 11)
        }
        let legendX = left + plotW - 190
        svg +=
            "<rect x=\"\(f(legendX - 8))\" y=\"\(f(top + 16))\" width=\"186\" height=\"48\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>\n"
        svg +=
            "<rect x=\"\(f(legendX))\" y=\"\(f(top + 24))\" width=\"12\" height=\"12\" fill=\"#2ca02c\" fill-opacity=\"0.5\"/>\n"
        svg += text(legendX + 18, top + 35, "genuine (\(scores.genuine.count))", anchor: "start", size: 12)
        svg +=
            "<rect x=\"\(f(legendX))\" y=\"\(f(top + 44))\" width=\"12\" height=\"12\" fill=\"#d62728\" fill-opacity=\"0.5\"/>\n"
        svg += text(legendX + 18, top + 55, "impostor (\(scores.impostor.count))", anchor: "start", size: 12)
        let direction = scores.direction == .higherIsMoreSimilar ? "higher = more similar" : "lower = more similar"
        svg += text(left + plotW / 2, height - 20, "\(scoreName) score (\(direction))", anchor: "middle", size: 14)
        svg +=
            "<text x=\"18\" y=\"\(f(top + plotH / 2))\" font-family=\"sans-serif\" font-size=\"14\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(f(top + plotH / 2)))\">fraction of comparisons per bin</text>\n"
        svg += "</svg>\n"
        return svg
    }

    static func header(width: Double, height: Double, title: String) -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\">\n"
            + "<rect width=\"100%\" height=\"100%\" fill=\"#fafafa\"/>\n"
            + text(width / 2, 28, title, anchor: "middle", size: 16)
    }

    static func text(_ x: Double, _ y: Double, _ s: String, anchor: String, size: Int, colour: String = "black")
        -> String
    {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" font-family=\"sans-serif\" font-size=\"\(size)\" text-anchor=\"\(anchor)\" fill=\"\(colour)\">\(escape(s))</text>\n"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    static func percent(_ p: Double) -> String {
        let v = p * 100
        if v >= 10 { return String(format: "%.0f%%", v) }
        if v >= 1 { return String(format: "%.1f%%", v) }
        if v >= 0.1 { return String(format: "%.2f%%", v) }
        return String(format: "%.3f%%", v)
    }

    /// 1, 2 or 5 × 10^k closest above `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        for m in [1.0, 2.0, 5.0, 10.0] where m * magnitude >= raw { return m * magnitude }
        return 10 * magnitude
    }

    static func trim(_ v: Double, step: Double) -> String {
        let decimals = max(0, Int((-log10(step)).rounded(.up)))
        let s = String(format: "%.\(decimals)f", abs(v) < step / 1e6 ? 0 : v)
        return s
    }
}
