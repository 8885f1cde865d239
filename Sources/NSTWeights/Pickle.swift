// Pickle: a reader for the subset of Python's pickle format that PyTorch state dicts use; it executes nothing.
import Foundation
import NSTCore

/// A value of the pickle subset state dicts use. Lists and dicts are reference types because
/// a pickle can refer to the same container twice (memo) and fill it after creating it.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// An allowed global, not yet called (`torch.FloatStorage`, `collections.OrderedDict`, ...).
    case global(String)
    /// A storage reference from a persistent id.
    case storage(PickleStorage)
    /// A tensor view of a storage.
    case tensor(PickleTensor)

    var int: Int? { if case let .int(v) = self { return v }; return nil }
    var string: String? { if case let .string(v) = self { return v }; return nil }
    var items: [PickleValue]? {
        switch self {
        case let .tuple(v): return v
        case let .list(l): return l.items
        default: return nil
        }
    }
}

/// A list; `depth` is its nesting (1 + its deepest item's), kept as items are appended.
final class PickleList { var items: [PickleValue] = []; var depth = 1 }
/// A dict; `depth` as for `PickleList`.
final class PickleDict { var items: [(key: PickleValue, value: PickleValue)] = []; var depth = 1 }

/// A storage named by a persistent id: `('storage', torch.FloatStorage, key, location, numel[, view])`.
struct PickleStorage: Equatable {
    enum DType: String { case float32 = "FloatStorage", float16 = "HalfStorage" }
    let key: String
    let dtype: DType
    let count: Int
}

/// `_rebuild_tensor(_v2)(storage, offset, size, stride, ...)`.
struct PickleTensor {
    let storage: PickleStorage
    let offset: Int
    let shape: [Int]
    let stride: [Int]
}

/// A problem with a pickle; the caller adds the file name.
struct PickleError: Error { let message: String }

/// Reads one pickle (protocols 2 to 5) and returns its value, refusing every global that is
/// not on the allow-list below, so reading a file never runs anything the file names.
///
/// Allowed globals: `collections.OrderedDict` (called with no arguments: an empty dict),
/// `torch._utils._rebuild_tensor`, `torch._utils._rebuild_tensor_v2` and
/// `torch._utils._rebuild_parameter` (each checked and turned into a tensor reference),
/// and `torch.FloatStorage` / `torch.HalfStorage` (only inside persistent ids). Any other
/// global, e.g. `os.system` or `builtins.eval`, is an error naming it, raised when the
/// global is read, before anything could use it.
///
/// Nesting is bounded (`maxDepth`): freeing a value recurses once per level of tuples, so
/// 50,000 nested one-element tuples (a 50 KB file) overflowed the stack when freed. Lists
/// and dicts are emptied one by one, never recursively, by `releaseContainers` or when the
/// last copy of the reader goes (so freeing never recurses through them, even where a
/// container was filled after another took it in and its recorded depth is stale); their
/// depth counts too, so a tuple holding a list is as deep as both together.
struct PickleReader {
    /// The deepest nesting of tuples, lists and dicts accepted; a state dict needs about 5
    /// (dict, tensor arguments, shape tuple), and freeing 200 levels is far from the stack's end.
    static let maxDepth = 200

    static let allowedGlobals: Set<String> = [
        "collections.OrderedDict", "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter", "torch.FloatStorage", "torch.HalfStorage",
    ]

    private let bytes: [UInt8]
    private(set) var position: Int
    /// Every list and dict made so far, emptied by `releaseContainers` and when released.
    private let containers = Containers()

    /// The lists and dicts a reader made. Emptying them one by one, before any is freed,
    /// frees their contents without recursing from one container into the next.
    private final class Containers {
        var lists: [PickleList] = [], dicts: [PickleDict] = []
        func empty() {
            for list in lists { list.items = [] }
            for dict in dicts { dict.items = [] }
        }
        deinit { empty() }
    }

    /// Reads from `bytes` starting at `offset`; `position` is after the STOP opcode on return.
    init(bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        position = offset
    }

