import Foundation
import GRDB

/// One qualification (資格) of a person in the local registry.
public struct RegistryQualification: Sendable, Hashable {
    /// 被保険者証区分.
    public var cardClassification: InsuredCardClassification
    /// 保険者番号 (6 or 8 digits).
    public var insurerNumber: String
    /// 保険者名称.
    public var insurerName: String?
    /// 被保険者証記号.
    public var symbol: String?
    /// 被保険者証番号.
    public var number: String
    /// 被保険者証枝番.
    public var branch: String?
    /// 本人・家族の別.
    public var personalFamily: PersonalFamilyClassification
    /// 被保険者氏名(世帯主氏名), for a dependant.
    public var insuredName: String?
    /// 資格取得年月日: first valid day.
    public var qualificationDate: CalendarDate
    /// 資格喪失年月日: first day no longer valid (nil: still insured).
    public var disqualificationDate: CalendarDate?
    /// 一部負担金割合.
    public var contributionRatio: ContributionRatio?
    /// 限度額適用認定証適用区分.
    public var limitClass: LimitApplicationClass?
    /// 高齢受給者証の一部負担金割合 (70–74), when the person holds one.
    public var elderlyContributionRatio: ContributionRatio?

    /// Creates the value from its fields (see each property for units and formats).
    public init(
        cardClassification: InsuredCardClassification = .general, insurerNumber: String,
        insurerName: String? = nil, symbol: String?, number: String, branch: String?,
        personalFamily: PersonalFamilyClassification = .insuredPerson, insuredName: String? = nil,
        qualificationDate: CalendarDate, disqualificationDate: CalendarDate? = nil,
        contributionRatio: ContributionRatio? = nil, limitClass: LimitApplicationClass? = nil,
        elderlyContributionRatio: ContributionRatio? = nil
    ) {
        self.cardClassification = cardClassification
        self.insurerNumber = insurerNumber
        self.insurerName = insurerName
        self.symbol = symbol
        self.number = number
        self.branch = branch
        self.personalFamily = personalFamily
        self.insuredName = insuredName
        self.qualificationDate = qualificationDate
        self.disqualificationDate = disqualificationDate
        self.contributionRatio = contributionRatio
        self.limitClass = limitClass
        self.elderlyContributionRatio = elderlyContributionRatio
    }

    /// True when valid on `date`: QualificationDate ≤ date < DisqualificationDate.
    public func isValid(on date: CalendarDate) -> Bool {
        qualificationDate <= date && (disqualificationDate.map { date < $0 } ?? true)
    }
}

/// A person in the local registry, with every qualification they held.
public struct RegistryPerson: Sendable, Hashable {
    /// The card-holder key (see ``CardHolderKeyPolicy``); nil for someone without a linked card.
    public var cardHolderKey: String?
    /// 生年月日.
    public var birthdate: CalendarDate
    /// 氏名.
    public var name: String
    /// 氏名カナ.
    public var nameKana: String
    /// 性別.
    public var sex: OQSSex
    /// The qualifications, any order.
    public var qualifications: [RegistryQualification]
    /// The card is registered for insurance use (健康保険証利用登録); the card route finds only registered persons.
    public var isRegisteredForInsurance: Bool

    /// Creates the value from its fields (see each property for units and formats).
    public init(
        cardHolderKey: String?, birthdate: CalendarDate, name: String, nameKana: String, sex: OQSSex,
        qualifications: [RegistryQualification], isRegisteredForInsurance: Bool = true
    ) {
        self.isRegisteredForInsurance = isRegisteredForInsurance
        self.cardHolderKey = cardHolderKey
        self.birthdate = birthdate
        self.name = name
        self.nameKana = nameKana
        self.sex = sex
        self.qualifications = qualifications
    }
}

/// An embedded stand-in for the qualification service: a registry of insured persons in SQLite (GRDB) that
/// answers as the real service would.
///
/// Schema (migration `v1`): `person(id, card_holder_key, birthdate, name, name_kana, sex)` and
/// `qualification(id, person_id → person, card_classification, insurer_number, insurer_name, symbol, number,
/// branch, personal_family, insured_name, qualification_date, disqualification_date, contribution_ratio,
/// limit_class, elderly_ratio)`; dates are `YYYYMMDD` text.
///
/// How it answers, for the request's QualificationConfirmationDate `d` (valid means
/// QualificationDate ≤ d < DisqualificationDate):
/// - card route (1): persons whose card-holder key (and birth date) match. None → 4 not found; several persons →
///   5; one person: one valid qualification → 1 valid; several valid → 5; none valid but some held → 2 invalid
///   (the latest one); none at all → 4.
/// - insurance-card route (2): qualifications with that insurer number, symbol, number and branch (absent symbol
///   or branch match empty), held by a person with that birth date. None → 4; from several persons → 5; a matched
///   one valid → 1 (several → 5); otherwise, if the same person holds another valid qualification → 3 (the
///   queried one first, the new one second); otherwise → 2.
/// An unregistered card (migration `v2`: `person.insurance_registered` 0) is not found on the card route (4) until
/// ``register(cardHolderKey:)`` links it (初回登録). ProcessingResultStatus is 1 in every case; consents from the request are echoed on each qualification with an
/// available time 24 h after the consent.
public struct LocalQualificationRegistry: QualificationService {
    private let database: DatabaseQueue

