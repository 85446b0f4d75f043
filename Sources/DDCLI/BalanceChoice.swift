import ArgumentParser

/// `--balance` of the tools that train networks (dd-expert, dd-eval): how an epoch draws its samples —
/// `none`, a fresh permutation (the protocol), or `groups`, group-balanced sampling over the stream's
/// (class, group) cells (DDTrain's `TrainingSampling.groupBalanced`).
public enum BalanceChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
    case none, groups
}
