import DDKernels
import Testing

/// Tests that vary the split run beside bitwise-determinism tests in the same process, so their settings
/// must stay inside their own task.
@Suite struct ThreadSettingsTests {
    @Test func overridesHoldForTheTaskOnly() async {
        let process = Threads.count
        let (inside, grain, child, detached) = Threads.withSettings(count: process + 3, gemmGrain: 1) {
            (Threads.count, Threads.gemmGrain, Task { Threads.count }, Task.detached { Threads.count })
        }
        #expect(inside == process + 3 && grain == 1)
        #expect(await child.value == process + 3)  // child tasks inherit the override
        #expect(await detached.value == process)   // unrelated tasks do not
        #expect(Threads.count == process && Threads.gemmGrain == Threads.defaultGemmGrain)
    }

    @Test func overridesNestAndRestore() {
        let counts = Threads.withSettings(count: 1) {
            (Threads.count, Threads.withSettings(gemmGrain: 7) { (Threads.count, Threads.gemmGrain) }, Threads.gemmGrain)
        }
        #expect(counts.0 == 1 && counts.1 == (1, 7) && counts.2 == Threads.defaultGemmGrain)
        #expect(Threads.withSettings(count: 0) { Threads.count } == 1)  // clamped like `set`
        let budgets = Winograd.withChunkBudget(96) { Conv2D.withColumnBudget(48) { (Winograd.chunkBudget, Conv2D.columnBudget) } }
        #expect(budgets == (96, 48))
        #expect(Winograd.chunkBudget == Winograd.defaultChunkBudget && Conv2D.columnBudget == Conv2D.defaultColumnBudget)
    }
}
