/// A calendar date as stored on cards (`YYYYMMDD` ASCII), validated as a Gregorian date.
public struct CardDate: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// Year (0…9999).
    public let year: Int
    /// Month (1…12).
    public let month: Int
    /// Day of month (1…31, valid for the month and year).
    public let day: Int

    /// Creates a date; nil when it is not a valid Gregorian date.
    public init?(year: Int, month: Int, day: Int) {
        guard (0...9999).contains(year), (1...12).contains(month), day >= 1,
            day <= CardDate.daysIn(month: month, year: year)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses 8 ASCII digits `YYYYMMDD`; nil when not digits or not a valid date.
    public init?(ascii: [UInt8]) {
        guard ascii.count == 8, ascii.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let d = ascii.map { Int($0 - 0x30) }
        self.init(year: d[0] * 1000 + d[1] * 100 + d[2] * 10 + d[3], month: d[4] * 10 + d[5], day: d[6] * 10 + d[7])
    }

    /// The 8 ASCII digits `YYYYMMDD`.
    public var ascii: [UInt8] {
        let digits = [
            year / 1000, year / 100 % 10, year / 10 % 10, year % 10, month / 10, month % 10, day / 10, day % 10,
        ]
        return digits.map { UInt8(0x30 + $0) }
    }

    /// `YYYY-MM-DD`.
    public var description: String {
        String(decoding: ascii[0..<4] + [0x2D] + ascii[4..<6] + [0x2D] + ascii[6..<8], as: UTF8.self)
    }

    public static func < (a: CardDate, b: CardDate) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
