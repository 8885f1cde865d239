// Exports: the lower layers' public API comes with `import StyleTransfer`, so a client (the nst tool) needs one import.
@_exported import NSTCore
@_exported import NSTCPU
@_exported import NSTOpenCL
@_exported import NSTImages
@_exported import NSTVideo
@_exported import NSTWeights
@_exported import NSTMethod
@_exported import NSTInspect
