// ArgumentConformances: the library's option types as command-line values (their raw values or names).
import ArgumentParser
import StyleTransfer

extension OptimizerKind: ExpressibleByArgument {}
extension PoolKind: ExpressibleByArgument {}
extension Preprocess: ExpressibleByArgument {}
extension TransferPreset: ExpressibleByArgument {}
extension StyleLossKind: ExpressibleByArgument {}
extension VGGModel: ExpressibleByArgument {
    public init?(argument: String) { guard let m = VGGModel.named(argument) else { return nil }; self = m }
    public var defaultValueDescription: String { name }
    public static var allValueStrings: [String] { all.map(\.name) }
}
extension FlowMethod: ExpressibleByArgument {}
extension FrameInit: ExpressibleByArgument {}
