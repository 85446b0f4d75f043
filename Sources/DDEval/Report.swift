import DDData
import DDFormat
import DDTrain
import Foundation

/// What every report line states besides the numbers: the data, the recipe and where its parts came from.
public struct EvalReportContext: Sendable {
    public var trainName: String
    public var trainDigest: String
    public var trainCount: Int
    public var trainClassSizes: [Int]
    public var testName: String
    public var testDigest: String
    public var testCount: Int
    public var classNames: [String]
    public var configuration: EvalConfiguration
    public var softLabels: Bool
    public var threads: Int
    /// User tags (`dd-eval --tag ratio=0.05`) copied into every JSON line as `tags`, so later tools (e.g.
    /// `dd-render --plot -x tags.ratio`) can group and place runs.
    public var tags: [String: JSONValue] = [:]

    public init(train: Dataset, test: Dataset, configuration: EvalConfiguration, softLabels: Bool, threads: Int) {
        trainName = train.name; trainDigest = train.contentDigest ?? train.computeContentDigest()
        trainCount = train.count
        var sizes = [Int](repeating: 0, count: train.classCount)
        for label in train.labels { sizes[Int(label)] += 1 }
        trainClassSizes = sizes
        testName = test.name; testDigest = test.contentDigest ?? test.computeContentDigest(); testCount = test.count
        classNames = train.classNames
        self.configuration = configuration; self.softLabels = softLabels; self.threads = threads
    }

    /// `KEY=VALUE` → (KEY, VALUE as a JSON number when it reads as a finite number, else a string); nil when
    /// the text has no `=` or an empty key.
    public static func parseTag(_ text: String) -> (key: String, value: JSONValue)? {
        guard let equals = text.firstIndex(of: "=") else { return nil }
        let key = String(text[..<equals]).trimmingCharacters(in: .whitespaces)
        let raw = String(text[text.index(after: equals)...])
        guard !key.isEmpty else { return nil }
        if let number = Double(raw), number.isFinite { return (key, .number(number)) }
        return (key, .string(raw))
    }

    var recipeJSON: JSONValue {
        (try? JSONValue.parse(configuration.recipe.canonicalJSON)) ?? .string(configuration.recipe.canonicalJSON)
    }
}

/// JSON lines (one per network, one summary per architecture and subject) and the human table.
public enum EvalReport {
    static func number(_ x: Double) -> JSONValue { x.isFinite ? .number(x) : .null }
    static func number(_ x: Double?) -> JSONValue { x.map(number) ?? .null }
    static func stat(_ s: MeanStd?) -> JSONValue {
        guard let s else { return .null }
        return .object(["mean": number(s.mean), "std": number(s.std), "n": .number(Double(s.count))])
    }
    static func groups(_ g: [Int: Double]) -> JSONValue {
        .object(Dictionary(uniqueKeysWithValues: g.map { (String($0.key), number($0.value)) }))
    }

