// Exports: the lower layers' public API comes with `import StyleTransfer`, so a client (the nst tool) needs one import.
@_exported import NSTCore
@_exported import NSTCPU
@_exported import NSTOpenCL
