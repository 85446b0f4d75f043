import DDData
import DDFormat
import DDTestSupport
import Foundation
import Testing
@testable import DDMethods

/// Selection time of every coreset method on the real MNIST training set. A benchmark, not a test:
/// it runs only with DD_CORESET_TIMING=1 (release build recommended):
///
///     DD_CORESET_TIMING=1 DD_CORESET_FEATURE_EPOCHS=1 DD_CORESET_FORGETTING_EPOCHS=2 \
///     DD_CORESET_OUT=/tmp/coresets swift test -c release --scratch-path .build-coreset --filter CoresetTiming
///
/// With DD_CORESET_OUT it writes each selection as a synthetic-set stream `<dataset>-<method>-ipc<k>.ddt`.
@Suite struct CoresetTimingTests {
    static let environment = ProcessInfo.processInfo.environment
    static let enabled = environment["DD_CORESET_TIMING"] == "1"

    func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    @Test(.enabled(if: enabled)) func selectionTimesOnRealMNIST() throws {
        let env = Self.environment
        let name = env["DD_CORESET_DATASET"] ?? "mnist"
        let featureEpochs = Int(env["DD_CORESET_FEATURE_EPOCHS"] ?? "1") ?? 1
        let forgettingEpochs = Int(env["DD_CORESET_FORGETTING_EPOCHS"] ?? "2") ?? 2
        let ipcs = (env["DD_CORESET_IPCS"] ?? "1,10,50").split(separator: ",").compactMap { Int($0) }
        let methods = try (env["DD_CORESET_METHODS"] ?? "random,herding,kcenter,forgetting")
            .split(separator: ",").map { try CoresetMethod(parsing: String($0)) }
        let seed = UInt64(env["DD_CORESET_SEED"] ?? "0") ?? 0
        let mirror = try #require(sharedDatasetsDirectory(), "real data not found")
        var fetch = FetchOptions(mirror: mirror, cacheDirectory: nil, verify: true)
        fetch.useSystemDirectories = false
        fetch.allowDownload = false
        var dataset = Dataset(name: "", images: .u8([]), geometry: ImageGeometry(channels: 1, height: 1, width: 1),
                              labels: [], classNames: ["x"], mean: [0], std: [1])
        let loadTime = try seconds { dataset = try DatasetLoader.load(name, split: .train, options: fetch) }
        print("coreset timing: \(name) train, \(dataset.count) images, load \(String(format: "%.1f", loadTime)) s")

        var options = CoresetOptions()
        options.featureEpochs = featureEpochs
        options.forgettingEpochs = forgettingEpochs
        let startedAt = Date()
        options.progress = { progress in
            guard progress.step % 25 == 0 || progress.step == progress.total else { return }
            let loss = progress.loss.map { String(format: " loss %.4f", $0) } ?? ""
            print("  \(progress.phase) \(progress.step)/\(progress.total)\(loss) at \(String(format: "%.0f", Date().timeIntervalSince(startedAt))) s")
        }
        var features: CoresetFeatures?
        var forgetting: ForgettingRun?
        if methods.contains(where: \.usesFeatures) {
            let t = try seconds { features = try computeCoresetFeatures(dataset, options: options, seed: seed) }
            print("coreset timing: features (\(features!.extractor)): \(String(format: "%.1f", t)) s")
        }
        if methods.contains(.forgetting) {
            let t = try seconds { forgetting = try runForgetting(dataset, options: options, seed: seed) }
            let summary = forgetting!.counter.summary
            print("coreset timing: forgetting run (\(forgetting!.description)): \(String(format: "%.1f", t)) s; "
                  + "never learned \(summary.neverLearned), zero events \(summary.unforgettable), max \(summary.maxEvents)")
        }
        for method in methods {
            for ipc in ipcs {
                var selection: CoresetSelection?
                let t = try seconds {
                    selection = try selectCoreset(method, from: dataset, ipc: ipc, options: options, seed: seed,
                                                  features: features, forgetting: forgetting)
                }
                let picked = try #require(selection)
                #expect(picked.selected.allSatisfy { $0.count == ipc })
                print("coreset timing: \(method) ipc \(ipc): selection \(String(format: "%.3f", t)) s")
                if let directory = env["DD_CORESET_OUT"] {
                    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                    let subset = try dataset.coresetSubset(picked)
                    let sink = MemorySink()
                    try subset.write(to: sink, kind: .synthetic, extraMetadata: ["method": .string(method.rawValue)])
                    try Data(sink.bytes).write(to: URL(fileURLWithPath: "\(directory)/\(name)-\(method)-ipc\(ipc).ddt"))
                }
            }
        }
    }
}
