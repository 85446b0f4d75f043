import Testing
@testable import DDKernels

@Suite struct BLASCoreTests {
    @Test func advisesTheFastKernelsOnlyWhenTheGenericOnesRunOnACapableCPU() throws {
        let avx512: Set<String> = ["sse3", "avx2", "fma", "avx512f", "avx512bw"]
        let advice = try #require(BLASCore.fallbackAdvice(core: "Prescott", cpuFlags: avx512, coreTypeSet: false))
        #expect(advice.contains("OPENBLAS_CORETYPE=SkylakeX"))
        #expect(BLASCore.fallbackAdvice(core: "Prescott", cpuFlags: ["sse3", "avx2", "fma"], coreTypeSet: false)?
            .contains("OPENBLAS_CORETYPE=Haswell") == true)
        // The user's own choice, a recognised CPU, or a CPU without the wide units: nothing to say.
        #expect(BLASCore.fallbackAdvice(core: "Prescott", cpuFlags: avx512, coreTypeSet: true) == nil)
        #expect(BLASCore.fallbackAdvice(core: "SkylakeX", cpuFlags: avx512, coreTypeSet: false) == nil)
        #expect(BLASCore.fallbackAdvice(core: "Prescott", cpuFlags: ["sse3"], coreTypeSet: false) == nil)
    }

    @Test func readsTheRunningCPUsFlags() {
        // Every x86-64 CPU has SSE2; elsewhere the set may be empty but must not fail.
        #if arch(x86_64) && os(Linux)
        #expect(BLASCore.cpuFlags().contains("sse2"))
        #endif
        #expect(!BLASCore.name.isEmpty)
    }
}