    /// Empties every list and dict this reader made. A pickle can put a container inside
    /// itself (memo, then APPEND or SETITEM), a cycle reference counting never frees; callers
    /// take what they need from the values read, then call this (found by fuzzing). The
    /// reader does the same when its last copy is released, so values read must not be
    /// used after that.
    func releaseContainers() { containers.empty() }

    private mutating func newList() -> PickleList {
        let list = PickleList()
        containers.lists.append(list)
        return list
    }

    private mutating func newDict() -> PickleDict {
        let dict = PickleDict()
        containers.dicts.append(dict)
        return dict
    }

    /// A value on the stack or in the memo with its nesting (for lists and dicts, their own
    /// `depth` is current and this one is not read).
    private struct Slot {
        var value: PickleValue
        var depth = 0
        var nesting: Int {
            switch value {
            case let .list(l): return l.depth
            case let .dict(d): return d.depth
            default: return depth
            }
        }
    }

    mutating func read() throws -> PickleValue {
        var stack: [Slot] = []
        var marks: [Int] = []
        var memo: [Int: Slot] = [:]

        func push(_ value: PickleValue, depth: Int = 0) { stack.append(Slot(value: value, depth: depth)) }
        func pop() throws -> Slot {
            guard let v = stack.popLast() else { throw PickleError(message: "pickle stack underflow at byte \(position)") }
            return v
        }
        func popMark() throws -> [Slot] {
            guard let mark = marks.popLast(), mark <= stack.count else { throw PickleError(message: "pickle MARK missing at byte \(position)") }
            let items = Array(stack[mark...])
            stack.removeSubrange(mark...)
            return items
        }
        /// The depth of a container of `items` (at least `atLeast`), refused past `maxDepth`.
        func depth(of items: [Slot], atLeast: Int = 1) throws -> Int {
            let depth = max(atLeast, 1 + (items.map(\.nesting).max() ?? 0))
            guard depth <= Self.maxDepth else {
                throw PickleError(message: "the pickle nests tuples, lists or dicts more than \(Self.maxDepth) deep at byte \(position - 1); a state dict needs a few levels")
            }
            return depth
        }
        func tuple(_ items: [Slot]) throws { push(.tuple(items.map(\.value)), depth: try depth(of: items)) }
        func setItems(_ dictSlot: Slot, _ pairs: [Slot]) throws {
            guard case let .dict(d) = dictSlot.value, pairs.count % 2 == 0 else {
                throw PickleError(message: "pickle SETITEMS on something that is not a dict")
            }
            d.depth = try depth(of: pairs, atLeast: d.depth)
            for i in stride(from: 0, to: pairs.count, by: 2) { d.items.append((pairs[i].value, pairs[i + 1].value)) }
        }
        func append(_ values: [Slot]) throws {
            guard case let .list(l)? = stack.last?.value else { throw PickleError(message: "pickle APPEND on something that is not a list") }
            l.depth = try depth(of: values, atLeast: l.depth)
            l.items += values.map(\.value)
        }

        while true {
            let op = try byte()
            switch op {
            case 0x80: _ = try byte()                                   // PROTO
            case 0x95: _ = try take(8)                                  // FRAME
            case 0x2E: return try pop().value                           // STOP
            case 0x28: marks.append(stack.count)                        // MARK
            case 0x4E: push(.none)                                      // NONE
            case 0x88: push(.bool(true))                                // NEWTRUE
            case 0x89: push(.bool(false))                               // NEWFALSE
            case 0x4B: push(.int(Int(try byte())))                      // BININT1
            case 0x4D: push(.int(Int(try uint(2))))                     // BININT2
            case 0x4A: push(.int(Int(Int32(bitPattern: UInt32(try uint(4))))))   // BININT
            case 0x8A:                                                  // LONG1
                let n = Int(try byte())
                push(.int(try long(n)))
            case 0x47:                                                  // BINFLOAT (big-endian)
                let raw = try take(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                push(.float(Double(bitPattern: raw)))
            case 0x58: push(.string(try text(Int(try uint(4)))))               // BINUNICODE
            case 0x8C: push(.string(try text(Int(try byte()))))                // SHORT_BINUNICODE
            case 0x8D: push(.string(try text(try length(8))))                  // BINUNICODE8
            case 0x55: push(.string(try text(Int(try byte()))))                // SHORT_BINSTRING
            case 0x54: push(.string(try text(Int(try uint(4)))))               // BINSTRING
            case 0x43: push(.bytes(try take(Int(try byte()))))                 // SHORT_BINBYTES
            case 0x42: push(.bytes(try take(Int(try uint(4)))))                // BINBYTES
            case 0x29: try tuple([])                                           // EMPTY_TUPLE
            case 0x85: try tuple([try pop()])                                  // TUPLE1
            case 0x86: let b = try pop(), a = try pop(); try tuple([a, b])     // TUPLE2
            case 0x87: let c = try pop(), b = try pop(), a = try pop(); try tuple([a, b, c])   // TUPLE3
            case 0x74: try tuple(try popMark())                                // TUPLE
            case 0x5D: push(.list(newList()))                                  // EMPTY_LIST
            case 0x6C:                                                         // LIST
                let items = try popMark(), l = newList()
                l.depth = try depth(of: items)
                l.items = items.map(\.value)
                push(.list(l))
            case 0x61: try append([try pop()])                                 // APPEND
            case 0x65: try append(try popMark())                               // APPENDS
            case 0x7D: push(.dict(newDict()))                                  // EMPTY_DICT
            case 0x64:                                                         // DICT
                let pairs = try popMark(), d = newDict()
                try setItems(Slot(value: .dict(d)), pairs)
                push(.dict(d))
            case 0x73:                                                         // SETITEM
                let v = try pop(), k = try pop()
                guard let d = stack.last else { throw PickleError(message: "pickle stack underflow at byte \(position)") }
                try setItems(d, [k, v])
            case 0x75:                                                         // SETITEMS
                let pairs = try popMark()
                guard let d = stack.last else { throw PickleError(message: "pickle stack underflow at byte \(position)") }
                try setItems(d, pairs)
            case 0x71: memo[Int(try byte())] = stack.last                      // BINPUT
            case 0x72: memo[Int(try uint(4))] = stack.last                     // LONG_BINPUT
            case 0x94: memo[memo.count] = stack.last                           // MEMOIZE
            case 0x68, 0x6A:                                                   // BINGET, LONG_BINGET
                let key = op == 0x68 ? Int(try byte()) : Int(try uint(4))
                guard let v = memo[key] else { throw PickleError(message: "pickle refers to memo \(key), which was never stored") }
                stack.append(v)
            case 0x63:                                                         // GLOBAL "module\nname\n"
                let module = try line(), name = try line()
                push(try global(module, name))
            case 0x93:                                                         // STACK_GLOBAL
                let name = try pop().value, module = try pop().value
                guard let m = module.string, let n = name.string else { throw PickleError(message: "pickle STACK_GLOBAL without strings") }
                push(try global(m, n))
            case 0x51:                                                         // BINPERSID
                push(try persistent(try pop().value))
            case 0x52:                                                         // REDUCE: the result holds only numbers and a storage
                let args = try pop().value, callable = try pop().value
                push(try call(callable, args), depth: 1)
            case 0x62:                                                         // BUILD: state is ignored (OrderedDict's _metadata)
                _ = try pop()
                guard !stack.isEmpty else { throw PickleError(message: "pickle BUILD without an object") }
            default:
                throw PickleError(message: String(format: "pickle opcode 0x%02X at byte %d is not part of what state dicts use", op, position - 1))
            }
        }
    }

    /// An allowed global, or the error naming a forbidden one.
    private func global(_ module: String, _ name: String) throws -> PickleValue {
        let full = module + "." + name
        guard Self.allowedGlobals.contains(full) else {
            throw PickleError(message: "the pickle names the global '\(full)', which is not allowed (a state dict needs only tensors, storages and OrderedDict); nothing was run")
        }
        return .global(full)
    }

    /// A persistent id: `('storage', torch.FloatStorage, key, location, numel[, view_metadata])`.
    private func persistent(_ id: PickleValue) throws -> PickleValue {
        guard let parts = id.items, parts.count >= 5, parts[0].string == "storage" else {
            throw PickleError(message: "a persistent id is not a ('storage', type, key, location, size) tuple")
        }
        guard case let .global(type) = parts[1] else { throw PickleError(message: "a storage's type is not a global") }
        guard let dtype = PickleStorage.DType(rawValue: String(type.dropFirst("torch.".count))) else {
            throw PickleError(message: "storage type '\(type)' is not supported (want torch.FloatStorage or torch.HalfStorage)")
        }
        guard let key = parts[2].string ?? parts[2].int.map(String.init), let count = parts[4].int, count >= 0 else {
            throw PickleError(message: "a storage's key or size is malformed")
        }
        if parts.count > 5, case .tuple = parts[5] {
            throw PickleError(message: "storage views (legacy view_metadata) are not supported")
        }
        return .storage(PickleStorage(key: key, dtype: dtype, count: count))
    }

    /// Calls an allowed global with `args`, checking what each expects.
    private mutating func call(_ callable: PickleValue, _ args: PickleValue) throws -> PickleValue {
        guard case let .global(name) = callable, let list = args.items else {
            throw PickleError(message: "REDUCE on something that is not an allowed global with a tuple of arguments")
        }
        switch name {
        case "collections.OrderedDict":
            guard list.isEmpty else { throw PickleError(message: "OrderedDict called with arguments") }
            return .dict(newDict())
        case "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2":
            guard list.count >= 4, case let .storage(storage) = list[0], let offset = list[1].int,
                  let shape = list[2].items?.compactMap(\.int), shape.count == list[2].items?.count,
                  let stride = list[3].items?.compactMap(\.int), stride.count == shape.count else {
                throw PickleError(message: "\(name) called with malformed arguments")
            }
            return .tensor(PickleTensor(storage: storage, offset: offset, shape: shape, stride: stride))
        case "torch._utils._rebuild_parameter":
            guard let first = list.first, case .tensor = first else { throw PickleError(message: "\(name) called without a tensor") }
            return first
        default:
            throw PickleError(message: "'\(name)' cannot be called")
        }
    }

    private mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw PickleError(message: "the pickle ends early (truncated?)") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func take(_ n: Int) throws -> [UInt8] {
        guard n >= 0, n <= bytes.count - position else { throw PickleError(message: "the pickle ends early (truncated?)") }
        defer { position += n }
        return Array(bytes[position..<position + n])
    }

    private mutating func uint(_ n: Int) throws -> UInt64 {
        try take(n).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    private mutating func length(_ n: Int) throws -> Int {
        let v = try uint(n)
        guard v <= UInt64(bytes.count) else { throw PickleError(message: "the pickle ends early (truncated?)") }
        return Int(v)
    }

    /// A little-endian two's-complement integer of `n` bytes; larger than 64 bits only for
    /// the legacy format's magic number, which is returned modulo 2^64.
    private mutating func long(_ n: Int) throws -> Int {
        let raw = try take(n)
        guard !raw.isEmpty else { return 0 }
        var value: UInt64 = 0
        for (i, b) in raw.prefix(8).enumerated() { value |= UInt64(b) << (8 * UInt64(i)) }
        if n < 8, raw.last! & 0x80 != 0 { value |= ~UInt64(0) << (8 * UInt64(n)) }
        return Int(bitPattern: UInt(value))
    }

    private mutating func text(_ n: Int) throws -> String {
        guard let s = String(bytes: try take(n), encoding: .utf8) else { throw PickleError(message: "a pickle string is not UTF-8") }
        return s
    }

    private mutating func line() throws -> String {
        var out: [UInt8] = []
        while true {
            let b = try byte()
            if b == 0x0A { break }
            out.append(b)
            guard out.count < 256 else { throw PickleError(message: "a pickle GLOBAL name is too long") }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
