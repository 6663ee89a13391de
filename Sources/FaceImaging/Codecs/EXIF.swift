/// Reads the orientation tag from an EXIF APP1 payload (bounds-checked; hostile offsets give nil).
enum EXIF {
    /// `payload` starts with `Exif\0\0` followed by a TIFF header (`II*\0` or `MM\0*`). Returns the value of
    /// tag 0x0112 in IFD0 when it is a SHORT in 1…8, else nil.
    static func orientation(_ payload: UnsafeBufferPointer<UInt8>) -> ExifOrientation? {
        guard payload.count >= 6 + 8 else { return nil }
        let t = 6  // TIFF header start
        let little: Bool
        if payload[t] == 0x49 && payload[t + 1] == 0x49 {
            little = true
        } else if payload[t] == 0x4D && payload[t + 1] == 0x4D {
            little = false
        } else {
            return nil
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= payload.count else { return nil }
            let a = Int(payload[at])
            let b = Int(payload[at + 1])
            return little ? a | b << 8 : a << 8 | b
        }
        func u32(_ at: Int) -> Int? {
            guard let hi = u16(little ? at + 2 : at), let lo = u16(little ? at : at + 2) else { return nil }
            return hi << 16 | lo
        }
        guard u16(t + 2) == 42, let ifdOffset = u32(t + 4) else { return nil }
        let ifd = t + ifdOffset
        guard let count = u16(ifd), count <= 1000 else { return nil }
        for i in 0..<count {
            let entry = ifd + 2 + i * 12
            guard let tag = u16(entry) else { return nil }
            if tag == 0x0112 {
                guard u16(entry + 2) == 3, let n = u32(entry + 4), n >= 1, let value = u16(entry + 8) else {
                    return nil
                }
                return ExifOrientation(rawValue: value)
            }
        }
        return nil
    }
}
