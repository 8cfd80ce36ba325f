import Foundation
import Synchronization

/// Latency histograms of the process's stages, in Prometheus form on every server's `GET /metrics`
/// (`lockstep_stage_seconds{stage}`): each JSON-RPC method's handling (`rpc:METHOD`, recorded by the dispatcher),
/// and what the services time themselves (the builder's auction and its drafts, the L2's blocks and settlements,
/// the prover's re-execution). One registry per process (`shared`); stage names are a fixed, small set.
public final class StageMetrics: Sendable {
    public static let shared = StageMetrics()

    /// Upper bounds of the buckets, in seconds.
    public static let bounds: [Double] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10]

    struct Histogram {
        var buckets = [UInt64](repeating: 0, count: StageMetrics.bounds.count)
        var count: UInt64 = 0
        var sum: Double = 0
    }

    private let histograms = Mutex<[String: Histogram]>([:])

    public init() {}

    /// Records one run of `stage` that took `seconds`.
    public func observe(_ stage: String, seconds: Double) {
        let index = Self.bounds.firstIndex { seconds <= $0 }
        histograms.withLock { table in
            var histogram = table[stage] ?? Histogram()
            if let index { histogram.buckets[index] += 1 }
            histogram.count += 1
            histogram.sum += seconds
            table[stage] = histogram
        }
        // JSON logs carry each run of the services' own stages (a call's `rpc:` timing stays in the histogram).
        if !stage.hasPrefix("rpc:") { ServiceLog.shared.stage(stage, seconds: seconds) }
    }

    /// The Prometheus text exposition (cumulative buckets).
    public func prometheusText() -> String {
        let table = histograms.withLock { $0 }
        guard !table.isEmpty else { return "" }
        var lines = ["# HELP lockstep_stage_seconds How long each stage took: rpc:METHOD for a JSON-RPC call, and the services' own stages.",
                     "# TYPE lockstep_stage_seconds histogram"]
        for (stage, histogram) in table.sorted(by: { $0.key < $1.key }) {
            var cumulative: UInt64 = 0
            for (bound, count) in zip(Self.bounds, histogram.buckets) {
                cumulative += count
                lines.append("lockstep_stage_seconds_bucket{stage=\"\(stage)\",le=\"\(bound)\"} \(cumulative)")
            }
            lines.append("lockstep_stage_seconds_bucket{stage=\"\(stage)\",le=\"+Inf\"} \(histogram.count)")
            lines.append("lockstep_stage_seconds_sum{stage=\"\(stage)\"} \(histogram.sum)")
            lines.append("lockstep_stage_seconds_count{stage=\"\(stage)\"} \(histogram.count)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
