import RegieModel
import Testing

/// ISRC (ISO 3901): what the rights bodies' reports take, and why a code is refused.
@Suite struct ISRCTests {
    @Test func writtenWithOrWithoutHyphensInAnyCase() throws {
        #expect(try ISRC.parse("FR-Z03-14-00123").get() == "FRZ031400123")
        #expect(try ISRC.parse("frz031400123").get() == "FRZ031400123")
        #expect(try ISRC.parse("USRC17607839").get() == "USRC17607839")
    }

    @Test func eachPartRefusedWithItsReason() {
        #expect(ISRC.parse("FRZ0314001234") == .failure(.length(13)))
        #expect(ISRC.parse("") == .failure(.length(0)))
        #expect(ISRC.parse("F1Z031400123") == .failure(.country("F1")))
        #expect(ISRC.parse("FRZ_31400123") == .failure(.registrant("Z_3")))
        #expect(ISRC.parse("FRZ03X400123") == .failure(.year("X4")))
        #expect(ISRC.parse("FRZ03140012O") == .failure(.designation("0012O")))
        #expect(ISRC.parse("FRÉ031400123") == .failure(.registrant("É03")))
    }
}
