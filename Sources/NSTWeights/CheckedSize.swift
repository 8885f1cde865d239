// CheckedSize: sizes and offsets computed from numbers a weights file gives, in arithmetic that reports overflow instead of trapping.

/// Products and sums of file-given counts. A crafted file can name a storage of 2^62
/// elements or an offset near 2^63, whose byte size overflows `Int` and would trap; here
/// nil stands for "more than any file holds", and the reader turns it into a `WeightsError`.
enum CheckedSize {
    /// `a * b`, or nil when either is negative or the product overflows.
    static func product(_ a: Int, _ b: Int) -> Int? {
        guard a >= 0, b >= 0 else { return nil }
        let (value, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? nil : value
    }

    /// The product of `values` (1 for none), or nil when one is negative or the product of
    /// the non-zero ones overflows: `[0, 2^40, 2^40]` is nil too, because stride and extent
    /// computations over the same dimensions multiply the non-zero ones alone.
    static func product(_ values: [Int]) -> Int? {
        var result = 1
        for v in values where v != 0 {
            guard let next = product(result, v) else { return nil }
            result = next
        }
        return values.contains(0) ? 0 : result
    }

    /// `a + b`, or nil when either is negative or the sum overflows.
    static func sum(_ a: Int, _ b: Int) -> Int? {
        guard a >= 0, b >= 0 else { return nil }
        let (value, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : value
    }
}
