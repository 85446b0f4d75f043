import Testing
@testable import DDCLI

@Suite struct FlagOverrideTests {
    struct Settings: Equatable {
        var steps = 20
        var rate = 0.01
        var name = "default"
        var batch: Int? = nil
    }

    @Test func givenFlagsReplaceTheirFieldAndAbsentOnesLeaveTheDefault() {
        var settings = Settings()
        let table = [FlagOverride("--steps", Int?.some(5), \Settings.steps), FlagOverride("--rate", Double?.none, \.rate),
                     FlagOverride("--name", "x", \.name), FlagOverride("--batch", Int?.none, optional: \.batch)]
        table.apply(to: &settings)
        #expect(settings == Settings(steps: 5, rate: 0.01, name: "x", batch: nil))
        #expect(table.filter(\.isGiven).map(\.flag) == ["--steps", "--name"])
    }

    @Test func anOptionalFieldIsSetOnlyWhenItsFlagIsGiven() {
        var settings = Settings(batch: 7)
        [FlagOverride("--batch", Int?.none, optional: \Settings.batch)].apply(to: &settings)
        #expect(settings.batch == 7)
        let given = FlagOverride("--batch", Int?.some(3), optional: \Settings.batch)
        given.apply(to: &settings)
        #expect(settings.batch == 3 && given.isGiven)
    }
}
