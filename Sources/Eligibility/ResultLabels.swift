import Foundation

/// One line of a result shown to staff: a Japanese label and the value as the result carries it.
public struct LabelledField: Sendable, Hashable {
    /// The Japanese label (e.g. 氏名).
    public var label: String
    /// The value (codes with their Japanese names where known).
    public var value: String

    /// A label and its value.
    public init(label: String, value: String) {
        self.label = label
        self.value = value
    }
}

extension QualificationResult {
    /// Every field present, in document order, with Japanese labels — what staff see at the desk. Contains personal
    /// data: for the screen, never for logs.
    public var labelledFields: [LabelledField] {
        var out: [LabelledField] = []
        func add(_ label: String, _ value: String?) {
            if let value, !value.isEmpty { out.append(LabelledField(label: label, value: value)) }
        }
        func code<C: OQSCodedValue>(_ label: String, _ value: C?, _ name: String?) {
            guard let value else { return }
            add(label, name.map { "\(value.code) \($0)" } ?? value.code)
        }
        func consent(_ label: String, _ c: ConsentRecord?) {
            guard let c else { return }
            let flag = c.flag == .agreed ? "1 同意" : c.flag == .notAgreed ? "0 未同意" : c.flag.code
            add(
                label,
                [flag, c.time.map { "同意日時 \($0.text)" }, c.availableTime.map { "閲覧有効期限 \($0.text)" }]
                    .compactMap { $0 }.joined(separator: " / "))
        }
        let h = header
        add("処理実行日時", h.processExecutionTime?.text)
        add("資格確認日", h.qualificationConfirmationDate?.yyyymmdd)
        add("医療機関コード", h.medicalInstitutionCode)
        add("任意のファイル識別子", h.arbitraryFileIdentifier)
        code(
            "照会区分", h.referenceClassification,
            h.referenceClassification.map {
                $0 == .myNumberCard ? "マイナンバーカード" : $0 == .insuranceCard ? "被保険者証情報" : "不明"
            })
        code(
            "処理結果区分", h.segmentOfResult,
            h.segmentOfResult == .normal
                ? "正常終了" : h.segmentOfResult == .processing ? "処理中" : h.segmentOfResult == .error ? "異常終了" : nil)
        add("エラーコード", h.errorCode)
        add("エラーメッセージ", h.errorMessage)
        add("文字コード識別", h.characterCodeIdentifier.map { $0 == "0" ? "0 UTF-8" : $0 == "1" ? "1 Shift_JIS" : $0 })
        code(
            "処理結果状況", processingResultStatus,
            processingResultStatus == .normal ? "正常終了" : processingResultStatus == .error ? "エラー" : nil)
        add("処理結果コード", processingResultCode)
        add("処理結果メッセージ", processingResultMessage)
        if let v = validity {
            let names = ["1": "有効", "2": "無効", "3": "無効(新しい資格あり)", "4": "該当資格なし", "5": "複数該当", "6": "有効(未登録)"]
            code("資格有効性", v, names[v.code])
        }
        code("処方箋発行形態", prescriptionIssueSelect, prescriptionIssueSelect?.japaneseLabel)
        if let s = searchInfo {
            add("照会キー 保険者番号", s.insurerNumber)
            add("照会キー 記号", s.insuredCardSymbol)
            add("照会キー 番号", s.insuredIdentificationNumber)
            add("照会キー 枝番", s.insuredBranchNumber)
            add("照会キー 生年月日", s.birthdate?.yyyymmdd)
            code("照会キー 限度額適用認定証提供同意", s.limitApplicationCertificateRelatedConsFlg, nil)
            add("照会キー 任意の識別子", s.arbitraryIdentifier)
        }
        for (index, q) in qualifications.enumerated() {
            let p = qualifications.count > 1 ? "[\(index + 1)] " : ""
            code(p + "被保険者証区分", q.insuredCardClassification, q.insuredCardClassification?.japaneseName)
            add(p + "保険者番号", q.insurerNumber)
            add(p + "保険者名称", q.insurerName)
            add(p + "被保険者証記号", q.insuredCardSymbol)
            add(p + "被保険者証番号", q.insuredIdentificationNumber)
            add(p + "被保険者証枝番", q.insuredBranchNumber)
            code(
                p + "本人・家族の別", q.personalFamilyClassification,
                q.personalFamilyClassification.map { $0 == .insuredPerson ? "本人" : $0 == .dependant ? "家族" : "不明" })
            add(p + "被保険者氏名", q.insuredName)
            add(p + "氏名", q.name)
            add(p + "氏名(その他)", q.nameOfOther)
            add(p + "氏名カナ", q.nameKana)
            add(p + "氏名(その他)カナ", q.nameOfOtherKana)
            code(
                p + "性別1", q.sex1, q.sex1.map { $0 == .male ? "男" : $0 == .female ? "女" : $0 == .notSet ? "未設定" : "不明" }
            )
            code(
                p + "性別2", q.sex2, q.sex2.map { $0 == .male ? "男" : $0 == .female ? "女" : $0 == .notSet ? "未設定" : "不明" }
            )
            add(p + "生年月日", q.birthdate?.yyyymmdd)
            add(p + "住所", q.address)
            add(p + "郵便番号", q.postNumber)
            add(p + "資格取得年月日", q.qualificationDate?.yyyymmdd)
            add(p + "資格喪失年月日", q.disqualificationDate?.yyyymmdd)
            add(p + "被保険者証交付年月日", q.insuredCertificateIssuanceDate?.yyyymmdd)
            add(p + "被保険者証有効開始年月日", q.insuredCardValidDate?.yyyymmdd)
            add(p + "被保険者証有効終了年月日", q.insuredCardExpirationDate?.yyyymmdd)
            add(
                p + "一部負担金割合",
                q.insuredPartialContributionRatio.map { r in r.percent.map { "\(r.code) (\($0)%)" } ?? r.code })
            code(p + "未就学区分", q.preschoolClassification, q.preschoolClassification?.japaneseLabel)
            code(p + "資格喪失事由", q.reasonOfLoss, q.reasonOfLoss?.japaneseLabel)
            if let e = q.elderlyRecipientCertificate {
                add(p + "高齢受給者証 交付年月日", e.certificateDate?.yyyymmdd)
                add(p + "高齢受給者証 有効開始年月日", e.validStartDate?.yyyymmdd)
                add(p + "高齢受給者証 有効終了年月日", e.validEndDate?.yyyymmdd)
                add(p + "高齢受給者証 一部負担金割合", e.contributionRatio?.code)
            }
            consent(p + "限度額適用認定証提供同意", q.limitApplicationCertificateConsent)
            if let l = q.limitApplicationCertificate {
                code(p + "限度額適用認定証区分", l.classification, l.classification?.japaneseLabel)
                code(p + "限度額適用認定証適用区分", l.classificationFlag, l.classificationFlag?.japaneseName)
                add(p + "限度額適用認定証 交付年月日", l.certificateDate?.yyyymmdd)
                add(p + "限度額適用認定証 有効開始年月日", l.validStartDate?.yyyymmdd)
                add(p + "限度額適用認定証 有効終了年月日", l.validEndDate?.yyyymmdd)
                add(p + "長期入院該当年月日", l.longTermDate?.yyyymmdd)
            }
            code(p + "特定疾病療養受療証提供同意", q.specificDiseasesConsentFlag, q.specificDiseasesConsentFlag?.japaneseLabel)
            add(p + "特定疾病療養受療証提供同意日時", q.specificDiseasesConsentTime?.text)
            for (n, d) in q.specificDiseasesCertificates.enumerated() {
                let dp = p + "特定疾病療養受療証\(n + 1) "
                code(dp + "認定疾病区分", d.category, d.category?.japaneseLabel)
                add(dp + "交付年月日", d.certificateDate?.yyyymmdd)
                add(dp + "有効開始年月日", d.validStartDate?.yyyymmdd)
                add(dp + "有効終了年月日", d.validEndDate?.yyyymmdd)
                add(dp + "自己負担限度額", d.selfPay)
            }
            for (n, t) in q.medicalTickets.enumerated() {
                for (name, label) in MedicalTicketInfo.elementNames { add(p + "医療券\(n + 1) " + label, t[name]) }
            }
            consent(p + "特定健診情報閲覧同意", q.specificHealthCheckupsInfoConsent)
            consent(p + "薬剤情報閲覧同意", q.pharmacistsInfoConsent)
            consent(p + "診療情報閲覧同意", q.diagnosisInfoConsent)
            consent(p + "手術情報閲覧同意", q.operationInfoConsent)
        }
        return out
    }
}
