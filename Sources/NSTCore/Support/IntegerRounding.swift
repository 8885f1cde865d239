// IntegerRounding: rounding a count up to whole blocks (tiles, panels, work-groups), shared by the backends and the tiling.

/// `value` rounded up to a multiple of `multiple` (> 0): the whole blocks that hold `value` items.
@inline(__always)
package func roundUp(_ value: Int, to multiple: Int) -> Int {
    (value + multiple - 1) / multiple * multiple
}
