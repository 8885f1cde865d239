// TransferPlan+Tuning: `nst tune`'s search on the matrix products of a plan's evaluation.
import NSTCore
import NSTOpenCL

extension OpenCLTuner {
    /// Tunes `info`'s device for the evaluations `plan` runs at `size x size` (see
    /// `tune(info:size:depth:styleLayers:budgetSeconds:)`).
    public func tune(info: OpenCLDeviceInfo, plan: TransferPlan, size: Int, budgetSeconds: Double) throws -> OpenCLTuningOutcome {
        try tune(info: info, size: size, depth: plan.depth, styleLayers: plan.style.indices, budgetSeconds: budgetSeconds)
    }
}
