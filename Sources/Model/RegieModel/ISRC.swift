/// An International Standard Recording Code (ISO 3901): `CC-XXX-YY-NNNNN` — the country of the
/// registrant (two letters), the registrant (three letters or digits), the year of reference (two
/// digits) and the designation (five digits). Written with or without hyphens; kept as the 12
/// characters, upper case, which is how the rights bodies' reports take it.
package enum ISRC {
    /// The 12-character code, or why `text` is not one.
    package static func parse(_ text: String) -> Result<String, Reason> {
        let compact = String(text.filter { $0 != "-" }).uppercased()
        guard compact.count == 12 else { return .failure(.length(compact.count)) }
        let c = Array(compact.unicodeScalars)
        func letter(_ s: Unicode.Scalar) -> Bool { s.isASCII && s.properties.isUppercase }
        func digit(_ s: Unicode.Scalar) -> Bool { s.isASCII && ("0"..."9").contains(s) }
        guard letter(c[0]) && letter(c[1]) else { return .failure(.country(String(compact.prefix(2)))) }
        guard c[2...4].allSatisfy({ letter($0) || digit($0) }) else {
            return .failure(.registrant(String(compact.dropFirst(2).prefix(3))))
        }
        guard c[5...6].allSatisfy(digit) else { return .failure(.year(String(compact.dropFirst(5).prefix(2)))) }
        guard c[7...11].allSatisfy(digit) else { return .failure(.designation(String(compact.suffix(5)))) }
        return .success(compact)
    }

    /// Why a text is not an ISRC.
    package enum Reason: Error, Equatable, CustomStringConvertible {
        case length(Int), country(String), registrant(String), year(String), designation(String)

        package var description: String {
            switch self {
            case .length(let n): "an ISRC has 12 characters (CC-XXX-YY-NNNNN, hyphens aside), found \(n)"
            case .country(let s): "its first two characters are the country code, two letters, found '\(s)'"
            case .registrant(let s): "characters 3 to 5 are the registrant, letters or digits, found '\(s)'"
            case .year(let s): "characters 6 and 7 are the year, two digits, found '\(s)'"
            case .designation(let s): "its last five characters are the designation, digits, found '\(s)'"
            }
        }
    }
}