    static func common(_ c: EvalReportContext, _ type: String, _ architecture: String, _ subject: EvalSubject) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [
            "type": .string(type), "architecture": .string(architecture), "subject": .string(subject.rawValue),
            "train": .object(["name": .string(c.trainName), "digest": .string(c.trainDigest),
                              "count": .number(Double(c.trainCount)),
                              "per_class": .array(c.trainClassSizes.map { .number(Double($0)) })]),
            "test": .object(["name": .string(c.testName), "digest": .string(c.testDigest), "count": .number(Double(c.testCount))]),
            "recipe": c.recipeJSON, "lr_source": .string(c.configuration.learningRateSource),
            "soft_labels": .bool(c.softLabels && subject == .train), "threads": .number(Double(c.threads)),
        ]
        if !c.tags.isEmpty { fields["tags"] = .object(c.tags) }
        return fields
    }

    /// One JSON line for a trained and tested network.
    public static func networkLine(_ o: NetworkOutcome, context c: EvalReportContext) -> String {
        var fields = common(c, "network", o.architecture, o.subject)
        fields["index"] = .number(Double(o.index))
        fields["seed"] = .string(String(o.seed))
        fields["accuracy"] = number(o.result.accuracy)
        fields["loss"] = number(o.result.loss)
        fields["per_class_accuracy"] = .array(o.result.perClassAccuracy.map(number))
        fields["train_loss"] = number(o.finalTrainLoss)
        fields["train_accuracy"] = number(o.finalTrainAccuracy)
        fields["train_seconds"] = number(o.trainSeconds)
        fields["eval_seconds"] = number(o.evalSeconds)
        if let s = o.subsetSeed { fields["subset_seed"] = .string(String(s)) }
        if let b = o.bias {
            fields["groups"] = .object([
                "per_group": groups(b.groupAccuracy), "worst_group": number(b.worstGroupAccuracy),
                "aligned": number(b.alignedAccuracy), "conflicting": number(b.conflictingAccuracy),
                "group_balanced": number(b.groupBalancedAccuracy), "deo_m": number(b.deoMax), "deo_a": number(b.deoMean),
                "cells": .array(o.result.counts.cellAccuracy.map { .array($0.map(number)) }),
            ])
        }
        return JSONValue.object(fields).serialized()
    }

    /// One JSON line per architecture and subject; `ranking` adds IOR/HLR to the train summary.
    public static func summaryLine(_ s: ArchitectureSummary, ranking: RankingScores?, context c: EvalReportContext) -> String {
        var fields = common(c, "summary", s.architecture, s.subject)
        fields["networks"] = .number(Double(s.accuracy.count))
        if let selection = c.configuration.selection.description {
            // A shard's summary covers only its networks; the full run's statistics come from all network lines.
            fields["selection"] = .string(selection)
            fields["networks_total"] = .number(Double(c.configuration.networks))
        }
        fields["seeds"] = .array(s.seeds.map { .string(String($0)) })
        fields["accuracy"] = stat(s.accuracy)
        fields["loss"] = stat(s.loss)
        fields["per_class_accuracy"] = .array(s.perClassAccuracy.map(number))
        fields["train_seconds"] = number(s.trainSeconds)
        if s.worstGroup != nil || !s.perGroupAccuracy.isEmpty {
            fields["groups"] = .object([
                "per_group": groups(s.perGroupAccuracy), "worst_group": stat(s.worstGroup), "aligned": stat(s.aligned),
                "conflicting": stat(s.conflicting), "deo_m": stat(s.deoMax), "deo_a": stat(s.deoMean),
            ])
        }
        if let r = ranking {
            fields["dd_ranking"] = .object([
                "units": "fraction (DD-Ranking's code uses percent: ×100)",
                "random_accuracy": number(r.randomAccuracy), "ior": number(r.ior),
                "full_accuracy": number(r.fullAccuracy), "hlr": number(r.hlr),
            ])
        }
        return JSONValue.object(fields).serialized()
    }

    static func pct(_ x: Double) -> String { x.isFinite ? String(format: "%.2f", x * 100) : "–" }
    static func pct(_ s: MeanStd) -> String { "\(pct(s.mean)) ± \(pct(s.std))" }

    /// The human report (accuracies in percent).
    public static func table(_ summaries: [ArchitectureSummary], rankings: [String: RankingScores],
                             context c: EvalReportContext, totalSeconds: Double) -> String {
        var out = "dd-eval report\n"
        out += "  train: \(c.trainName) \(c.trainDigest) (\(c.trainCount) images; per class \(c.trainClassSizes.map(String.init).joined(separator: ",")))"
        out += c.softLabels ? ", soft labels\n" : ", hard labels\n"
        out += "  test:  \(c.testName) \(c.testDigest) (\(c.testCount) images)\n"
        out += "  recipe: \(c.configuration.recipe.summary); lr from \(c.configuration.learningRateSource)\n"
        let shard = c.configuration.selection.description.map { " (this run: \($0) only)" } ?? ""
        out += "  networks: \(c.configuration.networks) per architecture\(shard), seeds derived from --seed \(c.configuration.baseSeed); "
            + "threads \(c.threads); std is the population std (ddof 0)\n"
        out += "  " + pad("architecture", 26) + pad("subject", 16) + pad("accuracy %", 18) + pad("test loss", 18) + "train time\n"
        for s in summaries {
            let loss = String(format: "%.4f ± %.4f", s.loss.mean, s.loss.std)
            out += "  " + pad(s.architecture, 26) + pad(s.subject.rawValue, 16) + pad(pct(s.accuracy), 18) + pad(loss, 18)
                + formatSeconds(s.trainSeconds) + "\n"
            out += "    per class: " + zip(c.classNames, s.perClassAccuracy).map { "\($0) \(pct($1))" }.joined(separator: "  ") + "\n"
            if let w = s.worstGroup {
                out += "    groups: worst \(pct(w))"
                if let a = s.aligned { out += ", aligned \(pct(a))" }
                if let x = s.conflicting { out += ", conflicting \(pct(x))" }
                if let m = s.deoMax { out += String(format: ", DEO_M %.2f ± %.2f", m.mean, m.std) }
                if let m = s.deoMean { out += String(format: ", DEO_A %.2f ± %.2f", m.mean, m.std) }
                out += "\n"
                if !s.perGroupAccuracy.isEmpty {
                    out += "    per group: " + s.perGroupAccuracy.sorted { $0.key < $1.key }.map { "\($0.key) \(pct($0.value))" }
                        .joined(separator: "  ") + "\n"
                }
            }
            if s.subject == .train, let r = rankings[s.architecture] {
                out += "    DD-Ranking (fractions; ×100 for the code's percent units): IOR \(String(format: "%+.4f", r.ior)) "
                    + "vs random \(pct(r.randomAccuracy))%"
                if let h = r.hlr, let f = r.fullAccuracy { out += String(format: ", HLR %+.4f (full data %@%%)", h, pct(f)) }
                out += "\n"
            }
        }
        out += "  total time \(formatSeconds(totalSeconds))\n"
        return out
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }

    static func formatSeconds(_ s: Double) -> String {
        s < 120 ? String(format: "%.1fs", s) : String(format: "%dm%02ds", Int(s) / 60, Int(s) % 60)
    }
}

/// DD-Ranking scores of one architecture (fractions).
public struct RankingScores: Sendable {
    public let randomAccuracy: Double
    public let ior: Double
    public let fullAccuracy: Double?
    public let hlr: Double?

    public init(synthetic: Double, random: Double, fullData: Double?) {
        randomAccuracy = random
        ior = DDRanking.improvementOverRandom(synthetic: synthetic, random: random)
        fullAccuracy = fullData
        hlr = fullData.map { DDRanking.hardLabelRecovery(fullData: $0, synthetic: synthetic) }
    }

    /// Scores per architecture from summaries that hold both subjects.
    public static func from(_ summaries: [ArchitectureSummary], fullData: Double?) -> [String: RankingScores] {
        var out: [String: RankingScores] = [:]
        for s in summaries where s.subject == .train {
            guard let r = summaries.first(where: { $0.architecture == s.architecture && $0.subject == .randomBaseline })
            else { continue }
            out[s.architecture] = RankingScores(synthetic: s.accuracy.mean, random: r.accuracy.mean, fullData: fullData)
        }
        return out
    }
}
