// SlotTerm: one term of a coefficient read from a tensor of scalars on the device, with the check shared by the backends.

/// `factor * slots[slot]`: a term of the coefficient of `Device.axpy(_:slots:_:_:)`.
public struct SlotTerm: Equatable, Sendable {
    public var slot: Int
    public var factor: Float

    public init(slot: Int, factor: Float) {
        self.slot = slot
        self.factor = factor
    }
}

extension OpShapes {
    /// Checks that `index` is a slot of a `count`-element scalars tensor.
    static func slot(_ op: String, _ index: Int, count: Int) throws {
        guard index >= 0, index < count else {
            throw DeviceError.invalidArgument(op: op, detail: "slot \(index) outside the \(count) scalars")
        }
    }

    /// Checks one or two terms whose slots lie in a `count`-element scalars tensor.
    static func slotTerms(_ op: String, _ terms: [SlotTerm], count: Int) throws {
        guard (1...2).contains(terms.count) else {
            throw DeviceError.invalidArgument(op: op, detail: "\(terms.count) terms, expected 1 or 2")
        }
        for term in terms { try slot(op, term.slot, count: count) }
    }
}
