// ProcessSettings: the namespace of the library settings that hold for the whole process rather than one device, made by explicit calls.

/// Settings of the libraries the backends call that hold for the whole process, not for
/// one device object. They are made by these calls, whose names say what they change,
/// rather than as side effects of opening a device.
public enum ProcessSettings {
    // The settings are made in the backends that own them: `ProcessSettings+OpenBLAS.swift`
    // (the CPU backend) and `ProcessSettings+CLBlast.swift` (the OpenCL backend).
}
