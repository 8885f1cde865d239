// Coefficients: the checks of the device-resident coefficients the optimisers' vector ops read, shared by the backends.

extension OpShapes {
    /// Checks that `index` is an element of a `count`-element coefficient tensor.
    package static func coefficient(_ op: String, _ index: Int, count: Int) throws {
        guard index >= 0, index < count else {
            throw DeviceError.invalidArgument(op: op, detail: "coefficient \(index) outside the \(count) scalars")
        }
    }

    /// Checks one or two terms whose indices lie in a `count`-element coefficient tensor.
    package static func coefficientTerms(_ op: String, _ terms: [CoefficientTerm], count: Int) throws {
        guard (1...2).contains(terms.count) else {
            throw DeviceError.invalidArgument(op: op, detail: "\(terms.count) terms, expected 1 or 2")
        }
        for term in terms { try coefficient(op, term.index, count: count) }
    }
}
