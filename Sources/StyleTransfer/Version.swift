// Version: nst's version, in one place (the command line's version option prints it; bump it with each release).

/// The version of the library and of `nst`.
public enum NSTVersion {
    /// Semantic version: major.minor.patch.
    public static let string = "0.20.0"
}