    /// Opens (creating and migrating when needed) the registry file at `path`.
    /// - Throws: ``EligibilityError/registry(reason:)``.
    public init(path: String) throws {
        do {
            database = try DatabaseQueue(path: path)
            try Self.migrator.migrate(database)
        } catch {
            throw EligibilityError.registry(reason: "opening \(path): \(Self.message(error))")
        }
    }

    /// An empty registry in memory.
    /// - Throws: ``EligibilityError/registry(reason:)``.
    public init() throws {
        do {
            database = try DatabaseQueue()
            try Self.migrator.migrate(database)
        } catch {
            throw EligibilityError.registry(reason: "in-memory registry: \(Self.message(error))")
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "person") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("card_holder_key", .text).indexed()
                t.column("birthdate", .text).notNull()
                t.column("name", .text).notNull()
                t.column("name_kana", .text).notNull()
                t.column("sex", .text).notNull()
            }
            try db.create(table: "qualification") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("person_id", .integer).notNull().indexed().references("person", onDelete: .cascade)
                t.column("card_classification", .text).notNull()
                t.column("insurer_number", .text).notNull()
                t.column("insurer_name", .text)
                t.column("symbol", .text).notNull().defaults(to: "")
                t.column("number", .text).notNull()
                t.column("branch", .text).notNull().defaults(to: "")
                t.column("personal_family", .text).notNull()
                t.column("insured_name", .text)
                t.column("qualification_date", .text).notNull()
                t.column("disqualification_date", .text)
                t.column("contribution_ratio", .text)
                t.column("limit_class", .text)
                t.column("elderly_ratio", .text)
            }
            try db.create(
                index: "qualification_card", on: "qualification",
                columns: ["insurer_number", "symbol", "number", "branch"])
        }
        migrator.registerMigration("v2") { db in
            try db.alter(table: "person") { t in
                t.add(column: "insurance_registered", .integer).notNull().defaults(to: 1)
            }
        }
        return migrator
    }

    /// Whether the person with `cardHolderKey` is registered for insurance use; nil when nobody has the key.
    /// - Throws: ``EligibilityError/registry(reason:)``.
    public func isRegistered(cardHolderKey: String) throws -> Bool? {
        do {
            return try database.read { db in
                try Int.fetchOne(
                    db, sql: "SELECT MAX(insurance_registered) FROM person WHERE card_holder_key = ?",
                    arguments: [cardHolderKey]
                ).map { $0 != 0 }
            }
        } catch {
            throw EligibilityError.registry(reason: "reading registration: \(Self.message(error))")
        }
    }

    /// Registers the card of `cardHolderKey` for insurance use (初回登録, after the card's PIN was accepted).
    /// - Returns: true when a person was registered (false: nobody has the key).
    /// - Throws: ``EligibilityError/registry(reason:)``.
    @discardableResult
    public func register(cardHolderKey: String, registered: Bool = true) throws -> Bool {
        do {
            return try database.write { db in
                try db.execute(
                    sql: "UPDATE person SET insurance_registered = ? WHERE card_holder_key = ?",
                    arguments: [registered ? 1 : 0, cardHolderKey])
                return db.changesCount > 0
            }
        } catch {
            throw EligibilityError.registry(reason: "registering: \(Self.message(error))")
        }
    }

    /// Adds a person and their qualifications.
    /// - Returns: the person's row id.
    /// - Throws: ``EligibilityError/registry(reason:)``.
    @discardableResult
    public func add(_ person: RegistryPerson) throws -> Int64 {
        do {
            return try database.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO person (card_holder_key, birthdate, name, name_kana, sex, insurance_registered)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        person.cardHolderKey, person.birthdate.yyyymmdd, person.name,
                        person.nameKana, person.sex.code, person.isRegisteredForInsurance ? 1 : 0,
                    ])
                let id = db.lastInsertedRowID
                for q in person.qualifications {
                    try db.execute(
                        sql: """
                            INSERT INTO qualification (person_id, card_classification, insurer_number, insurer_name, symbol,
                              number, branch, personal_family, insured_name, qualification_date, disqualification_date,
                              contribution_ratio, limit_class, elderly_ratio)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [
                            id, q.cardClassification.code, q.insurerNumber, q.insurerName, q.symbol ?? "",
                            q.number, q.branch ?? "", q.personalFamily.code, q.insuredName,
                            q.qualificationDate.yyyymmdd, q.disqualificationDate?.yyyymmdd,
                            q.contributionRatio?.code, q.limitClass?.code, q.elderlyContributionRatio?.code,
                        ])
                }
                return id
            }
        } catch {
            throw EligibilityError.registry(reason: "adding a person: \(Self.message(error))")
        }
    }

    /// The number of persons in the registry.
    /// - Throws: ``EligibilityError/registry(reason:)``.
    public func personCount() throws -> Int {
        do {
            return try database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM person") ?? 0 }
        } catch {
            throw EligibilityError.registry(reason: "counting persons: \(Self.message(error))")
        }
    }

    /// Answers the request from the registry (see the type's documentation for the rules).
    /// - Throws: ``EligibilityError/registry(reason:)``.
    public func check(_ request: QualificationRequest) async throws -> QualificationResult {
        try answer(request)
    }

    /// The synchronous form of ``check(_:)``.
    /// - Throws: ``EligibilityError/registry(reason:)``.
    public func answer(
        _ request: QualificationRequest, now: Date = Date(),
        timeZone: TimeZone = QualificationXMLProfile.japanStandardTime
    ) throws -> QualificationResult {
        let rows: [MatchedRow]
        do {
            rows = try database.read { db in try Self.match(request, in: db) }
        } catch {
            throw EligibilityError.registry(reason: "looking up: \(Self.message(error))")
        }
        let day = request.qualificationConfirmationDate
        let (validity, chosen) = Self.decide(rows, on: day, route: request.referenceClassification)
        return QualificationResult(
            header: ResultHeader(
                processExecutionTime: OQSTimestamp(now, timeZone: timeZone),
                qualificationConfirmationDate: day,
                medicalInstitutionCode: request.medicalInstitutionCode,
                arbitraryFileIdentifier: request.arbitraryFileIdentifier,
                referenceClassification: request.referenceClassification,
                segmentOfResult: .normal, characterCodeIdentifier: "0"),
            processingResultStatus: .normal,
            validity: validity,
            qualifications: chosen.map { Self.record($0, consents: request.consents, timeZone: timeZone) })
    }

    // MARK: - Matching

    struct MatchedRow {
        var personID: Int64
        var qualificationID: Int64
        var person: RegistryPerson
        var qualification: RegistryQualification
        var matchedKey: Bool
    }

    private static func match(_ request: QualificationRequest, in db: Database) throws -> [MatchedRow] {
        let base = """
            SELECT p.id AS pid, p.card_holder_key, p.birthdate, p.name, p.name_kana, p.sex, q.*
            FROM person p JOIN qualification q ON q.person_id = p.id
            """
        switch request.referenceClassification {
        case .myNumberCard:
            guard let key = request.cardHolderKey else { return [] }
            var sql = base + " WHERE p.card_holder_key = ? AND p.insurance_registered = 1"
            var arguments: StatementArguments = [key]
            if let birth = request.birthdate {
                sql += " AND p.birthdate = ?"
                arguments += [birth.yyyymmdd]
            }
            return try Row.fetchAll(db, sql: sql + " ORDER BY q.qualification_date, q.id", arguments: arguments)
                .map { try row($0, matched: true) }
        case .insuranceCard:
            guard let insurer = request.insurerNumber, let number = request.insuredIdentificationNumber,
                let birth = request.birthdate
            else { return [] }
            let matched = try Row.fetchAll(
                db,
                sql: base + """
                     WHERE q.insurer_number = ? AND q.symbol = ? AND q.number = ? AND q.branch = ? AND p.birthdate = ?
                     ORDER BY q.qualification_date, q.id
                    """,
                arguments: [
                    insurer, request.insuredCardSymbol ?? "", number, request.insuredBranchNumber ?? "",
                    birth.yyyymmdd,
                ]
            ).map { try row($0, matched: true) }
            let personIDs = Set(matched.map(\.personID))
            guard personIDs.count == 1, let pid = personIDs.first else { return matched }
            let matchedIDs = Set(matched.map { $0.qualificationID })
            let others = try Row.fetchAll(
                db, sql: base + " WHERE p.id = ? ORDER BY q.qualification_date, q.id",
                arguments: [pid]
            ).map { try row($0, matched: false) }
                .filter { !matchedIDs.contains($0.qualificationID) }
            return matched + others
        case .unrecognized:
            return []
        }
    }

    private static func row(_ r: Row, matched: Bool) throws -> MatchedRow {
        func date(_ column: String) throws -> CalendarDate? {
            guard let text: String = r[column] else { return nil }
            guard let value = CalendarDate(yyyymmdd: text) else {
                throw EligibilityError.registry(reason: "column \(column) holds a malformed date")
            }
            return value
        }
        guard let birth = try date("birthdate"), let from = try date("qualification_date") else {
            throw EligibilityError.registry(reason: "a row lacks birthdate or qualification_date")
        }
        let symbol: String = r["symbol"] ?? ""
        let branch: String = r["branch"] ?? ""
        let q = RegistryQualification(
            cardClassification: InsuredCardClassification(code: r["card_classification"] ?? ""),
            insurerNumber: r["insurer_number"] ?? "", insurerName: r["insurer_name"],
            symbol: symbol.isEmpty ? nil : symbol, number: r["number"] ?? "", branch: branch.isEmpty ? nil : branch,
            personalFamily: PersonalFamilyClassification(code: r["personal_family"] ?? ""),
            insuredName: r["insured_name"], qualificationDate: from,
            disqualificationDate: try date("disqualification_date"),
            contributionRatio: (r["contribution_ratio"] as String?).map(ContributionRatio.init(code:)),
            limitClass: (r["limit_class"] as String?).map(LimitApplicationClass.init(code:)),
            elderlyContributionRatio: (r["elderly_ratio"] as String?).map(ContributionRatio.init(code:)))
        let person = RegistryPerson(
            cardHolderKey: r["card_holder_key"], birthdate: birth, name: r["name"] ?? "",
            nameKana: r["name_kana"] ?? "", sex: OQSSex(code: r["sex"] ?? "3"), qualifications: [])
        return MatchedRow(
            personID: r["pid"], qualificationID: r["id"], person: person, qualification: q, matchedKey: matched)
    }

    static func decide(
        _ rows: [MatchedRow], on day: CalendarDate,
        route: ReferenceClassification
    ) -> (QualificationValidity, [MatchedRow]) {
        let matched = rows.filter(\.matchedKey)
        guard !matched.isEmpty else { return (.notFound, []) }
        if Set(matched.map(\.personID)).count > 1 { return (.severalFound, matched) }
        let valid = matched.filter { $0.qualification.isValid(on: day) }
        if valid.count == 1 { return (.valid, valid) }
        if valid.count > 1 { return (.severalFound, valid) }
        let latest = matched.max { $0.qualification.qualificationDate < $1.qualification.qualificationDate }!
        if let newer = rows.filter({ !$0.matchedKey && $0.qualification.isValid(on: day) })
            .max(by: { $0.qualification.qualificationDate < $1.qualification.qualificationDate })
        {
            return (.invalidWithNewQualification, [latest, newer])
        }
        return (.invalid, [latest])
    }

    private static func record(_ m: MatchedRow, consents: ConsentRecords, timeZone: TimeZone) -> QualificationRecord {
        let q = m.qualification
        let p = m.person
        func echo(_ c: ConsentRecord?) -> ConsentRecord? {
            guard let c else { return nil }
            let available =
                c.flag == .agreed
                ? c.time.map { OQSTimestamp($0.instant(in: timeZone).addingTimeInterval(86_400), timeZone: timeZone) }
                : nil
            return ConsentRecord(flag: c.flag, time: c.time, availableTime: available)
        }
        return QualificationRecord(
            insuredCardClassification: q.cardClassification, insurerNumber: q.insurerNumber, insurerName: q.insurerName,
            insuredCardSymbol: q.symbol, insuredIdentificationNumber: q.number, insuredBranchNumber: q.branch,
            personalFamilyClassification: q.personalFamily, insuredName: q.insuredName, name: p.name,
            nameKana: p.nameKana, sex1: p.sex, birthdate: p.birthdate, qualificationDate: q.qualificationDate,
            disqualificationDate: q.disqualificationDate, insuredPartialContributionRatio: q.contributionRatio,
            elderlyRecipientCertificate: q.elderlyContributionRatio.map {
                ElderlyRecipientCertificateInfo(contributionRatio: $0)
            },
            limitApplicationCertificate: q.limitClass.map { LimitApplicationCertificateInfo(classificationFlag: $0) },
            specificHealthCheckupsInfoConsent: echo(consents.specificHealthCheckupsInfo),
            pharmacistsInfoConsent: echo(consents.pharmacistsInfo),
            diagnosisInfoConsent: echo(consents.diagnosisInfo),
            operationInfoConsent: echo(consents.operationInfo))
    }

    private static func message(_ error: any Error) -> String {
        if let e = error as? DatabaseError { return e.message ?? "SQLite error \(e.resultCode.rawValue)" }
        if let e = error as? EligibilityError { return e.description }
        return "\(type(of: error))"
    }
}
