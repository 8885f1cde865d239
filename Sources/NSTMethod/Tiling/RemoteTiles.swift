// RemoteTiles: the seam through which a tiled evaluation hands some of its tiles to other processes (the ranks of an MPI job) and takes their results back.
import NSTCore

/// Other processes that compute some tiles of a `TiledObjective` (a distributed transport,
/// such as the ranks of an MPI job). Tile `t` belongs to process `t % processes`; this
/// process, the home, is number 0 and computes its own tiles itself. Every call is made by
/// the home, in this order: `begin` once per stage, then per evaluation `sendGrams` (the
/// others start on their tiles while the home does its own), `receiveGrams`,
/// `sendGradients`, `receiveGradients`. Results come back by tile index, so the objective
/// combines them in the grid's fixed order: the result does not depend on the number of
/// processes.
package protocol RemoteTiles: AnyObject {
    /// How many processes share the tiles, the home included.
    var processes: Int { get }
    /// A new stage: the others make their workers for `grid` and the content targets of
    /// their tiles from `content` (`[3, H, W]`, the grid's size).
    func begin(grid: TileGrid, content: [Float]) throws
    /// Pass 1 of the others' tiles at the image `pixels` (sent to them).
    func sendGrams(pixels: [Float]) throws
    /// The others' pass-1 results, by tile index.
    func receiveGrams() throws -> [Int: TileGrams]
    /// Pass 2 of the others' tiles at the same image: the Gram differences `G - T` per style
    /// layer, the content gradient scales of every tile, and the style gradient scales.
    func sendGradients(differences: [[Float]], contentScales: [[Float]], styleScales: [Float]) throws
    /// The others' pass-2 results, by tile index.
    func receiveGradients() throws -> [Int: TileGradient]
}

extension RemoteTiles {
    /// Whether tile `index` is the home's.
    package func isHome(_ index: Int) -> Bool { index % processes == 0 }
}
