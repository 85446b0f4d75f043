import DDAugment
import Testing
@testable import DDBias

/// DSAStrategy's per-dataset default spells dd-bias's name suffixes itself (it sits below DDBias); every
/// colouring kind must keep its base dataset's choice, so a new or renamed kind cannot turn flip on for digits.
@Suite struct AugmentationDefaultTests {
    @Test func everyColouringKindKeepsItsBaseDatasetsStrategy() {
        for kind in ColoringKind.allCases {
            for split in ["", "/train", "/val"] {
                #expect(DSAStrategy.defaultStrategy(forDataset: "mnist-\(kind.rawValue)\(split)") == .noFlip, "\(kind)")
                #expect(DSAStrategy.defaultStrategy(forDataset: "fashion-mnist-\(kind.rawValue)\(split)") == .full, "\(kind)")
            }
        }
    }
}
