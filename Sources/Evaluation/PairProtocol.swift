/// How comparisons are drawn from a labelled set.
///
/// - All-pairs protocol (``allPairs(_:impostors:seed:)``): every genuine pair (two images of one identity),
///   plus impostor pairs (two images of different identities *in the same set*) sampled without
///   replacement with a seeded generator.
/// - Chip protocol (``chipPairs(_:impostors:seed:)``): each identity's first image is the reference (the
///   simulated chip portrait); the other images are probes. Genuine: reference vs the same identity's
///   probes. Impostor: reference vs other identities' probes in the same set (sampled likewise).
///
/// Pairs come out sorted (genuine first, then impostors, each by reference then probe index), so a run
/// is reproducible from `--seed`.
public enum PairProtocol {
    /// When the number of candidate impostor pairs exceeds this, they are sampled by rejection instead of
    /// being listed (memory stays bounded).
    static let enumerationLimit = 4_000_000

    /// The default impostor count: ten times the number of genuine pairs (at least 1000).
    public static func defaultImpostorCount(genuine: Int) -> Int { max(1000, 10 * genuine) }

    /// All genuine pairs and `impostors` sampled impostor pairs (all of them when there are fewer;
    /// `nil` means ``defaultImpostorCount(genuine:)``). `a < b` in every pair.
    public static func allPairs(_ images: [LabelledImage], impostors: Int?, seed: UInt64) -> [ImagePair] {
        var byIdentity: [String: [Int]] = [:]
        for (i, image) in images.enumerated() { byIdentity[image.identity, default: []].append(i) }
        var genuine: [ImagePair] = []
        for members in byIdentity.values {
            for x in 0..<members.count {
                for y in (x + 1)..<max(x + 1, members.count) {
                    genuine.append(ImagePair(a: members[x], b: members[y], same: true))
                }
            }
        }
        genuine.sort { ($0.a, $0.b) < ($1.a, $1.b) }
        let wanted = impostors ?? defaultImpostorCount(genuine: genuine.count)
        var bySet: [String: [Int]] = [:]
        for (i, image) in images.enumerated() { bySet[image.set, default: []].append(i) }
        let groups = bySet.keys.sorted().map { (left: bySet[$0]!, right: bySet[$0]!) }
        let impostorPairs = sampleImpostors(groups: groups, images: images, unordered: true, wanted: wanted, seed: seed)
        return genuine + impostorPairs
    }

    /// The chip protocol. Returns the reference image of each identity (its first image) and the pairs,
    /// whose `a` is the reference image index and `b` the probe index.
    public static func chipPairs(
        _ images: [LabelledImage], impostors: Int?,
        seed: UInt64
    ) -> (references: [Int], pairs: [ImagePair]) {
        var reference: [String: Int] = [:]
        var references: [Int] = []
        var probes: [Int] = []
        for (i, image) in images.enumerated() {
            if reference[image.identity] == nil {
                reference[image.identity] = i
                references.append(i)
            } else {
                probes.append(i)
            }
        }
        var genuine: [ImagePair] = []
        for p in probes { genuine.append(ImagePair(a: reference[images[p].identity]!, b: p, same: true)) }
        genuine.sort { ($0.a, $0.b) < ($1.a, $1.b) }
        let wanted = impostors ?? defaultImpostorCount(genuine: genuine.count)
        var refsBySet: [String: [Int]] = [:]
        var probesBySet: [String: [Int]] = [:]
        for r in references { refsBySet[images[r].set, default: []].append(r) }
        for p in probes { probesBySet[images[p].set, default: []].append(p) }
        let groups = refsBySet.keys.sorted().compactMap { key -> (left: [Int], right: [Int])? in
            guard let right = probesBySet[key] else { return nil }
            return (left: refsBySet[key]!, right: right)
        }
        let impostorPairs = sampleImpostors(
            groups: groups, images: images, unordered: false, wanted: wanted, seed: seed)
        return (references, genuine + impostorPairs)
    }

    /// Samples `wanted` distinct impostor pairs (different identity) from `left × right` within each
    /// group, uniformly over all candidates. `unordered`: left and right are the same list and only
    /// `a < b` counts.
    static func sampleImpostors(
        groups: [(left: [Int], right: [Int])], images: [LabelledImage], unordered: Bool,
        wanted: Int, seed: UInt64, enumerationLimit: Int = enumerationLimit
    ) -> [ImagePair] {
        guard wanted > 0 else { return [] }
        // Upper bound on candidates (before removing same-identity pairs), per group.
        let sizes = groups.map { unordered ? $0.left.count * ($0.left.count - 1) / 2 : $0.left.count * $0.right.count }
        let totalUpper = sizes.reduce(0, +)
        var rng = SeededGenerator(seed: seed)
        var chosen: [ImagePair] = []
        if totalUpper <= enumerationLimit {
            var candidates: [(Int32, Int32)] = []
            candidates.reserveCapacity(totalUpper)
            for group in groups {
                for (x, a) in group.left.enumerated() {
                    let rights = unordered ? Array(group.left[(x + 1)...]) : group.right
                    for b in rights where images[a].identity != images[b].identity {
                        candidates.append((Int32(a), Int32(b)))
                    }
                }
            }
            let n = min(wanted, candidates.count)
            for i in 0..<n {  // partial Fisher–Yates
                let j = i + rng.next(below: candidates.count - i)
                candidates.swapAt(i, j)
            }
            chosen = candidates[0..<n].map { ImagePair(a: Int($0.0), b: Int($0.1), same: false) }
        } else {
            // Rejection sampling: a group weighted by its candidate count, then a uniform pair in it.
            let target = min(wanted, totalUpper / 2)
            var cumulative: [Int] = []
            var running = 0
            for s in sizes {
                running += s
                cumulative.append(running)
            }
            var seen = Set<ImagePair>()
            while seen.count < target {
                let r = rng.next(below: totalUpper)
                var g = 0
                while cumulative[g] <= r { g += 1 }
                let group = groups[g]
                var a: Int
                var b: Int
                if unordered {
                    let x = rng.next(below: group.left.count)
                    let y = rng.next(below: group.left.count)
                    if x == y { continue }
                    a = group.left[min(x, y)]
                    b = group.left[max(x, y)]
                } else {
                    a = group.left[rng.next(below: group.left.count)]
                    b = group.right[rng.next(below: group.right.count)]
                }
                if images[a].identity == images[b].identity { continue }
                seen.insert(ImagePair(a: a, b: b, same: false))
            }
            chosen = Array(seen)
        }
        chosen.sort { ($0.a, $0.b) < ($1.a, $1.b) }
        return chosen
    }
}
