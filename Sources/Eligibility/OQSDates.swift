import Foundation
import MynaCard

/// A calendar date as the OQS XML writes it: `YYYYMMDD` (for example `20261125`), no time zone.
public struct CalendarDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Gregorian year, 1…9999.
    public let year: Int
    /// Month, 1…12.
    public let month: Int
    /// Day of the month, 1…(days in that month).
    public let day: Int

    /// Creates a date, or nil when the fields do not name a real Gregorian day.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...CalendarDate.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYYMMDD`; nil for anything else (wrong length, non-digits, impossible day).
    public init?(yyyymmdd text: String) {
        guard let digits = CalendarDate.digits(text, count: 8) else { return nil }
        self.init(
            year: digits[0...3].reduce(0) { $0 * 10 + $1 },
            month: digits[4] * 10 + digits[5], day: digits[6] * 10 + digits[7])
    }

    /// The same day as a card's date (nil only for the year 0, which a card-face file may encode but OQS cannot).
    public init?(_ date: CardDate) { self.init(year: date.year, month: date.month, day: date.day) }

    /// The day `date` falls on in `timeZone` (Japan Standard Time for OQS).
    public init(_ date: Date, timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        self.year = c.year ?? 1970
        self.month = c.month ?? 1
        self.day = c.day ?? 1
    }

    /// `YYYYMMDD`.
    public var yyyymmdd: String { CalendarDate.pad(year, 4) + CalendarDate.pad(month, 2) + CalendarDate.pad(day, 2) }

    public var description: String { yyyymmdd }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = CalendarDate(yyyymmdd: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "not a YYYYMMDD date: \(text.prefix(20))")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(yyyymmdd)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func digits(_ text: String, count: Int) -> [Int]? {
        let bytes = Array(text.utf8)
        guard bytes.count == count, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return bytes.map { Int($0 - 0x30) }
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let s = String(value)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
}

/// A local date and time as the OQS XML writes it: `YYYYMMDDHHmmss` (for example `20261125093000`), in Japan
/// Standard Time by convention (the zone is set by ``QualificationXMLProfile/timeZone``).
public struct OQSTimestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The day.
    public let date: CalendarDate
    /// Hour 0…23.
    public let hour: Int
    /// Minute 0…59.
    public let minute: Int
    /// Second 0…59.
    public let second: Int

    /// Creates a timestamp, or nil when a field is out of range.
    public init?(date: CalendarDate, hour: Int, minute: Int, second: Int) {
        guard (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second) else { return nil }
        self.date = date
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// Parses `YYYYMMDDHHmmss`; nil for anything else.
    public init?(yyyymmddhhmmss text: String) {
        guard let d = CalendarDate.digits(text, count: 14),
            let day = CalendarDate(
                year: d[0...3].reduce(0) { $0 * 10 + $1 }, month: d[4] * 10 + d[5], day: d[6] * 10 + d[7])
        else { return nil }
        self.init(date: day, hour: d[8] * 10 + d[9], minute: d[10] * 10 + d[11], second: d[12] * 10 + d[13])
    }

    /// The wall-clock time of `instant` in `timeZone`, truncated to whole seconds.
    public init(_ instant: Date, timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: instant)
        self.date = CalendarDate(instant, timeZone: timeZone)
        self.hour = c.hour ?? 0
        self.minute = c.minute ?? 0
        self.second = min(c.second ?? 0, 59)
    }

    /// `YYYYMMDDHHmmss`.
    public var text: String {
        date.yyyymmdd + CalendarDate.pad(hour, 2) + CalendarDate.pad(minute, 2) + CalendarDate.pad(second, 2)
    }

    public var description: String { text }

    /// The instant this wall-clock time denotes in `timeZone`.
    public func instant(in timeZone: TimeZone) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let components = DateComponents(
            year: date.year, month: date.month, day: date.day,
            hour: hour, minute: minute, second: second)
        return calendar.date(from: components) ?? Date(timeIntervalSince1970: 0)
    }

    public static func < (lhs: OQSTimestamp, rhs: OQSTimestamp) -> Bool {
        (lhs.date, lhs.hour, lhs.minute, lhs.second) < (rhs.date, rhs.hour, rhs.minute, rhs.second)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = OQSTimestamp(yyyymmddhhmmss: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "not a YYYYMMDDHHmmss time: \(text.prefix(20))")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}
